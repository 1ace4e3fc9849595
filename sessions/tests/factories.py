"""Factories for visits, plans with goals, and visits with SOAP notes.

A note is written first and signed last, as in the clinic: the database refuses any
change to a signed note or its techniques.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import count

import factory

from clients.models import Authorization, Referral
from clients.tests.factories import ClientFactory, ReferralFactory
from massageclinic.tests.factories import LocationFactory, RoomFactory, UserFactory
from sessions.models import (
    Appointment,
    Goal,
    NoteTechnique,
    Place,
    SessionNote,
    TreatmentPlan,
)
from therapists.models import Modality
from therapists.tests.factories import TherapistFactory


class AppointmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Appointment

    client = factory.SubFactory(ClientFactory)
    therapist = factory.SubFactory(TherapistFactory)
    modality = factory.LazyFunction(lambda: Modality.objects.get(slug="swedish"))
    location = factory.SubFactory(LocationFactory)
    place = Place.ROOM
    room = factory.SubFactory(RoomFactory, location=factory.SelfAttribute("..location"))
    starts_at = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
    ends_at = factory.LazyAttribute(lambda a: a.starts_at + timedelta(minutes=60))
    booked_by = factory.SubFactory(UserFactory)


FIRST_VISIT = datetime(2026, 3, 3, 15, tzinfo=UTC)  # 10:00 in New York


def make_plan(
    *,
    client,
    therapist,
    referral=None,
    status: str = TreatmentPlan.Status.ACTIVE,
    goals: tuple[dict, ...] | None = None,
    **fields,
) -> TreatmentPlan:
    fields.setdefault("starts_on", date(2026, 3, 3))
    fields.setdefault("review_on", date(2026, 4, 14))
    fields.setdefault("visits_planned", 12)
    fields.setdefault("visits_per_week", 2)
    fields.setdefault("problems", ["M54.50"])
    plan = TreatmentPlan.objects.create(
        client=client, therapist=therapist, referral=referral, status=status, **fields
    )
    if goals is None:
        goals = (
            {
                "description": "Reduce low back pain",
                "measure": Goal.Measure.PAIN,
                "unit": "/10",
                "baseline": Decimal(7),
                "target": Decimal(3),
            },
            {
                "description": "Raise the right arm overhead",
                "measure": Goal.Measure.RANGE_OF_MOTION,
                "unit": "°",
                "movement": "right shoulder flexion",
                "baseline": Decimal(120),
                "target": Decimal(170),
            },
        )
    for goal in goals:
        Goal.objects.create(plan=plan, **goal)
    return plan


def referral_for(client, **fields):
    fields.setdefault("diagnosis_codes", ["M54.50", "M62.830"])
    fields.setdefault("diagnosis_text", "Low back pain with muscle spasm")
    return ReferralFactory(client=client, **fields)


def shared_place():
    location = LocationFactory(
        name="Riverside Medical Massage", time_zone="America/New_York"
    )
    return location, RoomFactory(location=location, name="Maple Room")


def signed_visit(
    *,
    client,
    therapist,
    starts_at: datetime,
    plan: TreatmentPlan | None = None,
    pain_before: int | None = None,
    pain_after: int | None = None,
    measures: dict | None = None,
    minutes: dict[str, int] | None = None,
    signed: bool = True,
    place=None,
    status: str = Appointment.Status.COMPLETED,
    **appointment_fields,
) -> Appointment:
    """A visit and its SOAP note, written then (by default) signed."""
    if place is not None:
        appointment_fields["location"], appointment_fields["room"] = place
    visit = AppointmentFactory(
        client=client,
        therapist=therapist,
        plan=plan,
        status=status,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=60),
        **appointment_fields,
    )
    note = SessionNote.objects.create(
        appointment=visit,
        therapist=therapist,
        pain_before=pain_before,
        pain_after=pain_after,
        measures=measures or {},
    )
    for slug, spent in (minutes or {"swedish": 50}).items():
        NoteTechnique.objects.create(
            note=note, modality=Modality.objects.get(slug=slug), minutes=spent
        )
    if signed:
        note.signed_at = starts_at + timedelta(hours=2)
        note.signed_by = therapist.user
        note.content_sha256 = "a" * 64
        note.save()
    return visit


def visits_of_a_plan(plan: TreatmentPlan, place=None, count: int = 4) -> list:
    """`count` signed weekly visits, pain and both goals improving."""
    pain, rom = plan.goals.order_by("pk")
    visits = []
    for n in range(count):
        visits.append(
            signed_visit(
                client=plan.client,
                therapist=plan.therapist,
                plan=plan,
                place=place,
                starts_at=FIRST_VISIT + timedelta(weeks=n),
                pain_before=7 - n,
                pain_after=5 - n,
                measures={str(pain.pk): 6 - n, str(rom.pk): 125 + 10 * n},
            )
        )
    return visits


_visit_slots = count()


def visit_with_note(
    *,
    client,
    authorization: Authorization | None = None,
    referral: Referral | None = None,
    minutes: dict[str, int] | None = None,
    signed: bool = True,
    starts_at: datetime | None = None,
):
    """A completed visit with its SOAP note (signed or not) and technique minutes.

    `minutes` maps modality slugs to minutes, e.g. {"swedish": 30, "trigger-point": 23}.
    """
    if starts_at is None:
        # Each visit its own hour, so the client never has two at once.
        starts_at = datetime(2026, 3, 2, 14, tzinfo=UTC) + timedelta(
            hours=next(_visit_slots)
        )
    visit = AppointmentFactory(
        client=client,
        authorization=authorization,
        referral=referral,
        status=Appointment.Status.COMPLETED,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=60),
    )
    signer = visit.therapist.user
    note = SessionNote.objects.create(appointment=visit, therapist=visit.therapist)
    for slug, spent in (minutes or {"swedish": 60}).items():
        NoteTechnique.objects.create(
            note=note, modality=Modality.objects.get(slug=slug), minutes=spent
        )
    if signed:  # signed last: the database refuses changes to a signed note
        note.signed_at = starts_at + timedelta(hours=2)
        note.signed_by = signer
        note.content_sha256 = "ab" * 32
        note.save()
    return visit
