from __future__ import annotations

from django.apps import AppConfig


class ClinicSessionsConfig(AppConfig):
    name = "sessions"
    # django.contrib.sessions already owns the label "sessions".
    label = "clinic_sessions"
    verbose_name = "Visits and notes"
