"""The widgets written in Python (massageclinic/form_renderer.py) are exactly what
their templates draw, for any widget: a select's groups, options and attributes, an
input's value, and the text in them, escaped as the template escapes it."""

from __future__ import annotations

import pytest
from django import forms
from django.forms.renderers import TemplatesSetting
from django.utils.functional import lazy
from django.utils.safestring import mark_safe
from hypothesis import given, settings
from hypothesis import strategies as st

from massageclinic.form_renderer import WIDGETS, WRITERS, ClinicFormRenderer

TEMPLATES = TemplatesSetting()
INCLUDES_INPUT = '{% include "django/forms/widgets/input.html" %}'

# Text with what HTML cares about, and non-ASCII.
TEXT = st.text(
    alphabet=st.sampled_from(list("ab Z09-_<>&\"'é日\n")), min_size=0, max_size=8
)
SAFE = TEXT.map(mark_safe)
LAZY = TEXT.map(lambda t: lazy(lambda: t, str)())
VALUE = st.one_of(TEXT, SAFE, st.integers(-5, 2000), LAZY)
ATTR_VALUE = st.one_of(st.booleans(), TEXT, SAFE, st.integers(-5, 99))
ATTRS = st.dictionaries(
    st.sampled_from(
        ["id", "class", "required", "disabled", "data-x", "step", "selected"]
    ),
    ATTR_VALUE,
    max_size=4,
)
OPTION = st.fixed_dictionaries({"value": VALUE, "label": VALUE, "attrs": ATTRS})
GROUPS = st.lists(
    st.tuples(
        st.one_of(st.none(), TEXT), st.lists(OPTION, max_size=4), st.integers(0, 5)
    ),
    max_size=3,
)


def _template_source(name: str) -> str:
    template = TEMPLATES.get_template(name)
    return template.template.source.strip()


# Drawn by their own writer, which the tests below hold equal to the template.
OWN_WRITERS = {
    f"{WIDGETS}select.html",
    f"{WIDGETS}input.html",
    f"{WIDGETS}input_option.html",
}
INCLUDES_OPTION = '{% include "django/forms/widgets/input_option.html" %}'


@pytest.mark.parametrize("name", sorted(set(WRITERS) - OWN_WRITERS))
def test_each_other_template_only_includes_the_one_written_in_python(name):
    """A template drawn as `input.html` or `input_option.html` must be nothing but
    its include; one a project overrides with other markup must leave WRITERS."""
    expected = INCLUDES_OPTION if name.endswith("_option.html") else INCLUDES_INPUT
    assert _template_source(name) == expected


@settings(max_examples=300, deadline=None)
@given(name=TEXT, attrs=ATTRS, optgroups=GROUPS)
def test_a_select_is_what_its_template_draws(name, attrs, optgroups):
    widget = {"name": name, "attrs": attrs, "optgroups": optgroups}
    template = f"{WIDGETS}select.html"
    assert WRITERS[template](widget).strip() == TEMPLATES.render(
        template, {"widget": widget}
    )


@settings(max_examples=300, deadline=None)
@given(
    kind=st.sampled_from([n for n, w in WRITERS.items() if "select" not in n]),
    type_=st.sampled_from(["text", "time", "hidden", "checkbox", "<x>"]),
    name=TEXT,
    value=st.one_of(st.none(), VALUE),
    attrs=ATTRS,
    wrap_label=st.booleans(),
    label=VALUE,
)
def test_an_input_is_what_its_template_draws(
    kind, type_, name, value, attrs, wrap_label, label
):
    widget = {
        "type": type_,
        "name": name,
        "value": value,
        "attrs": attrs,
        "wrap_label": wrap_label,
        "label": label,
    }
    assert WRITERS[kind](widget).strip() == TEMPLATES.render(kind, {"widget": widget})


class _EveryWidget(forms.Form):
    technique = forms.ChoiceField(
        choices=[("", "Choose"), ("Hands", [(1, "Swedish & <deep>"), (2, "Cupping")])]
    )
    length = forms.TypedChoiceField(
        choices=[(30, "30 min"), (60, "60 min")], coerce=int
    )
    days = forms.MultipleChoiceField(
        choices=[(0, "Monday"), (1, "Tuesday")],
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    listed = forms.MultipleChoiceField(choices=[(0, "A"), (1, "B")])
    when = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time", "step": 900}))
    note = forms.CharField(max_length=20, required=False)
    agreed = forms.BooleanField(required=False)
    who = forms.IntegerField(widget=forms.HiddenInput)
    email = forms.EmailField()
    on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect)


@pytest.mark.parametrize(
    "data",
    [
        None,
        {
            "technique": "2",
            "length": "60",
            "days": ["1"],
            "listed": ["0", "1"],
            "when": "09:15",
            "note": '<b>"x"</b>',
            "agreed": "on",
            "who": "7",
            "email": "a@b.c",
            "on": "2026-12-01",
            "kind": "b",
        },
    ],
)
def test_a_whole_form_draws_the_same_with_either_renderer(data):
    python = _EveryWidget(data, renderer=ClinicFormRenderer())
    template = _EveryWidget(data, renderer=TemplatesSetting())
    for name in python.fields:
        assert str(python[name]) == str(template[name]), name
        for one, other in zip(python[name], template[name], strict=True):
            assert one.tag() == other.tag()
