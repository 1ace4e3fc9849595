"""Admin for clinic-wide things, and the admin building blocks every app shares.

The shared pieces sit here because this app is at the bottom of the app chain
(DESIGN.md section 2): therapists, clients and sessions may import them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import BaseModelAdmin, IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import (
    AutocompleteMixin,
    AutocompleteSelect,
    AutocompleteSelectMultiple,
)
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count, DurationField, Model, QuerySet
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import capfirst

from massageclinic.audit import AuditContext, audit_record
from massageclinic.durations import duration_from_words, duration_words
from massageclinic.lengths import LENGTH_RULE, valid_minutes
from massageclinic.models import AuditEvent, ClinicPolicy, Location, Room


class _ValidChoicesOnly(AutocompleteMixin):
    """An autocomplete widget that skips posted ids that are no id at all.

    Django's widget looks the posted value up again to re-render a form with errors;
    a hostile value ("abc") made that lookup raise and the page a 500.
    """

    def optgroups(self, name: str, value: list[Any], attr: Any = None) -> list:
        target = self.field.target_field
        valid = []
        for raw in value:
            try:
                target.to_python(raw)
            except ValidationError:
                continue
            valid.append(raw)
        return super().optgroups(name, valid, attr)


class _SafeAutocompleteSelect(_ValidChoicesOnly, AutocompleteSelect):
    pass


class _SafeAutocompleteSelectMultiple(_ValidChoicesOnly, AutocompleteSelectMultiple):
    pass


class _SafeAutocompleteFields(BaseModelAdmin):
    """Autocomplete fields whose hostile values are form errors, not crashes."""

    def _autocompletes(self, db_field: Any, request: HttpRequest) -> bool:
        return db_field.name in self.get_autocomplete_fields(request)

    def formfield_for_foreignkey(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> forms.Field | None:
        if "widget" not in kwargs and self._autocompletes(db_field, request):
            kwargs["widget"] = _SafeAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> forms.Field | None:
        if "widget" not in kwargs and self._autocompletes(db_field, request):
            kwargs["widget"] = _SafeAutocompleteSelectMultiple(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class _SafeChangeList(ChangeList):
    """A list whose impossible date drill-down ("year=99999999999999999999") is a
    bad lookup (the list shows its "?e=1" page), as Django's own ValueError is."""

    def get_filters(self, request: HttpRequest) -> Any:
        try:
            return super().get_filters(request)
        except OverflowError as error:
            raise IncorrectLookupParameters(error) from error


class HostileInputGuard(admin.ModelAdmin):
    """What no admin page may do with hostile input: fail with a server error.

    The base of every admin of the project, and put in front of the admins other
    apps register (`guard_registered_admins`). Each method here is a place where
    Django (or a library's admin) still turned a hostile request into a 500.
    """

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        changelist = super().get_changelist(request, **kwargs)
        if changelist is ChangeList:
            return _SafeChangeList
        return changelist

    def get_ordering(self, request: HttpRequest) -> Any:
        # Autocomplete pages the admin's queryset: without an order it warns (an
        # error under the tests' warnings policy) and pages may overlap.
        return super().get_ordering(request) or self.model._meta.ordering or ("-pk",)

    def response_action(self, request: HttpRequest, queryset: QuerySet) -> Any:
        # Django filters by the ticked ids as posted; one that is no id ("abc")
        # raised. Ids that are none are dropped: nothing is done to them.
        selected = request.POST.getlist(ACTION_CHECKBOX_NAME)
        valid = [pk for pk in selected if _is_pk(self.model, pk)]
        if len(valid) != len(selected):
            request.POST = request.POST.copy()
            request.POST.setlist(ACTION_CHECKBOX_NAME, valid)
        return super().response_action(request, queryset)

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Model | None = None,
    ) -> Any:
        # A rejected form has already copied its values onto the record; the
        # read-only fields (computed from it, e.g. a crontab's description) show
        # the record as saved, not a value that could not be read.
        adminform = context.get("adminform")
        if adminform is not None and adminform.form.is_bound and adminform.form.errors:
            saved = (
                self.get_object(request, str(obj.pk))
                if obj is not None and obj.pk is not None
                else None
            )
            adminform.form.instance = saved or self.model()
        return super().render_change_form(request, context, add, change, form_url, obj)


