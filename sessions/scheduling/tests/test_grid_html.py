"""The grid's rows written in Python are the markup the template wrote, escaping
included, whatever the names, alerts and notes hold."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from django.template import Context, Template
from django.utils.html import escape as django_escape
from hypothesis import given, settings
from hypothesis import strategies as st

from clients.safety import Alert
from sessions.scheduling.calendar import Block, Cell, Column, Grid, Row
from sessions.scheduling.grid_html import escape as grid_escape
from sessions.scheduling.grid_html import (
    grid_body_html,
    grid_head_html,
    week_links_html,
)

# _grid.html's body loop as it was, before the rows were written in Python.
TEMPLATE_ROWS = '  {% for row in grid.rows %}\n<tr data-q="{{ row.query }}"{% if row.hour %} class="hour"{% endif %}><th scope="row" class="time-col">{% if row.shown %}{{ row.label }}{% else %}<span class="visually-hidden">{{ row.label }}</span>{% endif %}</th>{% for block, cells in row.items %}{% if block %}\n<td rowspan="{{ block.rowspan }}" class="block status-{{ block.status }}"><a href="{{ block.url }}"><small>{{ block.time_label }}</small><strong>{{ block.client_name }}</strong><span>{{ block.technique }} · {{ block.where }}</span>{% if not grid_by_therapist %}<span>{{ block.therapist_name }}</span>{% endif %}<span class="visually-hidden">, {{ block.status_label }}</span></a>{% if block.has_notes %}{% for alert in block.shown_alerts %}<span class="alert-line{% if alert.blocks %} blocks"><i class="bi bi-slash-circle"{% else %}"><i class="bi bi-exclamation-triangle"{% endif %} aria-hidden="true"></i> {{ alert.headline }}</span>{% endfor %}{% for note in block.paperwork %}<span class="paperwork"><i class="bi bi-file-earmark-medical" aria-hidden="true"></i> {{ note }}</span>{% endfor %}{% endif %}</td>{% else %}{{ cells }}{% endif %}{% endfor %}</tr>\n  {% endfor %}\n'

text = st.text(alphabet=st.sampled_from(list("Ab é<>&\"'·–:#%{}")), max_size=12)
alerts = st.builds(
    Alert,
    flag=st.none(),
    headline=text,
    severity=st.just("regional"),
    blocks=st.booleans(),
    needs_recheck=st.booleans(),
    cleared=st.booleans(),
)
blocks = st.builds(
    Block,
    visit=st.none(),
    rows=st.integers(1, 8),
    alerts=st.lists(alerts, max_size=3),
    paperwork=st.lists(text, max_size=2),
    status=st.sampled_from(["booked", "checked_in", "completed"]),
    url=st.sampled_from(["/visits/12/", "/visits/7/"]),
    time_label=text,
    client_name=text,
    technique=text,
    where=text,
    therapist_name=text,
    status_label=text,
)
cells = st.one_of(
    st.builds(
        Cell,
        starts_at=st.just(datetime(2026, 11, 30, 14, tzinfo=UTC)),
        kind=st.sampled_from(["free", "past", "off"]),
    ),
    st.builds(
        Cell,
        starts_at=st.just(datetime(2026, 11, 30, 14, tzinfo=UTC)),
        kind=st.just("block"),
        block=blocks,
    ),
)
rows = st.builds(
    Row,
    moment=st.just(datetime(2026, 11, 30, 14, tzinfo=UTC)),
    label=text,
    shown=st.booleans(),
    hour=st.booleans(),
    fold=st.just(0),
    query=text,
    cells=st.lists(cells, max_size=5),
)


@settings(max_examples=300, deadline=timedelta(seconds=2))
@given(grid_rows=st.lists(rows, max_size=4), by_therapist=st.booleans())
def test_the_rows_are_the_templates_markup(grid_rows, by_therapist):
    grid = Grid(location=None, times=[], columns=[], cancelled=[], rows=grid_rows)
    expected = Template(TEMPLATE_ROWS).render(
        Context({"grid": grid, "grid_by_therapist": by_therapist})
    )
    assert "  " + grid_body_html(grid, by_therapist=by_therapist) + "\n" == expected


@given(st.one_of(st.text(), st.integers()))
def test_the_grid_escapes_exactly_as_django_does(value):
    assert grid_escape(value) == django_escape(value)


# _grid.html's header loop and the day view's week links as they were, before they
# were written in Python.
TEMPLATE_HEAD = '      {% for column in grid.columns %}\n      <th scope="col" data-q="{{ column.query }}" data-label="{{ column.label }}">{% if column.therapist and not column.room %}<span class="therapist-dot" style="--dot: {{ column.therapist.colour }}" aria-hidden="true"></span>{% endif %}{{ column.title }}</th>\n      {% endfor %}\n'
TEMPLATE_WEEK_LINKS = '{% with iso_day=day|date:\'Y-m-d\' location_id=location_pk|stringformat:"d" %}{% for column in grid.columns %}<a href="{{ week_url }}?location={{ location_id }}{{ column.query }}&amp;date={{ iso_day }}">{{ column.therapist.first_name }}</a>{% if not forloop.last %}, {% endif %}{% endfor %}{% endwith %}'


class _Person:
    """What the header and the links read of a column's therapist."""

    def __init__(self, first_name: str, colour: str) -> None:
        self.first_name, self.colour = first_name, colour


columns = st.builds(
    Column,
    title=text,
    therapist=st.one_of(st.none(), st.builds(_Person, text, text)),
    room=st.one_of(st.none(), st.just("Blue room")),
    day=st.just(date(2026, 11, 30)),
    query=text,
    label=text,
)


@settings(max_examples=300, deadline=timedelta(seconds=2))
@given(grid_columns=st.lists(columns, max_size=5))
def test_the_header_is_the_templates_markup(grid_columns):
    grid = Grid(location=None, times=[], columns=grid_columns, cancelled=[])
    expected = Template(TEMPLATE_HEAD).render(Context({"grid": grid}))
    assert "      " + grid_head_html(grid) + "\n" == expected


@settings(max_examples=300, deadline=timedelta(seconds=2))
@given(
    grid_columns=st.lists(
        columns.filter(lambda c: c.therapist is not None), max_size=5
    ),
    week_url=st.sampled_from(["/calendar/week/", "/a&b/"]),
    location_pk=st.integers(1, 10_000),
    day=st.dates(date(2000, 1, 1), date(2100, 12, 31)),
)
def test_the_week_links_are_the_templates_markup(
    grid_columns, week_url, location_pk, day
):
    grid = Grid(location=None, times=[], columns=grid_columns, cancelled=[])
    expected = Template(TEMPLATE_WEEK_LINKS).render(
        Context(
            {"grid": grid, "week_url": week_url, "location_pk": location_pk, "day": day}
        )
    )
    assert week_links_html(grid, week_url, location_pk, f"{day:%Y-%m-%d}") == expected
