"""Admin for waitlist offers: viewed here; offered on the waitlist page and taken
through the client's link (waitlist_offer_make, waitlist_offer_take)."""

from __future__ import annotations

from django.contrib import admin

from massageclinic.admin import ClinicalRecordAdmin, ViewedHereWrittenOnItsPage
from sessions.models import WaitlistOffer


@admin.register(WaitlistOffer)
class WaitlistOfferAdmin(ViewedHereWrittenOnItsPage, ClinicalRecordAdmin):
    list_display = [
        "entry",
        "therapist",
        "location",
        "starts_at",
        "state",
        "expires_at",
        "created_at",
    ]
    list_filter = ["state", "location"]
    list_select_related = ["entry__client", "therapist__user", "location"]
    search_fields = ["entry__client__first_name", "entry__client__last_name"]
    # Offers are made on the waitlist page and taken through the client's link, with
    # the booking rules and the safety decision; the admin only shows them.
    readonly_fields = [
        "entry",
        "therapist",
        "location",
        "room",
        "place",
        "modality",
        "starts_at",
        "ends_at",
        "freed",
        "expires_at",
        "state",
        "booked_appointment",
        "created_by",
        "created_at",
        "decided_at",
    ]
