"""Business rules of the intake form: versions, differences, renewal and signed links.

Every submission is a new version of the client's medical history; none is edited.
A client may fill in their own form through a signed link that names one invitation
row: the row, never the link, says whose form it is, until when, and whether it was
used already.

Submitting writes its audit row inside its own transaction, from the `AuditContext`
it is given; reading the history goes through `history_for_reading` and its siblings,
which write the VIEW row, so every path is audited the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Field, Max, Q

from clients.models import (
    Client,
    Contraindication,
    FlagSource,
    IntakeCondition,
    IntakeInvitation,
    MedicalHistory,
)
from clients.selectors import renewal_due_on
from clients.services import (
    flag_described,
    flag_updated_summary_prefix,
    flags_follow_history,
    history_location,
)
from massageclinic.audit import AuditContext, audit_record
from massageclinic.choices import BodyRegion
from massageclinic.client_links import client_link_expires_at
from massageclinic.clock import local_date, local_today, location_zone
from massageclinic.models import AuditEvent, Location, clinic_policy

INTAKE_LINK_LIFETIME = timedelta(days=7)
INTAKE_LINK_SALT = "clients.intake"
INTAKE_EMAIL_KIND = "intake_request"  # sessions.Reminder.Kind.INTAKE_REQUEST

# The fields a person fills in, in the order of the form and of the differences.
HISTORY_CONTENT_FIELDS = (
    "chief_complaint",
    "pain_areas",
    "pain_level",
    "onset",
    "conditions",
    "other_conditions",
    "medications",
    "allergies",
    "allergic_to_oils",
    "surgeries",
    "pregnant",
    "pregnancy_weeks",
    "takes_anticoagulants",
    "clotting_disorder",
    "dvt_history",
    "long_term_corticosteroids",
    "fragile_skin",
    "skin_conditions",
    "implanted_devices",
    "goals",
)

HISTORY_LABELS = {
    "chief_complaint": "Main complaint",
    "pain_areas": "Where it hurts",
    "pain_level": "Pain (0-10)",
    "onset": "When and how it started",
    "conditions": "Conditions",
    "other_conditions": "Other conditions",
    "medications": "Medications",
    "allergies": "Allergies",
    "allergic_to_oils": "Allergic to massage oils or lotions",
    "surgeries": "Surgeries",
    "pregnant": "Pregnant",
    "pregnancy_weeks": "Weeks of pregnancy",
    "takes_anticoagulants": "Takes anticoagulants (blood thinners)",
    "clotting_disorder": "Clotting or bleeding disorder",
    "dvt_history": "History of deep vein thrombosis (DVT)",
    "long_term_corticosteroids": "Long-term corticosteroids",
    "fragile_skin": "Fragile skin (tears or bruises easily)",
    "skin_conditions": "Skin conditions",
    "implanted_devices": "Implanted devices",
    "goals": "Goals",
    "consent_name": "Consent signed by",
}

_EMPTY = "(none)"


# --- Submitting a version ------------------------------------------------------------


def client_zone(client: Client) -> ZoneInfo:
    """The client's time zone: their preferred location's, else the clinic's first."""
    return location_zone(client.preferred_location)


def client_today(client: Client, now: datetime) -> date:
    """Today where the client is treated (see `massageclinic.clock.local_today`)."""
    return local_today(location=client.preferred_location, now=now)


def _clean_surgeries(raw: object, today: date) -> list[dict[str, str]]:
    """Normalise the surgeries to [{"procedure", "date", "site"}], refusing bad ones."""
    if raw in (None, ""):
        return []
    if not isinstance(raw, list | tuple):
        raise ValidationError({"surgeries": "Give the surgeries as a list."})
    surgeries: list[dict[str, str]] = []
    for position, item in enumerate(raw, start=1):
        if not isinstance(item, Mapping):
            raise ValidationError({"surgeries": f"Surgery {position} is not readable."})
        procedure = str(item.get("procedure") or "").strip()
        when = item.get("date") or ""
        site = str(item.get("site") or "")
        if not (procedure or when or site):
            continue  # an empty row of the form
        if not procedure:
            raise ValidationError(
                {"surgeries": f"Surgery {position}: say what the operation was."}
            )
        if isinstance(when, str) and when:
            try:
                when = date.fromisoformat(when)
            except ValueError:
                raise ValidationError(
                    {"surgeries": f"Surgery {position}: the date is not a date."}
                ) from None
        if isinstance(when, date) and when > today:
            raise ValidationError(
                {
                    "surgeries": f"Surgery {position} ({procedure}): the date "
                    f"{when:%Y-%m-%d} is in the future; give the date it took place."
                }
            )
        if site and site not in BodyRegion.values:
            raise ValidationError(
                {"surgeries": f"Surgery {position}: choose the site from the list."}
            )
        surgeries.append(
            {
                "procedure": procedure[:200],
                "date": when.isoformat() if isinstance(when, date) else "",
                "site": site,
            }
        )
    return surgeries


