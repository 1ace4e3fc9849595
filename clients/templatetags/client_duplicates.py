"""Contact details shown only in part, on the duplicate warnings."""

from __future__ import annotations

from django import template

from clients.duplicates import mask_email, mask_phone

register = template.Library()
register.filter("masked_phone", mask_phone)
register.filter("masked_email", mask_email)
