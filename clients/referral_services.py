"""Business rules for referrals (prescriptions), insurance policies and authorizations.

Each function checks what a person can get wrong and says how to fix it; the database
constraints stay the last word, and a lost race (two people saving the same NPI or
authorization number at once) becomes the same message, not an error page. Each
change writes its audit row in its own transaction, from the `AuditContext` it is
given, so the row exists exactly when the change committed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction

from clients.models import (
    Authorization,
    Client,
    InsurancePolicy,
    Payer,
    Referral,
    ReferringProvider,
)
from clients.uploads import rename_for_storage, validate_upload
from massageclinic.audit import AuditContext, audit_record
from massageclinic.models import AuditEvent
from massageclinic.validators import npi_is_valid
from therapists.models import Modality


@dataclass(frozen=True)
class ProviderDetails:
    """A referring provider not yet on file."""

    name: str
    credentials: str
    npi: str
    practice: str = ""
    phone: str = ""
    fax: str = ""


@dataclass(frozen=True)
class ReferralDetails:
    referred_on: date
    diagnosis_codes: Sequence[str]
    diagnosis_text: str
    visits_authorized: int
    expires_on: date
    modalities: Sequence[Modality] = ()
    cpt_codes: Sequence[str] = ()
    body_areas: Sequence[str] = ()
    visits_per_week: int = 1
    duration_weeks: int = 6
    session_minutes: int = 60
    precautions: str = ""


def _provider_taken_message(existing: ReferringProvider) -> str:
    return (
        f"NPI {existing.npi} is already on file for {existing}: choose them from the "
        "list of referring providers instead of entering them again."
    )


@transaction.atomic
def referring_provider_create(*, details: ProviderDetails) -> ReferringProvider:
    """Add a referring provider; the NPI must be valid and not on file yet."""
    npi = details.npi.strip()
    if not npi_is_valid(npi):
        raise ValidationError(
            {
                "provider_npi": f"{npi or 'An empty value'} is not a valid NPI: it must "
                "be 10 digits with a correct check digit."
            }
        )
    existing = ReferringProvider.objects.filter(npi=npi).first()
    if existing is not None:
        raise ValidationError({"provider_npi": _provider_taken_message(existing)})
    provider = ReferringProvider(
        name=details.name.strip(),
        credentials=details.credentials.strip(),
        npi=npi,
        practice=details.practice.strip(),
        phone=details.phone.strip(),
        fax=details.fax.strip(),
    )
    try:
        with transaction.atomic():
            provider.save()
    except IntegrityError:
        raise ValidationError(
            {
                "provider_npi": _provider_taken_message(
                    ReferringProvider.objects.get(npi=npi)
                )
            }
        ) from None
    return provider


def _check_referral(*, details: ReferralDetails, today: date) -> None:
    errors: dict[str, str] = {}
    if details.referred_on > today:
        errors["referred_on"] = (
            "A referral cannot be dated in the future; enter the date the provider "
            "signed it."
        )
    if details.expires_on < details.referred_on:
        errors["expires_on"] = (
            f"The referral cannot expire before its date "
            f"({details.referred_on:%b %-d, %Y}); check both dates."
        )
    if not details.diagnosis_codes:
        errors["diagnosis_codes"] = "Enter at least one ICD-10 code, e.g. M54.50."
    if not details.modalities and not details.cpt_codes:
        errors["prescribed_modalities"] = (
            "Tick the prescribed modalities or enter the prescribed CPT codes (or both)."
        )
    if details.visits_authorized < 1:
        errors["visits_authorized"] = "A referral authorizes at least one visit."
    if details.visits_per_week < 1 or details.duration_weeks < 1:
        errors["visits_per_week"] = (
            "Enter the frequency as at least 1 visit a week for at least 1 week."
        )
    if details.session_minutes < 15:
        errors["session_minutes"] = "A session lasts at least 15 minutes."
    if errors:
        raise ValidationError(errors)


def _resolve_provider(
    *, provider: ReferringProvider | None, new_provider: ProviderDetails | None
) -> ReferringProvider:
    if provider is not None and new_provider is not None:
        raise ValidationError(
            "Choose a referring provider from the list or enter a new one, not both."
        )
    if provider is not None:
        return provider
    if new_provider is not None:
        return referring_provider_create(details=new_provider)
    raise ValidationError(
        {
            "provider": "Choose the referring provider from the list, or enter a new "
            "one's name, credentials and NPI."
        }
    )


def _apply(
    referral: Referral, details: ReferralDetails, document: UploadedFile | None
) -> None:
    referral.referred_on = details.referred_on
    referral.diagnosis_codes = list(details.diagnosis_codes)
    referral.diagnosis_text = details.diagnosis_text.strip()
    referral.prescribed_cpt_codes = list(details.cpt_codes)
    referral.body_areas = list(details.body_areas)
    referral.visits_per_week = details.visits_per_week
    referral.duration_weeks = details.duration_weeks
    referral.session_minutes = details.session_minutes
    referral.visits_authorized = details.visits_authorized
    referral.expires_on = details.expires_on
    referral.precautions = details.precautions.strip()
    if document is not None:
        referral.document = rename_for_storage(document, validate_upload(document))


def _audit_referral(context: AuditContext, action: str, referral: Referral) -> None:
    audit_record(
        context,
        action,
        referral,
        client_id=referral.client_id,
        summary=f"Referral {', '.join(referral.diagnosis_codes)}",
    )


@transaction.atomic
def referral_create(
    *,
    client: Client,
    details: ReferralDetails,
    provider: ReferringProvider | None = None,
    new_provider: ProviderDetails | None = None,
    document: UploadedFile | None = None,
    today: date,
    context: AuditContext,
) -> Referral:
    """Record a physician's prescription, adding its provider if they are new."""
    _check_referral(details=details, today=today)
    referral = Referral(
        client=client,
        provider=_resolve_provider(provider=provider, new_provider=new_provider),
    )
    _apply(referral, details, document)
    referral.full_clean(exclude=["document"])
    referral.save()
    referral.prescribed_modalities.set(details.modalities)
    _audit_referral(context, AuditEvent.Action.CREATE, referral)
    return referral


