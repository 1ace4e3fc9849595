"""Django's SMTP backend, with the one wait RFC 5321 makes long and a name for what
an error after it means.

Once the whole message and its final "." have reached the server, the server may
have stored it even if its reply never comes back to us. RFC 5321 section 4.5.3.2.6
gives that reply 10 minutes (every other command keeps EMAIL_TIMEOUT). When the
reply still fails, the outcome is unknown: `OutcomeUnknown` says so, and delivery
does not send the message again on its own (the client would likely get it twice).
"""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.mail.backends.smtp import EmailBackend

DJANGO_SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
CLINIC_SMTP_BACKEND = "sessions.messaging.smtp.ClinicSmtpBackend"


class OutcomeUnknown(smtplib.SMTPException):
    """The server had the whole message, then the connection failed before it said
    whether it took it."""


class _EndOfData:
    """Wraps `data()`: a long wait for the end-of-data reply, and OutcomeUnknown when
    it fails after the message was handed over."""

    _in_data = False
    _handed_over = False

    def send(self, s):
        super().send(s)  # type: ignore[misc]
        if self._in_data and isinstance(s, bytes) and s.endswith(b"\r\n.\r\n"):
            self._handed_over = True
            sock = getattr(self, "sock", None)
            if sock is not None:
                sock.settimeout(settings.CLINIC_MESSAGE_DATA_REPLY_TIMEOUT)

    def data(self, msg):
        self._in_data, self._handed_over = True, False
        try:
            return super().data(msg)  # type: ignore[misc]
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            if self._handed_over:
                raise OutcomeUnknown(
                    "the mail server received the whole message but its reply "
                    f"never came ({error})"
                ) from error
            raise
        finally:
            self._in_data = False
            sock = getattr(self, "sock", None)
            if sock is not None and self._handed_over:
                sock.settimeout(getattr(self, "timeout", None))


class _SMTP(_EndOfData, smtplib.SMTP):
    pass


class _SMTPSSL(_EndOfData, smtplib.SMTP_SSL):
    pass


class ClinicSmtpBackend(EmailBackend):
    """Django's SMTP backend with the end-of-data handling above."""

    @property
    def connection_class(self):
        return _SMTPSSL if self.use_ssl else _SMTP


def backend_for_messages() -> str | None:
    """The backend client messages use: ours in place of Django's SMTP backend, the
    configured one otherwise (files in the embedded default, memory in tests)."""
    if settings.EMAIL_BACKEND == DJANGO_SMTP_BACKEND:
        return CLINIC_SMTP_BACKEND
    return None
