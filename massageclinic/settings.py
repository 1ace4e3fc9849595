"""Settings for the clinic app, all read from the environment (12-factor).

See the README for every variable. A malformed value stops start-up with a
message naming the variable; there is no usable production default for secrets.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

from massageclinic.env import env_bool, env_int, env_list, env_str, env_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("CLINIC_VAR_DIR") or BASE_DIR / "var")

DEBUG = env_bool("DJANGO_DEBUG", default=False)

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it to a long random string "
            "(or set DJANGO_DEBUG=1 on a development machine)."
        )
    SECRET_KEY = "development-only-key-never-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.forms",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "django_celery_beat",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "massageclinic.apps.ClinicConfig",
    "therapists.apps.TherapistsConfig",
    "clients.apps.ClientsConfig",
    "sessions.apps.ClinicSessionsConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After whitenoise: static files keep their long cache; every page, partial, PDF,
    # download and error page is never stored (they may hold health data).
    "massageclinic.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Idle logoff, the 12-hour limit, and no page before the second factor.
    "massageclinic.session_security.SessionSecurityMiddleware",
    # A password someone else gave is changed by its owner before any other page.
    "massageclinic.password_required.PasswordChangeRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "massageclinic.urls"
WSGI_APPLICATION = "massageclinic.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "massageclinic.context_processors.roles",
                "massageclinic.context_processors.session_limits",
            ],
        },
    },
]

# Widgets render through the project's templates, so templates/django/forms/ can
# replace a widget's template (the select's options are written in one loop).
FORM_RENDERER = "massageclinic.form_renderer.ClinicFormRenderer"

# --- Database: PostgreSQL only -------------------------------------------------
DATABASE_URL = env_url(
    "DATABASE_URL",
    default="postgres://postgres@127.0.0.1:5432/massageclinic",
    schemes=("postgres", "postgresql"),
)
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
# Test harness only: log in as DATABASE_URL's user, then SET ROLE to this one on
# connecting (massageclinic/tests/app_role.py; its Celery workers inherit it).
# Production leaves it unset and logs in as the app role itself (README).
DATABASE_ROLE = env_str("DATABASE_ROLE")
# PostgreSQL's JIT compiles a query whose estimated cost is high (the histories
# awaiting review, over every client's versions) in tens of milliseconds, more than
# the query itself takes: the app's queries are short, so it is off for them.
_CONNECTION_OPTIONS = ["-c jit=off"]
if DATABASE_ROLE:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", DATABASE_ROLE):
        raise ImproperlyConfigured(
            f"DATABASE_ROLE={DATABASE_ROLE!r} is not a plain role name."
        )
    _CONNECTION_OPTIONS.append(f"-c role={DATABASE_ROLE}")
# Added to any `options` DATABASE_URL carries (e.g. ?currentSchema= sets search_path).
_options = DATABASES["default"].setdefault("OPTIONS", {})
_options["options"] = " ".join(
    filter(None, [_options.get("options"), *_CONNECTION_OPTIONS])
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: Celery broker and cache ----------------------------------------------
REDIS_URL = env_url(
    "REDIS_URL", default="redis://127.0.0.1:6379/0", schemes=("redis", "rediss")
)
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "clinic",
    }
}

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A task is acknowledged only when it finished, so a killed worker's task runs again.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The queue tasks go to and workers read by default; a bench or test names its own.
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "celery")

# --- Auth ------------------------------------------------------------------------
# Argon2 for every new or changed password; older hashes are upgraded at sign-in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
# django-axes first: it counts failures and refuses a locked-out user or address.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Lockout: a user name is locked from every address, and an address for every user
# name, after AXES_FAILURE_LIMIT failures; it lifts AXES_COOLOFF_MINUTES after the
# last failure, or when a manager unlocks it (/account/lockouts/).
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", default=5)
_cooloff_minutes = env_int("AXES_COOLOFF_MINUTES", default=30)
if AXES_FAILURE_LIMIT < 1 or _cooloff_minutes < 1:
    raise ImproperlyConfigured(
        "AXES_FAILURE_LIMIT and AXES_COOLOFF_MINUTES must be 1 or more."
    )
AXES_COOLOFF_TIME = timedelta(minutes=_cooloff_minutes)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# Axes' own reset on success clears every attempt from the signing-in address too, so
# one valid account could wipe the count of a guessing attack on another from the same
# address; massageclinic.signin clears only the signed-in name's failures instead.
AXES_RESET_ON_SUCCESS = False
AXES_CLIENT_IP_CALLABLE = "massageclinic.signin.client_address"
AXES_LOCKOUT_CALLABLE = "massageclinic.signin.lockout_response"
AXES_DISABLE_ACCESS_LOG = True  # the audit log records every sign-in and sign-out
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# A session ends after 15 idle minutes (the page warns a minute before) and at most
# 12 hours after signing in (massageclinic/session_security.py).
CLINIC_IDLE_LOGOFF_SECONDS = env_int("CLINIC_IDLE_LOGOFF_SECONDS", default=15 * 60)
CLINIC_IDLE_WARNING_SECONDS = env_int("CLINIC_IDLE_WARNING_SECONDS", default=60)
CLINIC_SESSION_MAX_SECONDS = env_int("CLINIC_SESSION_MAX_SECONDS", default=12 * 3600)
if min(CLINIC_IDLE_LOGOFF_SECONDS, CLINIC_SESSION_MAX_SECONDS) < 60:
    raise ImproperlyConfigured(
        "CLINIC_IDLE_LOGOFF_SECONDS and CLINIC_SESSION_MAX_SECONDS must be 60 or more."
    )
SESSION_COOKIE_AGE = CLINIC_SESSION_MAX_SECONDS

# --- Internationalisation: UTC in the database, the location's zone on the page ---
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files: served by the app itself (whitenoise), never from a CDN -------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", BASE_DIR / "node_modules" / "bootstrap-icons" / "font"),
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = Path(env_str("DJANGO_MEDIA_ROOT") or VAR_DIR / "media")
MEDIA_URL = "media/"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Email ----------------------------------------------------------------------
# With EMAIL_HOST set, mail goes over SMTP; without it (a development machine)
# every message is written to var/mail/ where the person trying the app can read it.
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_PORT = env_int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", default=False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured(
        "EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be on: choose one."
    )
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Clinic <no-reply@localhost>")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
# Client messages: the links in them point here (the address clients reach the app
# at), and internal notices go to the location's email, else to this address.
CLINIC_BASE_URL = env_url(
    "CLINIC_BASE_URL", default="http://127.0.0.1:8000", schemes=("http", "https")
).rstrip("/")
CLINIC_FRONT_DESK_EMAIL = env_str("CLINIC_FRONT_DESK_EMAIL")
# Rows handed to one worker task, each batch sent over one SMTP connection.
CLINIC_MESSAGE_BATCH_SIZE = env_int("CLINIC_MESSAGE_BATCH_SIZE", default=50)
if CLINIC_MESSAGE_BATCH_SIZE < 1:
    raise ImproperlyConfigured("CLINIC_MESSAGE_BATCH_SIZE must be 1 or more.")
# A worker holds its claim on a batch for this long unless it renews it (it does, a
# few times a lease, while it lives); a dead worker's rows are sent again after it.
CLINIC_MESSAGE_LEASE_SECONDS = env_int("CLINIC_MESSAGE_LEASE_SECONDS", default=60)
if CLINIC_MESSAGE_LEASE_SECONDS < 10:
    raise ImproperlyConfigured("CLINIC_MESSAGE_LEASE_SECONDS must be 10 or more.")
# The wait for the mail server's reply once it has the whole message (RFC 5321
# section 4.5.3.2.6: 10 minutes); an error after that is an unknown outcome.
CLINIC_MESSAGE_DATA_REPLY_TIMEOUT = env_int(
    "CLINIC_MESSAGE_DATA_REPLY_TIMEOUT", default=600
)
if CLINIC_MESSAGE_DATA_REPLY_TIMEOUT < 1:
    raise ImproperlyConfigured("CLINIC_MESSAGE_DATA_REPLY_TIMEOUT must be 1 or more.")

# --- Security --------------------------------------------------------------------
# A clinic app holding health data serves everything itself: no script from anywhere
# else and no inline script at all. Style attributes stay allowed for values computed
# on the page (a therapist's colour, the width of a usage bar); they cannot run code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# A form sent after its token expired gets a page in the layout that says what to do.
CSRF_FAILURE_VIEW = "massageclinic.errors.csrf_failure"
# HTTPS only in production: a plain request is redirected, and HSTS tells browsers
# never to try plain HTTP again (a year, the subdomains too). Behind a proxy that
# terminates TLS, set DJANGO_PROXY_SSL_HEADER (e.g. HTTP_X_FORWARDED_PROTO=https) so
# Django knows which requests came over HTTPS, or DJANGO_SSL_REDIRECT=0 when the
# proxy redirects itself.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", default=0 if DEBUG else 31536000)
if SECURE_HSTS_SECONDS < 0:
    raise ImproperlyConfigured("DJANGO_HSTS_SECONDS must be 0 or more.")
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", default=True)
_proxy_ssl_header = env_str("DJANGO_PROXY_SSL_HEADER")
if _proxy_ssl_header:
    _header, _, _value = _proxy_ssl_header.partition("=")
    if not (_header.startswith("HTTP_") and _value):
        raise ImproperlyConfigured(
            f"DJANGO_PROXY_SSL_HEADER={_proxy_ssl_header!r} is not HEADER=value, "
            "e.g. HTTP_X_FORWARDED_PROTO=https."
        )
    SECURE_PROXY_SSL_HEADER = (_header, _value)

# How many reverse proxies stand before gunicorn, each appending the address it got
# the request from to X-Forwarded-For (nginx: `proxy_set_header X-Forwarded-For
# $proxy_add_x_forwarded_for;`). The client's address, which the audit log records
# and sign-in lockouts count, is that many entries from the header's right
# (massageclinic.audit.client_ip). With 0, the default, the header is ignored
# (anyone can send one) and the address is the connection's own.
CLINIC_TRUSTED_PROXIES = env_int("CLINIC_TRUSTED_PROXIES", default=0)
if CLINIC_TRUSTED_PROXIES < 0:
    raise ImproperlyConfigured("CLINIC_TRUSTED_PROXIES must be 0 or more.")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
}
