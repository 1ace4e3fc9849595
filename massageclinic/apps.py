from __future__ import annotations

from django.apps import AppConfig


class ClinicConfig(AppConfig):
    name = "massageclinic"
    label = "clinic"
    verbose_name = "Clinic"

    def ready(self) -> None:
        from massageclinic import signin, signin_admin

        signin.connect()
        signin_admin.make_axes_admin_read_only()
        # Last, after every app has registered (and swapped) its admin classes.
        from massageclinic.admin import guard_registered_admins

        guard_registered_admins()
