"""`{% id_url %}` writes what `{% url %}` writes, for any id and any page that uses it;
`|clock` writes what `|date:"g:i A"` writes, in the active time zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.template import Context, Template
from django.urls import NoReverseMatch, reverse
from hypothesis import given, settings
from hypothesis import strategies as st

# Every name the templates link rows with.
ROW_URLS = [
    "sessions:visit",
    "sessions:visit_check_in",
    "sessions:visit_status",
    "sessions:note",
    "sessions:visit_change_technique",
    "sessions:visit_safety_acknowledge",
    "sessions:visit_reschedule",
    "clients:detail",
    "clients:modification_plan_new",
]
IDS = st.integers(min_value=1, max_value=2**63 - 1)


@settings(deadline=None)
@given(name=st.sampled_from(ROW_URLS), ids=st.lists(IDS, min_size=1, max_size=4))
def test_id_url_is_the_url_tag(name, ids):
    page = Template(
        "{% load row_links %}{% for pk in ids %}{% id_url name pk %}|{% endfor %}"
    ).render(Context({"name": name, "ids": ids}))
    assert page == "".join(f"{reverse(name, args=[pk])}|" for pk in ids)


def test_a_pattern_without_an_id_is_refused_when_drawn():
    with pytest.raises(NoReverseMatch):
        Template("{% load row_links %}{% id_url 'sessions:day' 1 %}").render(Context())


ZONES = ["America/New_York", "Pacific/Kiritimati", "Etc/GMT+12", "Asia/Kolkata"]


@settings(deadline=None)
@given(
    moment=st.datetimes(
        min_value=datetime(2000, 1, 1),
        max_value=datetime(2100, 1, 1),
        timezones=st.just(UTC),
    ),
    zone=st.sampled_from(ZONES),
)
def test_clock_is_the_date_filter_in_the_active_zone(moment, zone):
    page = Template(
        "{% load tz calendar_grid %}{% timezone zone %}"
        '{{ moment|clock }}={{ moment|date:"g:i A" }}{% endtimezone %}'
    ).render(Context({"moment": moment, "zone": zone}))
    mine, django = page.split("=")
    assert mine == django


def test_clock_of_nothing_is_empty():
    assert Template("{% load calendar_grid %}{{ none|clock }}").render(Context()) == ""