def _history_field(name: str) -> Field[Any, Any]:
    field = MedicalHistory._meta.get_field(name)
    # HISTORY_CONTENT_FIELDS and "consent_name" are concrete fields of the model.
    assert isinstance(field, Field)
    return field


def _history_values(data: Mapping[str, Any], today: date) -> dict[str, Any]:
    unknown = set(data) - set(HISTORY_CONTENT_FIELDS) - {"consent_name"}
    if unknown:
        raise ValueError(f"Not fields of an intake: {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {}
    for name in HISTORY_CONTENT_FIELDS:
        field = _history_field(name)
        value = data.get(name)
        if value is None and not field.null:
            value = field.get_default()
        if isinstance(value, str):
            value = value.strip()
        values[name] = value
    values["pain_areas"] = list(values["pain_areas"] or [])
    values["conditions"] = list(values["conditions"] or [])
    values["surgeries"] = _clean_surgeries(data.get("surgeries"), today)
    values["consent_name"] = str(data.get("consent_name") or "").strip()

    errors: dict[str, str] = {}
    for name in (*HISTORY_CONTENT_FIELDS, "consent_name"):
        limit = _history_field(name).max_length
        if limit and isinstance(values[name], str) and len(values[name]) > limit:
            errors[name] = f"Keep this under {limit} characters."
    if not values["chief_complaint"]:
        errors["chief_complaint"] = "Say what brings you in."
    pain = values["pain_level"]
    if pain is not None and not 0 <= pain <= 10:
        errors["pain_level"] = "Give the pain as a number from 0 (none) to 10 (worst)."
    if values["pregnant"]:
        weeks = values["pregnancy_weeks"]
        if weeks is not None and not 1 <= weeks <= 42:
            errors["pregnancy_weeks"] = "Give the weeks of pregnancy, from 1 to 42."
    elif values["pregnancy_weeks"] is not None:
        errors["pregnancy_weeks"] = (
            "Weeks of pregnancy only apply when pregnant: tick "
            '"Pregnant" or clear the weeks.'
        )
    bad_areas = set(values["pain_areas"]) - set(BodyRegion.values)
    if bad_areas:
        errors["pain_areas"] = "Choose the painful areas from the list."
    if set(values["conditions"]) - set(IntakeCondition.values):
        errors["conditions"] = "Choose the conditions from the list."
    if not values["consent_name"]:
        errors["consent_name"] = "Type your full name to sign the consent."
    if errors:
        raise ValidationError(errors)
    return values


def _history_create(
    *,
    client: Client,
    data: Mapping[str, Any],
    submitted_by: User | None,
    now: datetime,
    context: AuditContext,
    summary: str,
) -> MedicalHistory:
    """The new version, its audit row (`summary` names "{version}") and its flags.

    The intake's flags follow the new version (`flags_follow_history`), each change
    audited in the same transaction as the version itself.
    """
    values = _history_values(data, client_today(client, now))
    # Lock the client row: two submissions at once must not both become version N,
    # and one racing a merge waits for it. Archived is read on the locked row.
    locked = Client.objects.select_for_update().filter(pk=client.pk).get()
    if locked.is_archived:
        raise ValidationError(
            "This client is archived; restore them before recording a new history."
        )
    last = client.histories.aggregate(last=Max("version"))["last"] or 0
    history = MedicalHistory.objects.create(
        client=client,
        version=last + 1,
        submitted_at=now,
        submitted_by=submitted_by,
        consent_signed_at=now,
        **values,
    )
    audit_record(
        context,
        AuditEvent.Action.CREATE,
        history,
        client_id=client.pk,
        summary=summary.format(version=history.version),
    )
    flags_follow_history(history=history, by=submitted_by, context=context)
    return history


@transaction.atomic
def history_submit(
    *,
    client: Client,
    data: Mapping[str, Any],
    submitted_by: User | None,
    now: datetime,
    context: AuditContext,
) -> MedicalHistory:
    """Store a new version of the client's history; the intake's flags follow it.

    `data` holds the form's fields (see HISTORY_CONTENT_FIELDS, plus consent_name);
    the consent is signed at `now`. The client's own link goes through
    `intake_invitation_submit`.
    """
    return _history_create(
        client=client,
        data=data,
        submitted_by=submitted_by,
        now=now,
        context=context,
        summary="Recorded medical history v{version}",
    )


def history_current(client: Client) -> MedicalHistory | None:
    return client.histories.order_by("-version").first()


# --- Reading the history: every read writes its VIEW row ------------------------------


@dataclass(frozen=True)
class HistoryReading:
    """A client's history versions (newest first) and safety flags, as read."""

    versions: list[MedicalHistory]
    flags: list[Contraindication]

    @property
    def current(self) -> MedicalHistory | None:
        return self.versions[0] if self.versions else None

    @property
    def previous(self) -> MedicalHistory | None:
        return self.versions[1] if len(self.versions) > 1 else None


def history_versions(client: Client) -> list[MedicalHistory]:
    """Every version, newest first, with who submitted it (for the version list)."""
    return list(client.histories.select_related("submitted_by").order_by("-version"))


def history_for_reading(client: Client, *, context: AuditContext) -> HistoryReading:
    """The Medical history tab's health detail; records that it was read."""
    versions = history_versions(client)
    flags = list(
        client.contraindications.select_related(
            "condition",
            "created_by",
            "updated_by",
            "resolved_by",
            "clearance_recorded_by",
            "history",
        ).order_by("resolved_at", "severity", "condition__name", "pk")
    )
    reading = HistoryReading(versions=versions, flags=flags)
    current = reading.current
    seen = f"medical history v{current.version} and " if current else ""
    audit_record(
        context,
        AuditEvent.Action.VIEW,
        current or client,
        client_id=client.pk,
        summary=f"Viewed {seen}safety flags",
    )
    return reading


class FlagChangeKind(StrEnum):
    ADDED = "added"
    UPDATED = "updated"
    RESOLVED = "resolved"


_FLAG_CHANGE_HEADINGS = {
    FlagChangeKind.ADDED: "New flag",
    FlagChangeKind.UPDATED: "Updated",
    FlagChangeKind.RESOLVED: "Resolved",
}


@dataclass(frozen=True)
class FlagChange:
    """One line of what a history version did to the intake's safety flags."""

    kind: FlagChangeKind
    flag: Contraindication
    text: str

    @property
    def heading(self) -> str:
        return _FLAG_CHANGE_HEADINGS[self.kind]


def history_flag_changes(
    history: MedicalHistory, *, client_flags: list[Contraindication] | None = None
) -> list[FlagChange]:
    """What submitting `history` did to the intake's flags, read back from the data.

    The flags it added or updated name it as their `history`, the ones it resolved as
    their `superseded_by`; the audit row of an update tells it from an addition and
    says what changed (the text after `flag_updated_summary_prefix`). At most two
    queries, whatever the number of flags; one when `client_flags` (all the client's
    flags, with their condition) are already loaded. The caller audits the read.
    """
    if client_flags is None:
        flags = list(
            Contraindication.objects.select_related("condition").filter(
                Q(history=history, source=FlagSource.INTAKE) | Q(superseded_by=history)
            )
        )
    else:
        flags = [
            f
            for f in client_flags
            if f.superseded_by_id == history.pk
            or (f.history_id == history.pk and f.source == FlagSource.INTAKE)
        ]
    flags.sort(key=lambda f: (f.condition.name, f.pk))
    prefix = flag_updated_summary_prefix(history.version)
    touched = [f.pk for f in flags if f.superseded_by_id != history.pk]
    updates: dict[int | None, str] = {}
    if touched:
        updates = dict(
            AuditEvent.objects.filter(
                client_id=history.client_id,
                object_type=Contraindication._meta.label,
                object_id__in=touched,
                action=AuditEvent.Action.CHANGE,
                summary__startswith=prefix,
            ).values_list("object_id", "summary")
        )
    changes = []
    for flag in flags:
        if flag.superseded_by_id == history.pk:
            kind = FlagChangeKind.RESOLVED
            text = flag_described(flag, flag.resolution_note)
        elif flag.pk in updates:
            kind = FlagChangeKind.UPDATED
            text = updates[flag.pk].removeprefix(prefix)
        else:
            kind = FlagChangeKind.ADDED
            text = flag_described(flag, flag.detail)
        changes.append(FlagChange(kind=kind, flag=flag, text=text))
    order = list(FlagChangeKind)
    return sorted(changes, key=lambda c: order.index(c.kind))


def history_version_for_reading(
    client: Client, version: int, *, context: AuditContext
) -> MedicalHistory | None:
    """One version of the client's history, or None; records that it was read."""
    shown = (
        client.histories.select_related("submitted_by").filter(version=version).first()
    )
    if shown is not None:
        audit_record(
            context,
            AuditEvent.Action.VIEW,
            shown,
            client_id=client.pk,
            summary=f"Viewed medical history v{shown.version}",
        )
    return shown


def history_for_renewal(
    client: Client, *, context: AuditContext
) -> MedicalHistory | None:
    """The current version, to start the next one from; records that it was read."""
    current = history_current(client)
    if current is not None:
        audit_record(
            context,
            AuditEvent.Action.VIEW,
            current,
            client_id=client.pk,
            summary=f"Opened medical history v{current.version} to renew it",
        )
    return current


# --- Reading versions -----------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    field: str
    label: str
    before: str
    after: str


def surgery_display(surgery: Mapping[str, Any]) -> str:
    parts = [str(surgery.get("procedure") or "").strip() or "Surgery"]
    when = str(surgery.get("date") or "")
    if when:
        try:
            day = date.fromisoformat(when)
            parts.append(f"{day:%b} {day.day}, {day.year}")
        except ValueError:
            parts.append(when)
    site = str(surgery.get("site") or "")
    if site:
        parts.append(
            BodyRegion(site).label.lower() if site in BodyRegion.values else site
        )
    return ", ".join(parts)


def history_value_display(history: MedicalHistory, name: str) -> str:
    """A field's value as a person reads it: labels, Yes/No, (none)."""
    value = getattr(history, name)
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if name == "pain_areas":
        return ", ".join(BodyRegion(v).label for v in value) or _EMPTY
    if name == "conditions":
        return ", ".join(IntakeCondition(v).label for v in value) or _EMPTY
    if name == "surgeries":
        return "; ".join(surgery_display(s) for s in value or []) or _EMPTY
    if name == "pain_level" and value is not None:
        return f"{value}/10"
    if value is None or value == "":
        return _EMPTY
    return str(value)


def history_display(history: MedicalHistory) -> dict[str, Any]:
    """Every answer as a person reads it, for the chart (and the surgeries one by one)."""
    display: dict[str, Any] = {
        name: history_value_display(history, name) for name in HISTORY_CONTENT_FIELDS
    }
    display["surgery_list"] = [surgery_display(s) for s in history.surgeries or []]
    return display


def history_diff(
    *, current: MedicalHistory, previous: MedicalHistory | None
) -> list[Change]:
    """What changed from `previous` to `current`, field by field, in form order."""
    if previous is None:
        return []
    changes = []
    for name in HISTORY_CONTENT_FIELDS:
        if _comparable(previous, name) == _comparable(current, name):
            continue
        changes.append(
            Change(
                field=name,
                label=HISTORY_LABELS[name],
                before=history_value_display(previous, name),
                after=history_value_display(current, name),
            )
        )
    return changes


def _comparable(history: MedicalHistory, name: str) -> object:
    value = getattr(history, name)
    if name in ("pain_areas", "conditions"):
        return sorted(value or [])
    if name == "surgeries":
        return [surgery_display(s) for s in value or []]
    if isinstance(value, str):
        return value.strip()
    return value


def history_renewal_due_on(
    history: MedicalHistory, *, months: int | None = None
) -> date:
    """The last day the history counts as current (the clinic's renewal setting)."""
    if months is None:
        months = clinic_policy().intake_renewal_months
    return renewal_due_on(
        history.submitted_at, months, location=history_location(history)
    )


def history_needs_renewal(
    *, history: MedicalHistory | None, today: date, months: int | None = None
) -> bool:
    """Older than the clinic's renewal period (12 months by default); no history too.

    `months` defaults to the clinic policy's; pass it to spare a query in a loop.
    """
    if history is None:
        return True
    return today > history_renewal_due_on(history, months=months)


# --- The client's own link ------------------------------------------------------------


@transaction.atomic
def intake_invitation_create(
    *, client: Client, by: User, now: datetime
) -> IntakeInvitation:
    """A link the client can use once, within 7 days, and the email that carries it.

    The email is a row in the outbound-message table; the reminder sweep sends it.
    Without an address, or when the client turned email off, the row is recorded as
    skipped so the desk sees why, and reads the link out or copies it instead.
    """
    if client.is_archived:
        raise ValidationError(
            "This client is archived; restore them before sending an intake link."
        )
    invitation = IntakeInvitation.objects.create(
        client=client,
        created_by=by,
        # A week, or less when the clinic keeps its client links shorter.
        expires_at=min(now + INTAKE_LINK_LIFETIME, client_link_expires_at(now)),
        sent_to=client.email if client.email_reminders else "",
    )
    skip_reason = ""
    if not client.email:
        skip_reason = "no email address"
    elif not client.email_reminders:
        skip_reason = "client opted out of email"
    # Through the reverse relation: clients sits below sessions and never imports it.
    client.reminders.create(
        kind=INTAKE_EMAIL_KIND,
        intake_invitation=invitation,
        to_email=client.email,
        send_at=now,
        status="skipped" if skip_reason else "pending",
        skip_reason=skip_reason,
    )
    return invitation


def intake_invitation_token(invitation: IntakeInvitation) -> str:
    return signing.dumps(invitation.pk, salt=INTAKE_LINK_SALT)


class IntakeLinkError(ValidationError):
    """The link cannot be used; `code` is "invalid", "expired" or "used"."""


def _long_date(moment: datetime, location: Location | None) -> str:
    day = local_date(moment, location)
    return f"{day:%B} {day.day}, {day.year}"


def intake_invitation_open(
    *, token: str, now: datetime, for_update: bool = False
) -> IntakeInvitation:
    """The invitation a link names, if it may still be used; otherwise IntakeLinkError."""
    try:
        invitation_id = signing.loads(token, salt=INTAKE_LINK_SALT)
    except signing.BadSignature:
        invitation_id = None
    if not isinstance(invitation_id, int):
        raise IntakeLinkError(
            "This link is not valid. Check that it was copied in full, or ask the "
            "clinic for a new one.",
            code="invalid",
        )
    invitations = IntakeInvitation.objects.select_related("client")
    if for_update:
        invitations = invitations.select_for_update(of=("self",))
    invitation = invitations.filter(pk=invitation_id).first()
    if invitation is None:
        raise IntakeLinkError(
            "This link is no longer valid. Ask the clinic for a new one.",
            code="invalid",
        )
    if invitation.used_at is not None:
        raise IntakeLinkError(
            "This form was already sent to the clinic. Thank you! If something "
            "changed, ask the clinic for a new link.",
            code="used",
        )
    if invitation.expires_at <= now:
        # The client reads the date where they are treated, not in UTC.
        expired_on = _long_date(
            invitation.expires_at, invitation.client.preferred_location
        )
        raise IntakeLinkError(
            f"This link expired on {expired_on}. Ask the clinic for a new one.",
            code="expired",
        )
    return invitation


@transaction.atomic
def intake_invitation_submit(
    *, token: str, data: Mapping[str, Any], now: datetime, context: AuditContext
) -> MedicalHistory:
    """The client's own submission: a new version for the invitation's client only.

    The client has no login: `context` names no user, only the link's page.
    """
    # Locked, so that the same link sent twice at once is used once.
    invitation = intake_invitation_open(token=token, now=now, for_update=True)
    history = _history_create(
        client=invitation.client,
        data=data,
        submitted_by=None,
        now=now,
        context=context,
        summary="Client sent medical history v{version} by link",
    )
    invitation.used_at = now
    invitation.history = history
    invitation.save(update_fields=["used_at", "history"])
    return history


def intake_invitation_status(invitation: IntakeInvitation, now: datetime) -> str:
    if invitation.used_at is not None:
        return "used"
    if invitation.expires_at <= now:
        return "expired"
    return "open"
