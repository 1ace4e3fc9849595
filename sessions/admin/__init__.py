"""Admin of the app, one module per seam. Nothing here is hard-deleted."""

from __future__ import annotations

from sessions.admin import messaging, scheduling, treatment, waitlist

__all__ = ["messaging", "scheduling", "treatment", "waitlist"]
