"""The seeder's SOAP notes: one per completed visit, written, then (mostly) signed.

A mixin of `DemoSeeder`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from massageclinic.choices import BodyRegion
from sessions.demo import data, scenarios, stories
from sessions.demo.care import MINUTE, Care, Status
from sessions.models import (
    Appointment,
    Goal,
    NoteTechnique,
    SessionNote,
)
from sessions.treatment.signature import content_sha256, note_content
from therapists.models import Modality


class Notes:
    # ---------------------------------------------------------- SOAP notes

    def _notes(self, appointments: list[Appointment], cares: dict[int, Care]) -> None:
        completed = sorted(
            (a for a in appointments if a.status == Status.COMPLETED),
            key=lambda a: a.starts_at,
        )
        drafts = self._draft_ids(completed)
        visit_number: dict[int, int] = defaultdict(int)
        notes: list[SessionNote] = []
        techniques: list[list[tuple[Modality, int]]] = []
        signatures: list[tuple[SessionNote, object, object, str]] = []
        for appointment in completed:
            care = cares[appointment.client_id]
            number = visit_number[care.client.pk]
            visit_number[care.client.pk] += 1
            note, used = self._note(appointment, care, number)
            signed_at = appointment.ends_at + self.rng.randint(10, 300) * MINUTE
            if appointment.pk not in drafts and signed_at <= self.now:
                content = note_content(note, [(m.slug, n) for m, n in used])
                signatures.append(
                    (
                        note,
                        signed_at,
                        appointment.therapist.user,
                        content_sha256(content),
                    )
                )
            notes.append(note)
            techniques.append(used)
        # Written as a therapist would: draft and techniques first, then the signature
        # (the database refuses any change to a signed note, techniques included).
        SessionNote.objects.bulk_create(notes)
        NoteTechnique.objects.bulk_create(
            NoteTechnique(note=note, modality=modality, minutes=minutes)
            for note, used in zip(notes, techniques, strict=True)
            for modality, minutes in used
        )
        for note, signed_at, signer, digest in signatures:
            note.signed_at, note.signed_by, note.content_sha256 = (
                signed_at,
                signer,
                digest,
            )
        SessionNote.objects.bulk_update(
            [note for note, *_ in signatures],
            ["signed_at", "signed_by", "content_sha256"],
        )
        signed = len(signatures)
        self.say(
            f"{len(notes)} SOAP notes ({signed} signed, {len(notes) - signed} drafts)."
        )

    def _draft_ids(self, completed: list[Appointment]) -> set[int]:
        recent = [a for a in completed if self.now - a.ends_at < timedelta(hours=72)]
        self.rng.shuffle(recent)
        return {a.pk for a in recent[:5]}

    def _note(
        self, appointment: Appointment, care: Care, number: int
    ) -> tuple[SessionNote, list[tuple[Modality, int]]]:
        rng = self.rng
        scenario = care.scenario or scenarios.SCENARIOS["wellness"]
        pain_before = max(
            1, min(10, round(care.pain - 0.4 * number) + rng.choice((-1, 0, 0, 1)))
        )
        pain_after = max(0, pain_before - rng.randint(1, 3))
        note = SessionNote(
            appointment=appointment,
            therapist=appointment.therapist,
            complaint=rng.choice(scenario.subjective),
            pain_before=pain_before,
            changes_since_last="First visit."
            if number == 0
            else rng.choice(data.CHANGES_SINCE_LAST),
            home_care_report="" if number == 0 else rng.choice(data.HOME_CARE_REPORTS),
            findings=rng.choice(scenario.findings),
            measures=self._measures(care, number, pain_before),
            areas_treated=self._areas(care, scenario),
            pressure=care.pressure,
            response=rng.choice(scenario.responses),
            pain_after=pain_after,
            adverse_reactions=rng.choice(data.ADVERSE_REACTIONS)
            if rng.random() < 0.08
            else "",
            next_focus=rng.choice(scenario.next_focus),
            home_care_given=scenario.home_care,
            safety_acknowledgement=appointment.safety_acknowledgement,
        )
        return note, self._techniques(appointment, care)

    def _measures(self, care: Care, number: int, pain: int) -> dict[str, float]:
        measures: dict[str, float] = {}
        planned = care.plan.visits_planned if care.plan else 1
        progress = min(0.9, (number + 1) / planned)
        for goal in care.goals:
            if goal.measure == Goal.Measure.PAIN:
                measures[str(goal.pk)] = pain
            elif goal.baseline is not None and goal.target is not None:
                value = goal.baseline + (goal.target - goal.baseline) * Decimal(
                    str(round(progress * self.rng.uniform(0.7, 1.0), 2))
                )
                measures[str(goal.pk)] = float(round(value, 1))
        return measures

    @staticmethod
    def _areas(care: Care, scenario: stories.Scenario) -> list[str]:
        avoid = (
            {BodyRegion.KNEE_RIGHT if "right" in scenario.key else BodyRegion.KNEE_LEFT}
            if "recent-surgery" in care.flags
            else set()
        )
        if care.special and care.special.device_region:
            avoid.add(care.special.device_region)
        return [a for a in scenario.areas if a not in avoid]

    def _techniques(
        self, appointment: Appointment, care: Care
    ) -> list[tuple[Modality, int]]:
        """Minutes per technique: the main one first, a hot pack now and then."""
        rng = self.rng
        main = appointment.modality
        others = [m for m in care.modalities if m.is_timed and m != main]
        packs = [m for m in care.modalities if not m.is_timed]
        timed_total = appointment.duration_minutes - 5
        used: list[tuple[Modality, int]] = []
        if packs and rng.random() < 0.5:
            used.append((packs[0], 10))
            timed_total -= 10
        extra = rng.sample(others, k=min(len(others), rng.choice((0, 1, 1, 2))))
        if not extra or timed_total < 30:
            return [(main, timed_total), *used]
        main_minutes = 5 * round(timed_total * 0.55 / 5)
        rest = timed_total - main_minutes
        if len(extra) == 1:
            shares = [rest]
        else:
            first = 5 * round(rest * 0.6 / 5)
            shares = [first, rest - first]
        return [(main, main_minutes), *zip(extra, shares, strict=True), *used]