def _is_pk(model: type[Model], value: str) -> bool:
    field = model._meta.pk
    try:
        python = field.to_python(value)
        field.get_db_prep_value(python, connection=connection)
    except (ValidationError, ValueError, TypeError, OverflowError):
        return False
    internal = field.get_internal_type()
    limit = {"AutoField": 2**31, "BigAutoField": 2**63}.get(internal)
    return limit is None or (isinstance(python, int) and -limit <= python < limit)


def guard_registered_admins(site: admin.AdminSite = admin.site) -> None:
    """Put the guard in front of every admin another app registered (auth, axes,
    Celery beat, django-otp). Called from the app's ready(), after the last swap."""
    for model, model_admin in list(site._registry.items()):
        if isinstance(model_admin, HostileInputGuard):
            continue
        guarded = type(
            type(model_admin).__name__,
            (HostileInputGuard, type(model_admin)),
            {"__module__": type(model_admin).__module__},
        )
        site.unregister(model)
        site.register(model, guarded)


class ClinicModelAdmin(HostileInputGuard, _SafeAutocompleteFields, admin.ModelAdmin):
    """The base of every admin in the project."""

    list_per_page = 50
    show_full_result_count = False  # one COUNT(*) fewer on every changelist
    # The relations str(obj) reads, selected wherever the admin loads rows: the
    # changelist, the change page, autocomplete results.
    str_select_related: tuple[str, ...] = ()

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        # Django ignores list_select_related once get_queryset selects anything, so
        # both are applied here.
        listed = self.list_select_related
        related = {
            *self.str_select_related,
            *(listed if isinstance(listed, list | tuple) else ()),
        }
        return queryset.select_related(*sorted(related)) if related else queryset

    def formfield_for_dbfield(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> forms.Field | None:
        if isinstance(db_field, DurationField):
            kwargs.setdefault("form_class", DurationWordsField)
        return _choice_array_formfield(db_field) or super().formfield_for_dbfield(
            db_field, request, **kwargs
        )


class ClinicalRecordAdmin(ClinicModelAdmin):
    """Clinical records are never hard-deleted (DESIGN.md section 5), not even here."""

    def has_delete_permission(
        self, request: HttpRequest, obj: Model | None = None
    ) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


class ClinicTabularInline(_SafeAutocompleteFields, admin.TabularInline):
    extra = 0

    def formfield_for_dbfield(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> forms.Field | None:
        return _choice_array_formfield(db_field) or super().formfield_for_dbfield(
            db_field, request, **kwargs
        )


class AuditedHealthRecordAdmin(admin.ModelAdmin):
    """An admin mixin for health records: opening a record is a read, saving a change.

    Every read and change of health data is audited (DESIGN.md section 6), the admin
    included: the record's page writes a VIEW row each time it is shown, a save
    writes a CHANGE or CREATE row. Both are written inside the admin's own
    transaction (changeform_view is atomic). Lists stay schedule and metadata only,
    so that opening a list reads no health detail. Put it first in the bases;
    `health_client` names the record's client as a dotted path from the record.
    """

    health_client = "client_id"
    # Django lets the address filter a list by any field of the model
    # (?condition=3, ?takes_anticoagulants=True): that reads health detail without
    # opening a record. Only the listed filters, the date drill-down and these
    # lookups narrow a list of health records.
    listed_lookups: tuple[str, ...] = ()

    def lookup_allowed(
        self, lookup: str, value: str, request: HttpRequest | None = None
    ) -> bool:
        if lookup.split(LOOKUP_SEP)[0] not in self._allowed_lookups():
            return False
        return super().lookup_allowed(lookup, value, request)

    def _allowed_lookups(self) -> set[str]:
        names = set(self.listed_lookups)
        for item in self.list_filter:
            if isinstance(item, str):
                names.add(item.split(LOOKUP_SEP)[0])
            elif isinstance(item, list | tuple):
                names.add(str(item[0]).split(LOOKUP_SEP)[0])
            elif parameter := getattr(item, "parameter_name", None):
                names.add(parameter)
        if self.date_hierarchy:
            names.add(self.date_hierarchy.split(LOOKUP_SEP)[0])
        return names

    def health_client_id(self, obj: Model) -> int | None:
        value: Any = obj
        for name in self.health_client.split("."):
            value = getattr(value, name, None)
        return value

    def _audit(self, request: HttpRequest, action: str, obj: Model, what: str) -> None:
        audit_record(
            AuditContext.from_request(request),
            action,
            obj,
            client_id=self.health_client_id(obj),
            summary=f"{what} {obj._meta.verbose_name} in the admin",
        )

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Model | None = None,
    ) -> Any:
        if obj is not None and obj.pk is not None:
            self._audit(request, AuditEvent.Action.VIEW, obj, "Opened")
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_model(
        self, request: HttpRequest, obj: Model, form: Any, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        if change:
            self._audit(request, AuditEvent.Action.CHANGE, obj, "Saved")
        else:
            self._audit(request, AuditEvent.Action.CREATE, obj, "Added")


class ClinicalRecordInline(ClinicTabularInline):
    can_delete = False

    def has_delete_permission(
        self, request: HttpRequest, obj: Model | None = None
    ) -> bool:
        return False


class ViewedOnly:
    """An admin mixin for records written by the app alone (the audit trail, who
    must change a password): listed and viewed, never added, changed or deleted."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: Model | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: Model | None = None
    ) -> bool:
        return False


class ViewedHereWrittenOnItsPage:
    """An admin mixin: the records are listed and viewed here, never added or saved.

    Their pages call the services, with the rules, the history and the audit trail;
    the admin must not be a way round them.
    """

    def has_add_permission(
        self, request: HttpRequest, obj: Model | None = None
    ) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: Model | None = None
    ) -> bool:
        # The list needs the permission to open (and the list's actions, which call
        # the services, ask for it); no single record is saved here.
        return obj is None and super().has_change_permission(request)  # type: ignore[misc]  # mixin: the admin class supplies it


class ViewedHereWrittenOnItsPageInline:
    """The same for an inline: its rows are shown, never added, saved or deleted."""

    can_delete = False

    def has_add_permission(
        self, request: HttpRequest, obj: Model | None = None
    ) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: Model | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: Model | None = None
    ) -> bool:
        return False


def its_page_link(url: str, text: str = "Change this on its page") -> SafeString:
    """The link from a record's admin page to the app's page that writes it."""
    return format_html('<a href="{}">{}</a>', url, text)


def _choice_array_formfield(db_field: Any) -> forms.Field | None:
    """Tick boxes for a list of choices (body regions, conditions), not CSV text."""
    if not isinstance(db_field, ArrayField) or not db_field.base_field.choices:
        return None
    return forms.TypedMultipleChoiceField(
        choices=db_field.base_field.choices,
        coerce=db_field.base_field.to_python,
        required=not db_field.blank,
        widget=forms.CheckboxSelectMultiple,
        label=capfirst(db_field.verbose_name),
        help_text=db_field.help_text,
    )


class SelectRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """A related-object filter whose labels read related rows, fetched in one query.

    The stock filter calls str() on every choice; for a therapist (name on the user)
    or a room (name of its location) that is a query per choice.
    """

    select_related: tuple[str, ...] = ()

    def field_choices(
        self, field: Any, request: HttpRequest, model_admin: admin.ModelAdmin
    ) -> list[tuple[Any, str]]:
        queryset = field.related_model._default_manager.select_related(
            *self.select_related
        )
        ordering = self.field_admin_ordering(field, request, model_admin)
        if ordering:
            queryset = queryset.order_by(*ordering)
        return [(obj.pk, str(obj)) for obj in queryset]


class RoomListFilter(SelectRelatedFieldListFilter):
    select_related = ("location",)


class RoomInline(ClinicTabularInline):
    model = Room
    fields = ["name", "is_active"]


@admin.register(Location)
class LocationAdmin(ClinicModelAdmin):
    list_display = [
        "name",
        "city",
        "state",
        "phone",
        "time_zone",
        "opens_at",
        "closes_at",
        "room_count",
        "is_active",
    ]
    list_filter = ["is_active", "state", "time_zone"]
    search_fields = ["name", "city", "postal_code", "phone", "email"]
    inlines = [RoomInline]
    fieldsets = [
        (None, {"fields": ["name", "is_active"]}),
        (
            "Address and contact",
            {
                "fields": [
                    "address_line1",
                    "address_line2",
                    ("city", "state", "postal_code"),
                    ("phone", "email"),
                ]
            },
        ),
        ("Hours", {"fields": ["time_zone", ("opens_at", "closes_at")]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Location]:
        return super().get_queryset(request).annotate(_room_count=Count("rooms"))

    @admin.display(description="rooms", ordering="_room_count")
    def room_count(self, obj: Location) -> int:
        return obj._room_count


@admin.register(Room)
class RoomAdmin(ClinicModelAdmin):
    list_display = ["name", "location", "is_active"]
    list_filter = ["is_active", "location"]
    list_select_related = ["location"]
    search_fields = ["name", "location__name"]
    autocomplete_fields = ["location"]
    str_select_related = ("location",)


class DurationWordsField(forms.DurationField):
    """A duration typed and shown in words ("24 hours", "2 hours 30 minutes"), not
    as Python's "1 00:00:00"; that form is still understood."""

    default_error_messages = {
        "invalid": "Enter a duration in words, e.g. 24 hours, 2 days, 90 minutes "
        "or 2 hours 30 minutes."
    }

    def prepare_value(self, value: Any) -> Any:
        return duration_words(value) if isinstance(value, timedelta) else value

    def to_python(self, value: Any) -> timedelta | None:
        if value in self.empty_values:
            return None
        if isinstance(value, timedelta):
            return value
        parsed = duration_from_words(str(value))
        if parsed is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return parsed


class ClinicPolicyForm(forms.ModelForm):
    def clean_session_lengths(self) -> list[int]:
        lengths = self.cleaned_data["session_lengths"]
        # A day is the most a visit could last; past it, no need to ask the rule
        # (and a huge number overflowed the timedelta it builds).
        wrong = [n for n in lengths if not 0 < n <= 24 * 60 or not valid_minutes(n)]
        if wrong:
            raise forms.ValidationError(
                f"{LENGTH_RULE} Fix: {', '.join(map(str, wrong))}."
            )
        return sorted(set(lengths))


@admin.register(ClinicPolicy)
class ClinicPolicyAdmin(ClinicModelAdmin):
    """The one row of clinic settings (id 1): edited, never added twice or deleted."""

    form = ClinicPolicyForm
    list_display = [
        "__str__",
        "clinic_name",
        "late_cancel_window_in_words",
        "reminder_lead_in_words",
        "second_reminder_lead_in_words",
        "billing_unit_rule",
    ]
    fieldsets = [
        (None, {"fields": ["clinic_name"]}),
        (
            "Booking and cancelling",
            {
                "fields": [
                    "session_lengths",
                    "late_cancel_window",
                    "travel_buffer",
                    "check_in_opens",
                ]
            },
        ),
        (
            "Messages",
            {"fields": ["reminder_lead", "second_reminder_lead", "message_grace"]},
        ),
        (
            "Records and billing",
            {
                "fields": [
                    "billing_unit_rule",
                    "intake_renewal_months",
                    "note_sign_deadline",
                ]
            },
        ),
        (
            "Security",
            {"fields": ["require_two_factor_for_everyone", "client_link_lifetime"]},
        ),
    ]

    def get_fieldsets(self, request: HttpRequest, obj: Model | None = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or self.has_change_permission(request, obj):
            return fieldsets
        # Read only: the durations in words, as the list shows them.
        return [
            (
                title,
                {
                    **options,
                    "fields": [
                        f"{name}_in_words" if name in _POLICY_DURATIONS else name
                        for name in options["fields"]
                    ],
                },
            )
            for title, options in fieldsets
        ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return (
            super().has_add_permission(request)
            and not ClinicPolicy.objects.filter(pk=1).exists()
        )

    def has_delete_permission(
        self, request: HttpRequest, obj: Model | None = None
    ) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


_POLICY_DURATIONS = [
    f.name for f in ClinicPolicy._meta.fields if isinstance(f, DurationField)
]


def _in_words(name: str) -> Any:
    @admin.display(
        description=capfirst(ClinicPolicy._meta.get_field(name).verbose_name),
        ordering=name,
    )
    def show(admin_: ClinicPolicyAdmin, policy: ClinicPolicy) -> str:
        return duration_words(getattr(policy, name)) or admin_.get_empty_value_display()

    return show


for _name in _POLICY_DURATIONS:
    setattr(ClinicPolicyAdmin, f"{_name}_in_words", _in_words(_name))


@admin.register(AuditEvent)
class AuditEventAdmin(ViewedOnly, ClinicModelAdmin):
    """The audit log: read-only, for the manager (DESIGN.md section 6)."""

    list_display = [
        "at",
        "user",
        "action",
        "object_type",
        "object_id",
        "client_id",
        "summary",
    ]
    list_filter = ["action", "object_type"]
    list_select_related = ["user"]
    search_fields = ["summary", "user__username", "path"]
    date_hierarchy = "at"


# The users' and groups' admin, locked down so that roles cannot be escalated
# (issue 11); imported here so that the admin's autodiscovery registers it.
from massageclinic import admin_users  # noqa: E402, F401
