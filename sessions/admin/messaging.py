"""Admin for the outbox: messages are viewed, retried or stopped, never rewritten."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from massageclinic.admin import (
    ClinicalRecordAdmin,
)
from sessions.admin.common import local_time
from sessions.messaging.outbox import message_retry
from sessions.models import (
    OutboundMessage,
)

_STATUS_CHANGES: dict[str, tuple[str, ...]] = {
    OutboundMessage.Status.FAILED: (
        OutboundMessage.Status.PENDING,
        OutboundMessage.Status.CANCELLED,
    ),
    OutboundMessage.Status.PENDING: (OutboundMessage.Status.CANCELLED,),
}


class OutboundMessageForm(forms.ModelForm):
    class Meta:
        model = OutboundMessage
        fields = ["status"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "status" in self.fields:
            current = self.instance.status
            allowed = {current, *_STATUS_CHANGES.get(current, ())}
            self.fields["status"].choices = [
                (value, label)
                for value, label in OutboundMessage.Status.choices
                if value in allowed
            ]

    by: Any = None  # the signed-in person, set by the admin for each request
    retried: OutboundMessage | None = None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        # Sending again is the outbox service's, with its checks and fresh attempts;
        # it runs here, inside the admin's transaction, so a refusal is a form error.
        if (
            cleaned.get("status") == OutboundMessage.Status.PENDING
            and self.instance.status == OutboundMessage.Status.FAILED
        ):
            try:
                self.retried = message_retry(
                    message=self.instance, by=self.by, now=timezone.now()
                )
            except ValidationError as error:
                self.add_error("status", error)
        return cleaned


@admin.register(OutboundMessage)
class OutboundMessageAdmin(ClinicalRecordAdmin):
    """The outbox. Rows are made by the booking services; a person retries or stops."""

    form = OutboundMessageForm
    list_display = [
        "kind",
        "status",
        "client",
        "to_email",
        "send_at",
        "visit",
        "attempts",
        "sent_at",
        "short_error",
    ]
    list_filter = ["status", "kind"]
    list_select_related = ["client", "appointment__location"]
    search_fields = [
        "to_email",
        "client__first_name",
        "client__last_name",
        "message_id",
    ]
    date_hierarchy = "send_at"
    str_select_related = ("client",)
    actions = ["retry", "stop"]
    fieldsets = [
        (None, {"fields": ["kind", "status", "to_email", "send_at"]}),
        ("About", {"fields": ["client", "appointment", "series"]}),
        (
            "Delivery",
            {
                "fields": [
                    "attempts",
                    "claimed_at",
                    "sent_at",
                    "message_id",
                    "last_error",
                    "skip_reason",
                ]
            },
        ),
        ("Record", {"fields": ["created_at", "updated_at"]}),
    ]

    def get_readonly_fields(
        self, request: HttpRequest, obj: OutboundMessage | None = None
    ) -> list[str]:
        names = [f.name for f in self.model._meta.fields if f.name != "id"]
        if obj is not None and obj.status in _STATUS_CHANGES:
            names.remove("status")
        return names

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_form(
        self,
        request: HttpRequest,
        obj: OutboundMessage | None = None,
        change: bool = False,
        **kwargs: Any,
    ) -> type[forms.ModelForm]:
        form = super().get_form(request, obj, change, **kwargs)
        form.by = request.user  # a new class on every call: safe per request
        return form

    def save_model(
        self, request: HttpRequest, obj: OutboundMessage, form: Any, change: bool
    ) -> None:
        if getattr(form, "retried", None) is not None:
            return  # the outbox service has saved it, with a fresh send time
        super().save_model(request, obj, form, change)

    @admin.display(description="visit", ordering="appointment__starts_at")
    def visit(self, obj: OutboundMessage) -> str:
        if obj.appointment is None:
            return "-"
        return local_time(obj.appointment.starts_at, obj.appointment.location)

    @admin.display(description="last error")
    def short_error(self, obj: OutboundMessage) -> str:
        if obj.last_error and obj.status == OutboundMessage.Status.SENT:
            # Kept as history: the message went out after this error.
            return f"(before it was sent) {obj.last_error[:40]}"
        return obj.last_error[:60]

    @admin.action(description="Retry selected failed messages", permissions=["change"])
    def retry(self, request: HttpRequest, queryset: QuerySet[OutboundMessage]) -> None:
        now, count, refused = timezone.now(), 0, 0
        for message in queryset.filter(status=OutboundMessage.Status.FAILED):
            try:
                message_retry(message=message, by=request.user, now=now)
            except ValidationError:
                refused += 1
            else:
                count += 1
        self.message_user(
            request, f"{count} message(s) will be sent again.", messages.SUCCESS
        )
        if refused:
            self.message_user(
                request,
                f"{refused} message(s) were not sent again: their visit is cancelled.",
                messages.WARNING,
            )

    @admin.action(
        description="Stop selected messages from going out", permissions=["change"]
    )
    def stop(self, request: HttpRequest, queryset: QuerySet[OutboundMessage]) -> None:
        count = queryset.filter(status__in=list(_STATUS_CHANGES)).update(
            status=OutboundMessage.Status.CANCELLED, updated_at=timezone.now()
        )
        self.message_user(request, f"Stopped {count} message(s).", messages.SUCCESS)
