"""How long a link sent to a client keeps working: one rule for every such link.

Confirm, cancel and health-question links (sessions.messaging.links) and the intake
form's link (clients.intake_services) stop working the clinic policy's
`client_link_lifetime` after they were sent (14 days by default); each kind may end
sooner for its own reason (the visit starts, the intake form's own week).
"""

from __future__ import annotations

from datetime import datetime

from massageclinic.models import clinic_policy


def client_link_expires_at(issued_at: datetime) -> datetime:
    """The moment a client's link made at `issued_at` stops working."""
    return issued_at + clinic_policy().client_link_lifetime
