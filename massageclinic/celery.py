"""Celery wiring: configuration from Django settings (CELERY_*), tasks from every app."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "massageclinic.settings")

app = Celery("massageclinic")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
