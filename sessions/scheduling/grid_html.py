"""The calendar grid's body rows and header, and the day view's links to each
therapist's week, as HTML written in Python.

A busy day has a few thousand cells and a few hundred visits; drawn by the template
language, each visit's dozen values cost a lookup, a localisation and an escape
each, which was most of the day view's time. Here every value is escaped with
`escape` as the template would, and the markup is the one `_grid.html` documents
(the test compares the two).

`escape` is Django's `django.utils.html.escape` without its lazy-text wrapper:
`html.escape` of the value as text, which is all Django's does once it has checked
its arguments for lazy strings (a few thousand checks a page; these values are
never lazy).
"""

from __future__ import annotations

import html

from django.utils.safestring import SafeString, mark_safe

from sessions.scheduling.calendar import Block, Grid, Row


def escape(value: object) -> str:
    """The value as text, HTML-escaped exactly as `django.utils.html.escape` does."""
    return html.escape(str(value))


def _alerts_and_notes(block: Block) -> str:
    parts = []
    for alert in block.shown_alerts:
        icon = (
            ' blocks"><i class="bi bi-slash-circle"'
            if alert.blocks
            else '"><i class="bi bi-exclamation-triangle"'
        )
        parts.append(
            f'<span class="alert-line{icon} aria-hidden="true"></i> '
            f"{escape(alert.headline)}</span>"
        )
    for note in block.paperwork:
        parts.append(
            '<span class="paperwork"><i class="bi bi-file-earmark-medical" '
            f'aria-hidden="true"></i> {escape(note)}</span>'
        )
    return "".join(parts)


def block_html(block: Block, *, by_therapist: bool) -> str:
    """One visit's cell: its time, client, technique and place, alerts and notes."""
    therapist = "" if by_therapist else f"<span>{escape(block.therapist_name)}</span>"
    notes = _alerts_and_notes(block) if block.has_notes else ""
    return (
        f'\n<td rowspan="{escape(block.rowspan)}" class="block status-'
        f'{escape(block.status)}"><a href="{escape(block.url)}"><small>'
        f"{escape(block.time_label)}</small><strong>{escape(block.client_name)}"
        f"</strong><span>{escape(block.technique)} · {escape(block.where)}</span>"
        f'{therapist}<span class="visually-hidden">, {escape(block.status_label)}'
        f"</span></a>{notes}</td>"
    )


def row_html(row: Row, *, by_therapist: bool) -> str:
    label = (
        escape(row.label)
        if row.shown
        else f'<span class="visually-hidden">{escape(row.label)}</span>'
    )
    cells = "".join(
        block_html(block, by_therapist=by_therapist) if block else cells
        for block, cells in row.items
    )
    hour = ' class="hour"' if row.hour else ""
    return (
        f'\n<tr data-q="{escape(row.query)}"{hour}><th scope="row" '
        f'class="time-col">{label}</th>{cells}</tr>\n  '
    )


def grid_body_html(grid: Grid, *, by_therapist: bool) -> SafeString:
    """Every row of the grid's body; each value escaped above."""
    return mark_safe(  # noqa: S308
        "".join(row_html(row, by_therapist=by_therapist) for row in grid.rows)
    )


def grid_head_html(grid: Grid) -> SafeString:
    """The header's cells: a column's title, with the therapist's colour on a day's."""
    cells = []
    for column in grid.columns:
        dot = (
            '<span class="therapist-dot" style="--dot: '
            f'{escape(column.therapist.colour)}" aria-hidden="true"></span>'
            if column.therapist and not column.room
            else ""
        )
        cells.append(
            f'\n      <th scope="col" data-q="{escape(column.query)}" data-label="'
            f'{escape(column.label)}">{dot}{escape(column.title)}</th>\n      '
        )
    return mark_safe("".join(cells))  # noqa: S308 - each value escaped above


def week_links_html(
    grid: Grid, week_url: str, location_id: int, iso_day: str
) -> SafeString:
    """The day view's link to each column's therapist's week, by first name."""
    start = f"{escape(week_url)}?location={escape(location_id)}"
    return mark_safe(  # noqa: S308 - each value escaped here
        ", ".join(
            f'<a href="{start}{escape(column.query)}&amp;date={escape(iso_day)}">'
            f"{escape(column.therapist.first_name if column.therapist else '')}</a>"
            for column in grid.columns
        )
    )
