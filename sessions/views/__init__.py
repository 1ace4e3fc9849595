"""Visit pages, one module per screen; each module has its urlpatterns."""

from __future__ import annotations

from sessions.views.home import home

__all__ = ["home"]
