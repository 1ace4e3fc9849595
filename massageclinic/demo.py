"""The demo logins that `seed_demo` creates and `make run` prints (no Django imports)."""

from __future__ import annotations

DEMO_PASSWORD = "demo-clinic-2026"  # noqa: S105 - printed on purpose: demo data only

# (role shown to the person, username)
DEMO_LOGINS = (
    ("front desk", "frontdesk"),
    ("therapist", "therapist"),
    ("clinic manager", "manager"),
)

# Therapists and managers sign in with two steps. In the demo their authenticator is
# set up already with this published key: add it to any authenticator app, or print
# the current code with `manage.py demo_code`. Never use it for a real person.
DEMO_AUTHENTICATOR_KEY = "MASSAGECLINICDEMOKEYTWOSTEPSXYZA"
