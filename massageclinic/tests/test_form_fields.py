"""A short list's select is read once per form: drawn and checked from one list."""

from __future__ import annotations

import pytest
from django import forms
from django.db import connection
from django.test.utils import CaptureQueriesContext

from massageclinic.form_fields import ListedModelChoiceField
from therapists.models import Modality

pytestmark = pytest.mark.django_db


class _Form(forms.Form):
    modality = ListedModelChoiceField(
        queryset=Modality.objects.filter(is_active=True).order_by("name"),
        empty_label="Choose a modality",
        error_messages={"invalid_choice": "That modality is not offered."},
    )


def test_checking_and_drawing_a_form_read_the_list_once():
    swedish = Modality.objects.get(slug="swedish")
    with CaptureQueriesContext(connection) as queries:
        form = _Form({"modality": str(swedish.pk)})
        assert form.is_valid()
        html = str(form["modality"])
    assert len(queries) == 1
    assert form.cleaned_data["modality"] == swedish
    assert f'value="{swedish.pk}" selected' in html


@pytest.mark.parametrize("value", ["999999", "abc", "1.5", " ", "\u0660"])
def test_a_value_not_on_the_list_gets_the_fields_message(value):
    form = _Form({"modality": value})
    assert not form.is_valid()
    message = form.errors["modality"][0]
    assert message in ("That modality is not offered.", "This field is required.")


def test_an_inactive_choice_is_refused_as_before():
    retired = Modality.objects.get(slug="swedish")
    Modality.objects.filter(pk=retired.pk).update(is_active=False)
    form = _Form({"modality": str(retired.pk)})
    assert form.errors["modality"] == ["That modality is not offered."]


def test_each_form_reads_its_own_list_and_a_new_queryset_is_read_again():
    first = _Form()
    assert len(list(first.fields["modality"].choices)) > 1
    Modality.objects.create(name="Zz new technique", slug="zz-new")
    second = _Form()
    labels = [label for _, label in second.fields["modality"].choices]
    assert "Zz new technique" in labels
    second.fields["modality"].queryset = Modality.objects.filter(slug="zz-new")
    assert [label for _, label in second.fields["modality"].choices] == [
        "Choose a modality",
        "Zz new technique",
    ]


def test_a_field_keyed_by_another_column_checks_that_column():
    class BySlug(forms.Form):
        modality = ListedModelChoiceField(
            queryset=Modality.objects.filter(is_active=True), to_field_name="slug"
        )

    form = BySlug({"modality": "swedish"})
    assert form.is_valid()
    assert form.cleaned_data["modality"].slug == "swedish"
    assert not BySlug({"modality": "no-such-technique"}).is_valid()


def test_counting_and_testing_the_choices_reads_no_more(django_assert_num_queries):
    form = _Form()
    choices = form.fields["modality"].choices
    active = Modality.objects.filter(is_active=True).count()
    with django_assert_num_queries(1):  # the list, read once for all three
        assert choices
        assert len(choices) == active + 1  # and the empty label
        assert len(list(choices)) == active + 1
