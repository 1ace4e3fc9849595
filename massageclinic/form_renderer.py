"""The form renderer: the project's templates (`TemplatesSetting`), with the widgets
every form draws many times written in Python.

A search or booking form draws a handful of selects of a few dozen options and a row
of inputs; through the template language each option and each attribute costs a few
node renders, and the widgets were most of the openings page's drawing. The
templates stay the reference: `select.html` (templates/django/forms/widgets/) and
Django's `input.html` family, and a test holds each writer here equal to its
template for any widget (massageclinic/tests/test_form_renderer.py). A template a
project overrides later is drawn from the template again once it is left out of
`WRITERS` (the test says which).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.forms.renderers import TemplatesSetting
from django.utils.formats import localize
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeData

WIDGETS = "django/forms/widgets/"


def _shown(value: Any) -> str:
    """`{{ value }}`: localised, as text, escaped unless already safe."""
    value = localize(value)
    return str(conditional_escape(value if isinstance(value, str) else str(value)))


def _formatted(value: Any) -> str:
    """`{{ value|stringformat:'s' }}`: the value's text, escaped unless it was safe."""
    text = "%s" % (value,)  # noqa: UP031 - exactly what the filter does
    return text if isinstance(value, SafeData) else str(escape(text))


def _attrs(attrs: Mapping[str, Any]) -> str:
    """`attrs.html`: each attribute but False ones; True ones without a value."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(f" {_shown(name)}")
        else:
            parts.append(f' {_shown(name)}="{_formatted(value)}"')
    return "".join(parts)


def select_html(widget: Mapping[str, Any]) -> str:
    """The project's `select.html`."""
    out = [f'<select name="{_shown(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            out.append(f'\n  <optgroup label="{_shown(group_name)}">')
        for option in group_choices:
            out.append(
                f'\n  <option value="{_formatted(option["value"])}"'
                f"{_attrs(option['attrs'])}>{_shown(option['label'])}</option>"
            )
        if group_name:
            out.append("\n  </optgroup>")
    out.append("\n</select>")
    return "".join(out)


def input_html(widget: Mapping[str, Any]) -> str:
    """Django's `input.html` (and the templates that only include it)."""
    value = (
        f' value="{_formatted(widget["value"])}"' if widget["value"] != None else ""  # noqa: E711 - the template's `!= None`
    )
    return (
        f'<input type="{_shown(widget["type"])}" name="{_shown(widget["name"])}"'
        f"{value}{_attrs(widget['attrs'])}>"
    )


def input_option_html(widget: Mapping[str, Any]) -> str:
    """Django's `input_option.html` (a checkbox or radio of a multiple choice)."""
    tag = input_html(widget)
    if not widget.get("wrap_label"):
        return tag
    for_id = widget["attrs"].get("id")
    label_for = f' for="{_shown(for_id)}"' if for_id else ""
    # The included input.html ends with a new line, kept inside the label.
    return f"<label{label_for}>{tag}\n {_shown(widget['label'])}</label>"


WRITERS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    f"{WIDGETS}select.html": select_html,
    **{
        f"{WIDGETS}{name}.html": input_html
        for name in (
            "input",
            "text",
            "hidden",
            "time",
            "date",
            "number",
            "email",
            "checkbox",
            "password",
            "url",
        )
    },
    f"{WIDGETS}input_option.html": input_option_html,
    f"{WIDGETS}checkbox_option.html": input_option_html,
    f"{WIDGETS}radio_option.html": input_option_html,
}


class ClinicFormRenderer(TemplatesSetting):
    """`TemplatesSetting`, with the widgets in `WRITERS` written in Python."""

    def render(
        self, template_name: str, context: dict[str, Any], request: Any = None
    ) -> str:
        writer = WRITERS.get(template_name)
        if writer is not None and "widget" in context:
            return writer(context["widget"]).strip()
        return str(super().render(template_name, context, request))
