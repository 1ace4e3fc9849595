"""The therapists' parts of the reference data kept between requests
(`massageclinic.reference`): read again once a therapist, their user's name, their
hours or trainings, or a technique changes. Shared by every request of a process:
read them, never change them."""

from __future__ import annotations

from collections import defaultdict

from massageclinic.reference import reference_part
from therapists.models import Modality, Therapist, Training, WorkingHours


@reference_part
def therapists_by_id() -> dict[int, Therapist]:
    """Every therapist, active or not, with their user, in the model's order (by
    name; the id settles a tie)."""
    therapists = Therapist.objects.select_related("user").order_by(
        "user__first_name", "user__last_name", "pk"
    )
    return {t.pk: t for t in therapists}


@reference_part
def hours_by_therapist() -> dict[int, list[WorkingHours]]:
    """Each therapist's weekly blocks at every location, earliest first."""
    hours: dict[int, list[WorkingHours]] = defaultdict(list)
    for block in WorkingHours.objects.order_by("starts_at", "pk"):
        hours[block.therapist_id].append(block)
    return dict(hours)


@reference_part
def trainings() -> frozenset[tuple[int, int]]:
    """(therapist id, technique id) of every training."""
    return frozenset(Training.objects.values_list("therapist_id", "modality_id"))


@reference_part
def active_modalities() -> list[Modality]:
    """The techniques offered, by name."""
    return list(Modality.objects.filter(is_active=True).order_by("name"))
