"""A list of health records in the admin is narrowed only by its listed filters.

Django lets the address filter a changelist by any field of the model; on a list of
histories, `?takes_anticoagulants=True` would read who takes them without opening a
single (audited) record.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from massageclinic.admin import AuditedHealthRecordAdmin

pytestmark = pytest.mark.django_db

HEALTH_ADMINS = [
    model_admin
    for model_admin in admin.site._registry.values()
    if isinstance(model_admin, AuditedHealthRecordAdmin)
]


def _unlisted_fields(model_admin: AuditedHealthRecordAdmin) -> list[str]:
    allowed = model_admin._allowed_lookups()
    return [
        field.name
        for field in model_admin.model._meta.concrete_fields
        if field.name not in allowed
    ]


def test_every_health_admin_is_covered():
    labels = {m.model._meta.label for m in HEALTH_ADMINS}
    assert {"clients.MedicalHistory", "clients.Contraindication"} <= labels
    assert "clinic_sessions.SessionNote" in labels


@pytest.mark.parametrize(
    "model_admin", HEALTH_ADMINS, ids=lambda m: m.model._meta.label
)
def test_an_unlisted_field_in_the_address_is_refused(admin_client, model_admin):
    opts = model_admin.model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    for name in _unlisted_fields(model_admin):
        response = admin_client.get(url, {name: "1"})
        assert response.status_code == 400, (name, response.status_code)


def test_a_listed_filter_still_narrows_the_list(admin_client):
    response = admin_client.get(
        reverse("admin:clients_contraindication_changelist"), {"active": "yes"}
    )
    assert response.status_code == 200
