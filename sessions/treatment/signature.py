"""What a signature on a SOAP note covers, its SHA-256, and checking it still holds.

`note_content()` is the one definition of what a signature covers; signing stores the
hash of it, and `note_verify()` tells whether the stored note still matches.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sessions.models import NoteTechnique, SessionNote


def note_content(
    note: SessionNote, techniques: list[tuple[str, int]]
) -> dict[str, Any]:
    """What a signature covers: every clinical field of the note and its techniques."""
    return {
        "appointment": note.appointment_id,
        "therapist": note.therapist_id,
        "complaint": note.complaint,
        "pain_before": note.pain_before,
        "changes_since_last": note.changes_since_last,
        "home_care_report": note.home_care_report,
        "findings": note.findings,
        "measures": note.measures,
        "areas_treated": list(note.areas_treated),
        "pressure": note.pressure,
        "response": note.response,
        "pain_after": note.pain_after,
        "adverse_reactions": note.adverse_reactions,
        "next_focus": note.next_focus,
        "home_care_given": note.home_care_given,
        "safety_acknowledgement": note.safety_acknowledgement,
        "techniques": sorted([slug, minutes] for slug, minutes in techniques),
    }


def content_sha256(content: dict[str, Any]) -> str:
    encoded = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()


def _stored_techniques(note: SessionNote) -> list[tuple[str, int]]:
    return [
        (slug, minutes)
        for slug, minutes in NoteTechnique.objects.filter(note=note).values_list(
            "modality__slug", "minutes"
        )
    ]


def note_verify(note: SessionNote) -> bool:
    """Does the stored hash still match the stored content? False for a draft."""
    if not note.is_signed or not note.content_sha256:
        return False
    stored = SessionNote.objects.get(pk=note.pk)
    digest = content_sha256(note_content(stored, _stored_techniques(stored)))
    return digest == note.content_sha256 == stored.content_sha256
