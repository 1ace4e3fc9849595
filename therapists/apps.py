from __future__ import annotations

from django.apps import AppConfig


class TherapistsConfig(AppConfig):
    name = "therapists"
    verbose_name = "Therapists"

    def ready(self) -> None:
        # Its reference parts registered before the first request reads them.
        import therapists.reference  # noqa: F401
