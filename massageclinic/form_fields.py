"""Form fields shared by the apps' forms."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.forms.models import ModelChoiceIterator


class ListedChoiceIterator(ModelChoiceIterator):
    """A short list's choices, from the list its field read (`listed()`).

    Django's own iterator reads the queryset with `.iterator()`, which on PostgreSQL
    is a server-side cursor (DECLARE, FETCH, CLOSE: three round trips and a cursor
    held to the end of the transaction), made for lists too long to hold; a select
    of a few dozen techniques, therapists or rooms is cheaper read whole."""

    def __iter__(self) -> Iterator[Any]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self._listed():
            yield self.choice(obj)

    def __len__(self) -> int:
        return len(self._listed()) + (self.field.empty_label is not None)

    def __bool__(self) -> bool:
        return self.field.empty_label is not None or bool(self._listed())

    def _listed(self) -> list[Model]:
        return cast(ListedModelChoiceField, self.field).listed()


class ListedModelChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField over a short list, read in one statement per form.

    The same list is what the select offers and what the posted value is checked
    against: drawing and checking a form cost one read, not one each (Django's field
    reads the list to draw it and `get()`s the chosen row to check it). Each form
    has its own copy of the field, so the list is as fresh as the form; setting
    `queryset` reads the new one.
    """

    iterator = ListedChoiceIterator
    _listed: list[Model] | None = None
    _listed_from: QuerySet[Any] | None = None

    def listed(self) -> list[Model]:
        """The queryset's rows, read once (again only after `queryset` is set)."""
        queryset = self.queryset
        if self._listed is None or self._listed_from is not queryset:
            self._listed_from = queryset
            self._listed = [] if queryset is None else list(queryset.all())
        return self._listed

    def offer(self, rows: list[Model]) -> None:
        """Offer, and check against, `rows`: the queryset's rows read elsewhere (the
        kept reference data, `massageclinic.reference`), so the form reads nothing."""
        self._listed_from = self.queryset
        self._listed = rows

    def to_python(self, value: Any) -> Model | None:
        if value in self.empty_values:
            return None
        self.validate_no_null_characters(value)
        key = self._key_field()
        wanted = self._as_key(value, key)
        for obj in self.listed() if key and wanted is not None else []:
            if getattr(obj, key.attname) == wanted:
                return obj
        raise ValidationError(
            self.error_messages["invalid_choice"],
            code="invalid_choice",
            params={"value": value},
        )

    def _key_field(self) -> Any:
        """The model field a posted value names: the primary key or `to_field_name`."""
        if self.queryset is None:
            return None
        meta = self.queryset.model._meta
        return meta.get_field(self.to_field_name) if self.to_field_name else meta.pk

    def _as_key(self, value: Any, key: Any) -> Any:
        """The posted value as the key field's type; None when it cannot be one."""
        if key is None:
            return None
        if isinstance(value, key.model):
            value = getattr(value, key.attname)
        try:
            return key.to_python(value)
        except (ValidationError, ValueError, TypeError):
            return None