@transaction.atomic
def referral_update(
    *,
    referral: Referral,
    details: ReferralDetails,
    provider: ReferringProvider | None = None,
    new_provider: ProviderDetails | None = None,
    document: UploadedFile | None = None,
    today: date,
    context: AuditContext,
) -> Referral:
    """Correct a referral; a new scan replaces the old one (which stays on disk)."""
    _check_referral(details=details, today=today)
    referral.provider = _resolve_provider(provider=provider, new_provider=new_provider)
    _apply(referral, details, document)
    referral.full_clean(exclude=["document"])
    referral.save()
    referral.prescribed_modalities.set(details.modalities)
    _audit_referral(context, AuditEvent.Action.CHANGE, referral)
    return referral


def _check_member_id(
    *, payer: Payer, member_id: str, exclude_pk: int | None = None
) -> None:
    """A member id is required, and names one policy at its payer."""
    if not member_id:
        raise ValidationError({"member_id": "Enter the member id from the card."})
    taken = InsurancePolicy.objects.filter(payer=payer, member_id=member_id)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    other = taken.select_related("client").first()
    if other is not None:
        raise ValidationError(
            {
                "member_id": f"Member id {member_id} at {payer} is already on file "
                f"for {other.client}; check the card."
            }
        )


def _save_policy(
    policy: InsurancePolicy, *, update_fields: Sequence[str] | None = None
) -> None:
    """Save; a lost race for the same member id becomes the same kind of message."""
    try:
        with transaction.atomic():
            policy.save(update_fields=update_fields)
    except IntegrityError:
        raise ValidationError(
            {
                "member_id": f"Member id {policy.member_id} at {policy.payer} is "
                "already on file."
            }
        ) from None


@transaction.atomic
def insurance_policy_create(
    *,
    client: Client,
    member_id: str,
    payer: Payer | None = None,
    new_payer_name: str = "",
    group_number: str = "",
    subscriber_name: str = "",
    context: AuditContext,
) -> InsurancePolicy:
    """Add a client's insurance policy, with its payer if the clinic has none by that name."""
    new_payer_name = new_payer_name.strip()
    member_id = member_id.strip()
    if payer is not None and new_payer_name:
        raise ValidationError(
            "Choose a payer from the list or enter a new payer's name, not both."
        )
    if payer is None:
        if not new_payer_name:
            raise ValidationError(
                {"payer": "Choose the payer, or enter a new payer's name."}
            )
        payer = Payer.objects.filter(name__iexact=new_payer_name).first()
        if payer is None:
            payer = Payer.objects.create(name=new_payer_name)
    _check_member_id(payer=payer, member_id=member_id)
    policy = InsurancePolicy(
        client=client,
        payer=payer,
        member_id=member_id,
        group_number=group_number.strip(),
        subscriber_name=subscriber_name.strip(),
    )
    _save_policy(policy)
    audit_record(
        context,
        AuditEvent.Action.CREATE,
        policy,
        client_id=client.pk,
        summary=f"Insurance policy with {payer}",
    )
    return policy


# What an audit summary calls each field a policy's edit can change.
_POLICY_FIELD_NAMES = {
    "member_id": "member id",
    "group_number": "group number",
    "subscriber_name": "subscriber",
    "is_active": "active",
}


