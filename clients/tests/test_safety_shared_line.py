"""A physician's clearance line, as everyone may read it and as it compares with
today's headlines: the cleared headline of its condition, no who, when or terms."""

from __future__ import annotations

import pytest

from clients.safety import shared_line


@pytest.mark.parametrize(
    ("line", "shared"),
    [
        (
            "cleared by Dr X on 2026-01-02: history of dvt: light strokes only",
            "follow the physician's clearance: history of dvt",
        ),
        (  # terms with colons and semicolons of their own
            "cleared by Dr. Ann Lee on 2026-11-20: recent surgery: no prone; "
            "avoid: the left knee",
            "follow the physician's clearance: recent surgery",
        ),
        (  # the headline today, and any other reason: as they are
            "follow the physician's clearance: history of dvt",
            "follow the physician's clearance: history of dvt",
        ),
        (
            "no firm or deep pressure: anticoagulant",
            "no firm or deep pressure: anticoagulant",
        ),
        (  # a clearance line that does not parse keeps none of its detail
            "cleared by Dr X, terms on file",
            "follow the physician's clearance",
        ),
    ],
)
def test_shared_line(line, shared):
    assert shared_line(line) == shared
