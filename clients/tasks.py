"""Celery tasks of the clients app: they take ids, load rows and call a service."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from clients.imports.models import ClientImport
from clients.imports.services import client_import_check, client_import_run


@shared_task(name="clients.tasks.check_client_import", ignore_result=True)
def check_client_import(import_id: int) -> str:
    """Check an uploaded import's rows (acks late: a killed worker's run goes on)."""
    found = ClientImport.objects.filter(pk=import_id).first()
    if found is None:
        return "gone"
    return client_import_check(client_import=found, now=timezone.now()).status


@shared_task(name="clients.tasks.run_client_import", ignore_result=True)
def run_client_import(import_id: int) -> str:
    """Register an import's chosen rows."""
    found = ClientImport.objects.filter(pk=import_id).first()
    if found is None:
        return "gone"
    return client_import_run(client_import=found, now=timezone.now()).status