@transaction.atomic
def insurance_policy_update(
    *,
    policy: InsurancePolicy,
    member_id: str,
    group_number: str,
    subscriber_name: str,
    is_active: bool,
    context: AuditContext,
) -> InsurancePolicy:
    """Correct a policy's member id, group or subscriber, or mark it ended.

    The payer stays: a different payer is a new policy. An inactive policy is no
    longer picked for new visits; its authorizations stay on file. Nothing is
    written, not even an audit row, when nothing changed.
    """
    member_id = member_id.strip()
    wanted: dict[str, str | bool] = {
        "member_id": member_id,
        "group_number": group_number.strip(),
        "subscriber_name": subscriber_name.strip(),
        "is_active": is_active,
    }
    changed = [name for name, value in wanted.items() if getattr(policy, name) != value]
    if not changed:
        return policy
    if "member_id" in changed:
        _check_member_id(payer=policy.payer, member_id=member_id, exclude_pk=policy.pk)
    for name in changed:
        setattr(policy, name, wanted[name])
    _save_policy(policy, update_fields=changed)
    audit_record(
        context,
        AuditEvent.Action.CHANGE,
        policy,
        client_id=policy.client_id,
        summary=f"Insurance policy with {policy.payer}: "
        + ", ".join(_POLICY_FIELD_NAMES[name] for name in changed),
    )
    return policy


def _check_authorization(
    *,
    policy: InsurancePolicy,
    referral: Referral | None,
    number: str,
    visits_authorized: int | None,
    units_authorized: int | None,
    valid_from: date,
    valid_to: date,
    exclude_pk: int | None,
) -> None:
    errors: dict[str, str] = {}
    if referral is not None and referral.client_id != policy.client_id:
        errors["referral"] = "Choose one of this client's referrals."
    if not number.strip():
        errors["number"] = "Enter the authorization number the payer gave."
    if visits_authorized is None and units_authorized is None:
        errors["visits_authorized"] = (
            "Enter the visits authorized, the units authorized, or both."
        )
    for name, value in (
        ("visits_authorized", visits_authorized),
        ("units_authorized", units_authorized),
    ):
        if value is not None and value < 1:
            errors[name] = "Enter a number of at least 1, or leave it empty."
    if valid_to < valid_from:
        errors["valid_to"] = (
            f"The authorization cannot end before it starts "
            f"({valid_from:%b %-d, %Y}); check both dates."
        )
    duplicate = Authorization.objects.filter(policy=policy, number=number.strip())
    if exclude_pk is not None:
        duplicate = duplicate.exclude(pk=exclude_pk)
    if number.strip() and duplicate.exists():
        errors["number"] = (
            f"Authorization {number.strip()} is already on file for this policy."
        )
    if errors:
        raise ValidationError(errors)


def _save_authorization(
    authorization: Authorization, *, context: AuditContext, action: str
) -> Authorization:
    try:
        with transaction.atomic():
            authorization.save()
    except IntegrityError:
        raise ValidationError(
            {
                "number": f"Authorization {authorization.number} is already on file "
                "for this policy."
            }
        ) from None
    audit_record(
        context,
        action,
        authorization,
        client_id=authorization.policy.client_id,
        summary=f"Authorization {authorization.number}",
    )
    return authorization


@transaction.atomic
def authorization_create(
    *,
    policy: InsurancePolicy,
    number: str,
    valid_from: date,
    valid_to: date,
    visits_authorized: int | None = None,
    units_authorized: int | None = None,
    referral: Referral | None = None,
    context: AuditContext,
) -> Authorization:
    """Record a payer's authorization: visits and/or units, between two dates."""
    _check_authorization(
        policy=policy,
        referral=referral,
        number=number,
        visits_authorized=visits_authorized,
        units_authorized=units_authorized,
        valid_from=valid_from,
        valid_to=valid_to,
        exclude_pk=None,
    )
    return _save_authorization(
        Authorization(
            policy=policy,
            referral=referral,
            number=number.strip(),
            visits_authorized=visits_authorized,
            units_authorized=units_authorized,
            valid_from=valid_from,
            valid_to=valid_to,
        ),
        context=context,
        action=AuditEvent.Action.CREATE,
    )


@transaction.atomic
def authorization_update(
    *,
    authorization: Authorization,
    policy: InsurancePolicy,
    number: str,
    valid_from: date,
    valid_to: date,
    visits_authorized: int | None = None,
    units_authorized: int | None = None,
    referral: Referral | None = None,
    context: AuditContext,
) -> Authorization:
    """Correct an authorization. Usage is derived, so it is not part of it."""
    if policy.client_id != authorization.policy.client_id:
        raise ValidationError({"policy": "Choose one of this client's policies."})
    _check_authorization(
        policy=policy,
        referral=referral,
        number=number,
        visits_authorized=visits_authorized,
        units_authorized=units_authorized,
        valid_from=valid_from,
        valid_to=valid_to,
        exclude_pk=authorization.pk,
    )
    authorization.policy = policy
    authorization.referral = referral
    authorization.number = number.strip()
    authorization.visits_authorized = visits_authorized
    authorization.units_authorized = units_authorized
    authorization.valid_from = valid_from
    authorization.valid_to = valid_to
    return _save_authorization(
        authorization, context=context, action=AuditEvent.Action.CHANGE
    )
