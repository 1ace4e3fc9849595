"""The referrals tab of the chart and the referral form: access, messages, audit."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.urls import reverse

from clients.models import Referral, ReferringProvider
from clients.tests.factories import (
    AuthorizationFactory,
    ClientFactory,
    InsurancePolicyFactory,
    ReferralFactory,
    ReferringProviderFactory,
)
from massageclinic.models import AuditEvent
from sessions.tests.factories import AppointmentFactory, visit_with_note
from therapists.tests.factories import modality

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(datetime(2026, 3, 20, 15, tzinfo=UTC), tick=False):
        yield


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def patient():
    return ClientFactory(first_name="Grace", last_name="Okafor")


def _tab(patient) -> str:
    return reverse("clients:referrals", args=[patient.pk])


def _add(patient) -> str:
    return reverse("clients:referral_add", args=[patient.pk])


# --- Access -----------------------------------------------------------------------


def test_anonymous_people_are_sent_to_log_in(client, patient):
    for url in (_tab(patient), _add(patient)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_a_therapist_who_does_not_treat_the_client_gets_404(
    client, therapist, other_therapist, patient
):
    AppointmentFactory(client=patient, therapist=other_therapist)
    referral = ReferralFactory(client=patient)
    client.force_login(therapist.user)

    assert client.get(_tab(patient)).status_code == 404
    assert client.get(_add(patient)).status_code == 404
    edit = reverse("clients:referral_edit", args=[patient.pk, referral.pk])
    assert client.get(edit).status_code == 404


def test_a_treating_therapist_reads_the_tab_but_may_not_write(
    client, therapist, patient
):
    AppointmentFactory(client=patient, therapist=therapist)
    referral = ReferralFactory(client=patient)
    client.force_login(therapist.user)

    response = client.get(_tab(patient))
    assert response.status_code == 200
    assert "Add a referral" not in response.content.decode()
    assert client.get(_add(patient)).status_code == 403
    assert client.post(_add(patient), {}).status_code == 403
    edit = reverse("clients:referral_edit", args=[patient.pk, referral.pk])
    assert client.get(edit).status_code == 403


def test_a_user_without_a_role_is_refused(client, patient):
    from massageclinic.tests.factories import UserFactory

    client.force_login(UserFactory())
    assert client.get(_tab(patient)).status_code == 403


# --- The tab ------------------------------------------------------------------------


def test_the_tab_shows_the_referral_its_usage_and_what_is_due(
    client, front_desk, patient
):
    provider = ReferringProviderFactory(
        name="Dr. Ana Ruiz",
        credentials="DC",
        npi="1234567893",
        practice="Albany Spine",
        phone="(518) 555-0142",
        fax="(518) 555-0143",
    )
    referral = ReferralFactory(
        client=patient,
        provider=provider,
        referred_on=date(2026, 2, 2),
        diagnosis_codes=["M54.50", "M62.830"],
        diagnosis_text="Chronic low back pain with spasm",
        body_areas=["lower_back", "hip_glute_left"],
        duration_weeks=6,
        visits_authorized=5,
        expires_on=date(2026, 3, 30),
        precautions="No deep pressure over L4-L5.",
    )
    referral.prescribed_modalities.set([modality("myofascial-release")])
    for _ in range(4):
        visit_with_note(client=patient, referral=referral)
    client.force_login(front_desk)

    response = client.get(_tab(patient))

    page = response.content.decode()
    assert response.status_code == 200
    for text in (
        "Dr. Ana Ruiz, DC",
        "NPI 1234567893",
        "Albany Spine",
        "Fax (518) 555-0143",
        "M62.830",
        "Low back pain",
        "Chronic low back pain with spasm",
        "Myofascial release",
        "CPT 97124",
        "Lower back, Left hip and glute",
        "2x/week for 6 weeks",
        "expires in 10 days",
        "No deep pressure over L4-L5.",
        "4 of 5 prescribed visits used: 1 left.",
        "Progress report due",
        "No scan on file",
    ):
        assert text in page, text
    assert 'aria-valuenow="4"' in page and 'aria-valuemax="5"' in page
    assert response.context["chart_tab"] == "referrals"
    event = AuditEvent.objects.get()
    assert (event.action, event.client_id, event.user) == (
        AuditEvent.Action.VIEW,
        patient.pk,
        front_desk,
    )


def test_the_tab_shows_authorization_bars_for_visits_and_units(
    client, manager, patient
):
    policy = InsurancePolicyFactory(client=patient, member_id="XJH1234567")
    auth = AuthorizationFactory(
        policy=policy,
        number="A-778",
        visits_authorized=10,
        units_authorized=5,
        valid_to=date(2026, 3, 30),
    )
    visit_with_note(client=patient, authorization=auth, minutes={"swedish": 53})
    client.force_login(manager)

    page = client.get(_tab(patient)).content.decode()

    assert "Authorization A-778" in page
    assert "Member XJH1234567" in page
    assert 'aria-label="Visits used"' in page
    assert 'aria-valuetext="1 of 10 visits used"' in page
    assert 'aria-valuetext="4 of 5 units used"' in page
    assert "4 of 5 authorized units used (80%): 1 left." in page
    assert "Expires in 10 days." in page


def test_the_tab_query_count_does_not_grow_with_rows(
    client, front_desk, django_assert_max_num_queries
):
    def build(n: int):
        patient = ClientFactory()
        for _ in range(n):
            referral = ReferralFactory(client=patient)
            auth = AuthorizationFactory(
                policy=InsurancePolicyFactory(client=patient),
                referral=referral,
                units_authorized=20,
            )
            visit_with_note(client=patient, authorization=auth, referral=referral)
        return patient

    small, large = build(1), build(5)
    client.force_login(front_desk)
    client.get(_tab(small))  # warm the session and the clinic policy

    with django_assert_max_num_queries(14) as few:
        client.get(_tab(small))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(_tab(large))
    assert response.content.decode().count("Prescribed visits used") == 5


# --- The form -----------------------------------------------------------------------


def _valid_post(**changes) -> dict[str, object]:
    data = {
        "provider": "",
        "provider_name": "Dr. Ana Ruiz",
        "provider_credentials": "DC",
        "provider_npi": "1234567893",
        "provider_practice": "Albany Spine",
        "provider_phone": "(518) 555-0142",
        "provider_fax": "(518) 555-0143",
        "referred_on": "2026-03-02",
        "expires_on": "2026-06-30",
        "diagnosis_codes": "m54.50, s13.4xxa",
        "diagnosis_text": "Low back pain; whiplash",
        "prescribed_modalities": [modality("swedish").pk],
        "prescribed_cpt_codes": "97124 97140",
        "body_areas": ["neck", "lower_back"],
        "visits_per_week": "2",
        "duration_weeks": "6",
        "session_minutes": "60",
        "visits_authorized": "12",
        "precautions": "Avoid the left carotid area.",
    }
    data.update(changes)
    return data


def test_the_front_desk_records_a_referral_with_a_new_provider(
    client, front_desk, patient
):
    client.force_login(front_desk)

    response = client.post(_add(patient), _valid_post())

    assert response.status_code == 302
    assert response["Location"] == _tab(patient)
    referral = Referral.objects.get()
    assert referral.client == patient
    assert referral.provider.npi == "1234567893"
    assert referral.provider.practice == "Albany Spine"
    assert referral.diagnosis_codes == ["M54.50", "S13.4XXA"]
    assert referral.prescribed_cpt_codes == ["97124", "97140"]
    assert referral.body_areas == ["neck", "lower_back"]
    assert list(referral.prescribed_modalities.all()) == [modality("swedish")]
    assert referral.frequency_display == "2x/week for 6 weeks"
    assert not referral.document
    event = AuditEvent.objects.get(action=AuditEvent.Action.CREATE)
    assert (event.object_type, event.object_id) == ("clients.Referral", referral.pk)


def test_an_existing_provider_can_be_chosen(client, manager, patient):
    provider = ReferringProviderFactory()
    client.force_login(manager)
    blank = dict.fromkeys(
        [
            "provider_name",
            "provider_credentials",
            "provider_npi",
            "provider_practice",
            "provider_phone",
            "provider_fax",
        ],
        "",
    )

    response = client.post(_add(patient), _valid_post(provider=provider.pk, **blank))

    assert response.status_code == 302
    assert Referral.objects.get().provider == provider
    assert ReferringProvider.objects.count() == 1


def _errors(response) -> dict[str, list[str]]:
    assert response.status_code == 200
    return response.context["form"].errors


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"provider_npi": "1234567890"},
            "provider_npi",
            "1234567890 is not a valid NPI: it must be 10 digits with a correct check "
            "digit. Check it against the prescription.",
        ),
        (
            {"diagnosis_codes": "M54.50, 54.50"},
            "diagnosis_codes",
            "“54.50” is not an ICD-10-CM code: a code is a letter, a digit, a digit or "
            "letter, then optionally a dot and 1-4 more characters, e.g. M54.50 or "
            "S13.4XXA.",
        ),
        (
            {"prescribed_cpt_codes": "9712"},
            "prescribed_cpt_codes",
            "“9712” is not a CPT code: a CPT code is five digits, e.g. 97124 or 97140.",
        ),
        (
            {"expires_on": "2026-03-01"},
            "expires_on",
            "The referral cannot expire before its date (Mar 2, 2026); check both "
            "dates.",
        ),
        (
            {"prescribed_modalities": [], "prescribed_cpt_codes": ""},
            "prescribed_modalities",
            "Tick the prescribed modalities or enter the prescribed CPT codes (or "
            "both).",
        ),
        (
            {"provider_name": "", "provider_credentials": "", "provider_npi": ""}
            | dict.fromkeys(
                ["provider_practice", "provider_phone", "provider_fax"], ""
            ),
            "provider",
            "Choose the referring provider from the list, or enter a new one's name, "
            "credentials and NPI below.",
        ),
        (
            {"provider_credentials": ""},
            "provider_credentials",
            "Enter the new provider's credentials.",
        ),
        (
            {"referred_on": "2026-04-01", "expires_on": "2026-06-30"},
            "referred_on",
            "A referral cannot be dated in the future; enter the date the provider "
            "signed it.",
        ),
        (
            {"visits_authorized": "0"},
            "visits_authorized",
            "Ensure this value is greater than or equal to 1.",
        ),
    ],
)
def test_the_form_names_what_is_wrong_and_keeps_what_was_typed(
    client, front_desk, patient, changes, field, message
):
    client.force_login(front_desk)

    response = client.post(_add(patient), _valid_post(**changes))

    assert _errors(response)[field] == [message]
    page = response.content.decode()
    assert "Please correct the fields marked below" in page
    assert 'value="Low back pain; whiplash"' in page
    assert "Avoid the left carotid area." in page
    assert not Referral.objects.exists()
    assert not ReferringProvider.objects.exists()


def test_choosing_a_provider_and_typing_a_new_one_is_refused(
    client, front_desk, patient
):
    provider = ReferringProviderFactory()
    client.force_login(front_desk)

    response = client.post(_add(patient), _valid_post(provider=provider.pk))

    assert _errors(response)["__all__"] == [
        "Choose a referring provider from the list or enter a new one, not both: "
        "clear the new provider's fields or set the list to “New provider”."
    ]


def test_a_new_provider_with_an_npi_on_file_points_to_the_list(
    client, front_desk, patient
):
    ReferringProviderFactory(name="Dr. Ana Ruiz", credentials="DC", npi="1234567893")
    client.force_login(front_desk)

    response = client.post(_add(patient), _valid_post())

    assert _errors(response)["provider_npi"] == [
        "NPI 1234567893 is already on file for Dr. Ana Ruiz, DC: choose them from the "
        "list above instead of entering them again."
    ]


def test_the_edit_form_starts_from_the_referral_and_saves_changes(
    client, front_desk, patient
):
    referral = ReferralFactory(
        client=patient, diagnosis_codes=["M54.50", "M62.830"], visits_authorized=12
    )
    referral.prescribed_modalities.set([modality("swedish")])
    url = reverse("clients:referral_edit", args=[patient.pk, referral.pk])
    client.force_login(front_desk)

    page = client.get(url).content.decode()
    assert 'value="M54.50, M62.830"' in page
    assert "Edit the referral of Mar 2, 2026" in page

    response = client.post(
        url,
        _valid_post(
            provider=referral.provider_id,
            **dict.fromkeys(
                [
                    "provider_name",
                    "provider_credentials",
                    "provider_npi",
                    "provider_practice",
                    "provider_phone",
                    "provider_fax",
                ],
                "",
            ),
            visits_authorized="16",
        ),
    )

    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.visits_authorized == 16
    assert referral.diagnosis_codes == ["M54.50", "S13.4XXA"]
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.CHANGE, object_id=referral.pk
    ).exists()


def test_a_referral_of_another_client_cannot_be_edited_here(
    client, front_desk, patient
):
    elsewhere = ReferralFactory()
    client.force_login(front_desk)
    url = reverse("clients:referral_edit", args=[patient.pk, elsewhere.pk])
    assert client.get(url).status_code == 404
