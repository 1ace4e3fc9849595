"""The project's select template writes exactly the markup of Django's own (one
included template per option), only faster, and the project's renderer writes it in
Python (massageclinic/form_renderer.py): the three compared on the same widgets."""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.conf import settings as django_settings
from django.forms.renderers import DjangoTemplates, TemplatesSetting
from django.test.html import parse_html
from hypothesis import given, settings
from hypothesis import strategies as st

from massageclinic.form_renderer import ClinicFormRenderer

label = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]))
choices = st.lists(st.tuples(st.integers(0, 50).map(str), label), max_size=8)


def _both(widget: forms.Widget, value) -> tuple[str, str]:
    ours = widget.render(
        "field", value, attrs={"id": "id_field"}, renderer=TemplatesSetting()
    )
    django = widget.render(
        "field", value, attrs={"id": "id_field"}, renderer=DjangoTemplates()
    )
    written = widget.render(
        "field", value, attrs={"id": "id_field"}, renderer=ClinicFormRenderer()
    )
    assert written == ours
    return ours, django


def test_the_project_renders_selects_with_its_own_template_written_in_python():
    assert (
        django_settings.FORM_RENDERER
        == "massageclinic.form_renderer.ClinicFormRenderer"
    )
    assert issubclass(ClinicFormRenderer, TemplatesSetting)
    template = TemplatesSetting().get_template("django/forms/widgets/select.html")
    assert template.origin.name == str(
        Path(django_settings.BASE_DIR) / "templates/django/forms/widgets/select.html"
    )


@settings(max_examples=100, deadline=None)
@given(options=choices, picked=st.integers(0, 50).map(str))
def test_a_select_is_the_same_markup_as_djangos(options, picked):
    ours, django = _both(forms.Select(choices=[("", "Any"), *options]), picked)
    assert parse_html(ours) == parse_html(django)


@settings(max_examples=50, deadline=None)
@given(
    groups=st.lists(st.tuples(label, choices), max_size=3),
    picked=st.lists(st.integers(0, 50).map(str), max_size=3),
)
def test_groups_and_several_choices_are_the_same_markup_too(groups, picked):
    widget = forms.SelectMultiple(
        choices=[(name, list(inner)) for name, inner in groups],
        attrs={"class": "form-select", "disabled": True},
    )
    ours, django = _both(widget, picked)
    assert parse_html(ours) == parse_html(django)
