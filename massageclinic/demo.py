"""The demo logins that `seed_demo` creates and `make run` prints (no Django imports)."""

from __future__ import annotations

DEMO_PASSWORD = "demo-clinic-2026"  # noqa: S105 - printed on purpose: demo data only

# (role shown to the person, username)
DEMO_LOGINS = (
    ("front desk", "frontdesk"),
    ("therapist", "therapist"),
    ("clinic manager", "manager"),
)
