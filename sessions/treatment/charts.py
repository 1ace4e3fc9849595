"""Server-rendered SVG line charts as plain data.

A `Chart` holds positions worked out here, in Python, so the template only draws them,
and the same drawing serves the page and the PDF.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

WIDTH = 640
HEIGHT = 270
LEFT = 52
RIGHT = 128  # room for the baseline and target labels
TOP = 40  # room for the legend
BOTTOM = 42
MIN_TICK_GAP = 52  # pixels between two date labels

BEFORE = "#b02a37"
AFTER = "#0a58ca"
MEASURE = "#6f42c1"
BASELINE = "#6c757d"
TARGET = "#146c43"


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str

    @property
    def square_x(self) -> float:
        return self.x - 4

    @property
    def square_y(self) -> float:
        return self.y - 4


@dataclass(frozen=True)
class Series:
    name: str
    colour: str
    points: tuple[Point, ...]
    marker: str = "circle"  # circle or square: not told apart by colour alone
    dashed: bool = False

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


@dataclass(frozen=True)
class Reference:
    label: str
    y: float
    colour: str


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class LegendItem:
    x: float
    name: str
    colour: str
    marker: str
    dashed: bool

    @property
    def line_end(self) -> float:
        return self.x + 24

    @property
    def marker_x(self) -> float:
        return self.x + 12

    @property
    def square_x(self) -> float:
        return self.x + 8

    @property
    def text_x(self) -> float:
        return self.x + 30


@dataclass(frozen=True)
class Chart:
    slug: str
    title: str
    desc: str
    series: tuple[Series, ...]
    references: tuple[Reference, ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    y_label: str
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def left(self) -> int:
        return LEFT

    @property
    def right(self) -> int:
        return self.width - RIGHT

    @property
    def top(self) -> int:
        return TOP

    @property
    def bottom(self) -> int:
        return self.height - BOTTOM

    @property
    def is_empty(self) -> bool:
        return not any(s.points for s in self.series)

    @property
    def middle_x(self) -> float:
        return (self.left + self.right) / 2

    @property
    def middle_y(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def reference_label_x(self) -> int:
        return self.right + 6

    @property
    def y_tick_label_x(self) -> int:
        return self.left - 6

    @property
    def x_tick_end(self) -> int:
        return self.bottom + 4

    @property
    def x_label_y(self) -> int:
        return self.bottom + 17

    @property
    def legend(self) -> list[LegendItem]:
        items, x = [], float(self.left)
        for s in self.series:
            items.append(LegendItem(x, s.name, s.colour, s.marker, s.dashed))
            x += 40 + 7 * len(s.name)
        return items


def _nice_step(span: float, ticks: int = 5) -> float:
    raw = span / ticks if span > 0 else 1
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude  # pragma: no cover


def _y_range(values: list[Decimal], fixed: tuple[float, float] | None):
    if fixed is not None:
        return fixed[0], fixed[1], 2.0
    low, high = float(min(values)), float(max(values))
    if low == high:
        low, high = low - 1, high + 1
    step = _nice_step(high - low)
    # Room around the lowest and highest values, so no line runs along the frame.
    low = math.floor(low / step) * step
    if float(min(values)) - low < step / 4:
        low -= step
    high = math.ceil(high / step) * step
    if high - float(max(values)) < step / 4:
        high += step
    if low < 0 <= float(min(values)):
        low = 0.0
    return low, high, step


def format_number(value: float | Decimal) -> str:
    number = Decimal(str(value)).normalize()
    text = f"{number:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _x_positions(days: Sequence[date]) -> dict[date, float]:
    if not days:
        return {}
    first, last = min(days), max(days)
    span = (last - first).days
    if span == 0:
        return {first: (LEFT + WIDTH - RIGHT) / 2}
    plot = WIDTH - RIGHT - LEFT - 20
    return {d: LEFT + 10 + (d - first).days / span * plot for d in set(days)}


def _x_ticks(positions: dict[date, float]) -> tuple[Tick, ...]:
    ticks: list[Tick] = []
    for day in sorted(positions):
        x = positions[day]
        if ticks and x - ticks[-1].position < MIN_TICK_GAP:
            continue
        ticks.append(Tick(x, f"{day:%b} {day.day}"))
    return tuple(ticks)


def line_chart(
    *,
    slug: str,
    title: str,
    desc: str,
    y_label: str,
    days: Sequence[date],
    lines: Sequence[tuple[str, str, str, bool, Sequence[Decimal | None], str]],
    references: Sequence[tuple[str, Decimal, str]] = (),
    fixed: tuple[float, float] | None = None,
) -> Chart:
    """Lines of values by date; each line: name, colour, marker, dashed, values, unit."""
    values = [v for line in lines for v in line[4] if v is not None]
    values += [value for _, value, _ in references]
    low, high, step = _y_range(values or [Decimal(0)], fixed)
    top, bottom = TOP, HEIGHT - BOTTOM

    def y_of(value: float | Decimal) -> float:
        return bottom - (float(value) - low) / (high - low) * (bottom - top)

    positions = _x_positions(days)
    series = []
    for name, colour, marker, dashed, line_values, unit in lines:
        points = tuple(
            Point(
                positions[day],
                y_of(value),
                f"{day:%b} {day.day}, {day.year}: {name.lower()} "
                f"{format_number(value)}{unit}",
            )
            for day, value in zip(days, line_values, strict=True)
            if value is not None
        )
        series.append(Series(name, colour, points, marker, dashed))
    count = int(round((high - low) / step))
    y_ticks = tuple(
        Tick(y_of(low + i * step), format_number(low + i * step))
        for i in range(count + 1)
    )
    return Chart(
        slug=slug,
        title=title,
        desc=desc,
        series=tuple(series),
        references=tuple(
            Reference(label, y_of(value), colour) for label, value, colour in references
        ),
        x_ticks=_x_ticks(positions),
        y_ticks=y_ticks,
        y_label=y_label,
    )


def describe_line(name: str, readings: list[tuple[date, Decimal]], unit: str) -> str:
    if not readings:
        return f"No {name.lower()} recorded."
    (first_day, first), (last_day, last) = readings[0], readings[-1]
    if len(readings) == 1:
        return f"{name}: {format_number(first)}{unit} on {first_day:%b %-d, %Y}."
    return (
        f"{name} went from {format_number(first)}{unit} on {first_day:%b %-d, %Y} "
        f"to {format_number(last)}{unit} on {last_day:%b %-d, %Y}."
    )
