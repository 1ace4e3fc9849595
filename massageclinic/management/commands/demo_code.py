"""Print the code the demo's authenticator app would show now (demo data only)."""

from __future__ import annotations

import base64
import time

from django.core.management.base import BaseCommand
from django_otp.oath import TOTP

from massageclinic.demo import DEMO_AUTHENTICATOR_KEY


class Command(BaseCommand):
    help = (
        "Print the current two-step sign-in code of the demo's therapists and "
        "manager, whose authenticator holds the published demo key."
    )

    def handle(self, *args: object, **options: object) -> None:
        totp = TOTP(base64.b32decode(DEMO_AUTHENTICATOR_KEY))
        now = time.time()
        totp.time = now
        left = 30 - int(now) % 30
        self.stdout.write(f"{totp.token():06d}  (valid for {left} more seconds)")
