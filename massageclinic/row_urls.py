"""A page's links to each row of a long list, from one reverse() per kind of link.

A reverse() costs tens of microseconds; Today links each of a few hundred visits three
to five times, and the grids each visit once, so their URLs were a quarter of their
drawing time. The URL of a placeholder id is split around it, and every id takes its
place: the same result as reverse() for patterns whose one argument is an integer id
(`<int:pk>`), which a test holds for every name the pages link rows with.
"""

from __future__ import annotations

from django.urls import reverse

# Any id is written the same way, so one that no table reaches stands for them all.
_PLACEHOLDER = 987654321987654321


def id_url_pattern(name: str) -> tuple[str, str]:
    """The URL of `name` around its id: (before, after). Per request, as reverse()
    is (the script prefix belongs to the request)."""
    sample = reverse(name, args=[_PLACEHOLDER])
    before, found, after = sample.partition(str(_PLACEHOLDER))
    if not found:
        raise ValueError(f"The URL of {name} does not hold its id.")
    return before, after
