"""Form fields shared by the apps' forms."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import forms
from django.forms.models import ModelChoiceIterator


class ListedChoiceIterator(ModelChoiceIterator):
    """A short list's choices, read in one statement each time the field is drawn.

    Django's own iterator reads the queryset with `.iterator()`, which on PostgreSQL
    is a server-side cursor (DECLARE, FETCH, CLOSE: three round trips and a cursor
    held to the end of the transaction), made for lists too long to hold; a select
    of a few dozen techniques, therapists or rooms is cheaper read whole."""

    def __iter__(self) -> Iterator[Any]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset.all():  # a fresh read: never a stale cached list
            yield self.choice(obj)


class ListedModelChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField over a short list (see ListedChoiceIterator)."""

    iterator = ListedChoiceIterator
