"""Read typed settings from the environment; a malformed value stops start-up.

Each reader names the variable in its error so that a person starting the app
knows exactly which line of their configuration to fix.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(
    name: str, default: str = "", environ: Mapping[str, str] | None = None
) -> str:
    environ = os.environ if environ is None else environ
    return environ.get(name, default).strip()


def env_bool(
    name: str, default: bool, environ: Mapping[str, str] | None = None
) -> bool:
    environ = os.environ if environ is None else environ
    if name not in environ:
        return default
    value = environ[name].strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={environ[name]!r} is not a yes/no value: use 1, true, yes or on, "
        f"or 0, false, no or off."
    )


def env_int(name: str, default: int, environ: Mapping[str, str] | None = None) -> int:
    environ = os.environ if environ is None else environ
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None


def env_list(
    name: str, default: list[str], environ: Mapping[str, str] | None = None
) -> list[str]:
    environ = os.environ if environ is None else environ
    raw = environ.get(name)
    if raw is None:
        return default
    items = [item.strip() for item in raw.split(",") if item.strip()]
    if not items:
        raise ImproperlyConfigured(
            f"{name} is set but empty: give a comma-separated list."
        )
    return items


def env_url(
    name: str,
    default: str,
    schemes: tuple[str, ...],
    environ: Mapping[str, str] | None = None,
) -> str:
    """A URL whose scheme must be one of `schemes` (checked, not parsed further)."""
    environ = os.environ if environ is None else environ
    raw = environ.get(name, "").strip() or default
    scheme, sep, rest = raw.partition("://")
    if not sep or scheme not in schemes or not rest:
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not a valid URL: it must start with "
            + " or ".join(f"{s}://" for s in schemes)
            + "."
        )
    return raw
