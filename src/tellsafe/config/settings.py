"""Django settings for tellsafe. Every value comes from the environment (see env.py).

docs/runbook.md lists each variable with its default and meaning.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from tellsafe.config import env

PACKAGE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env.get("TELLSAFE_DATA_DIR", str(Path.cwd() / "var")) or "var").resolve()

SECRET_KEY = env.required("TELLSAFE_SECRET_KEY")
DEBUG = env.boolean("TELLSAFE_DEBUG", False)
ALLOWED_HOSTS = env.csv("TELLSAFE_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env.csv("TELLSAFE_CSRF_TRUSTED_ORIGINS")
# Where the public site is reached; used in links the API hands out.
PUBLIC_URL = (env.get("TELLSAFE_PUBLIC_URL", "http://127.0.0.1:8000") or "").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.staticfiles",
    "django.contrib.messages",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "tellsafe.core",
    "tellsafe.accounts",
    "tellsafe.taxonomy",
    "tellsafe.referrals",
    "tellsafe.cases",
    "tellsafe.intake",
    "tellsafe.matching",
    "tellsafe.partners",
    "tellsafe.routing",
]

MIDDLEWARE = [
    "tellsafe.core.middleware.RequestLogMiddleware",
    "tellsafe.core.middleware.NoStoreMiddleware",
    "tellsafe.core.middleware.ApiErrorShapeMiddleware",
    "tellsafe.core.middleware.BodySizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "tellsafe.accounts.middleware.StaffIdleTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tellsafe.config.urls"
WSGI_APPLICATION = "tellsafe.config.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # counts failures and locks out
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
LOGIN_REDIRECT_URL = "desk:queue"
# Failed staff logins: lock the username+address pair after AXES_FAILURE_LIMIT tries.
AXES_FAILURE_LIMIT = env.integer("TELLSAFE_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env.integer("TELLSAFE_LOGIN_COOLOFF_MINUTES", 30) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Keep only what lock-outs need: no log of every sign-in or of each mistyped name.
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False
OTP_TOTP_ISSUER = env.get("TELLSAFE_OTP_ISSUER", "tellsafe") or "tellsafe"
# Staff sessions end after this many seconds without a request (the desk).
STAFF_IDLE_SECONDS = env.integer("TELLSAFE_STAFF_IDLE_SECONDS", 30 * 60)

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "tellsafe.core.context_processors.public",
                "tellsafe.accounts.context_processors.desk",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'tellsafe.sqlite3'}",
        conn_max_age=env.integer("TELLSAFE_DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at the
    # start of a transaction so two writers queue instead of failing half-way.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA busy_timeout=20000; PRAGMA foreign_keys=ON;"
        ),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (rate limits and lockouts) ----------------------------------------------------
_cache_url = env.get("TELLSAFE_CACHE_URL", "db") or "db"
if _cache_url.startswith(("redis://", "rediss://")):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _cache_url,
        }
    }
elif _cache_url == "locmem":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    # Shared by every web process with no extra server: fine for one machine.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "tellsafe_cache",
        }
    }

# --- Background work (Django Tasks API) -------------------------------------------------
_task_backend = env.get("TELLSAFE_TASK_BACKEND", "db") or "db"
TASKS = {
    "default": {
        "BACKEND": {
            "db": "django_tasks_db.DatabaseBackend",
            "rq": "django_tasks_rq.RQBackend",
            "immediate": "django_tasks.backends.immediate.ImmediateBackend",
        }[_task_backend],
        "QUEUES": ["default"],
    }
}
if _task_backend == "rq":
    # Scale-out: tasks go to Redis and any number of `tellsafe worker` processes on any
    # machine run them (django-tasks-rq on django-rq).
    INSTALLED_APPS.append("django_rq")
    RQ_QUEUES = {"default": {"URL": env.get("TELLSAFE_REDIS_URL", "redis://127.0.0.1:6379/0")}}
TASK_BACKEND = _task_backend

# --- Sessions, cookies and security headers ---------------------------------------------
# Sessions hold report drafts, so they live in the database, encrypted (core.sessions).
SESSION_ENGINE = "tellsafe.core.sessions"
SESSION_COOKIE_NAME = "sid"  # neutral: a cookie name must not reveal what the site is.
SESSION_COOKIE_AGE = env.integer("TELLSAFE_SESSION_SECONDS", 6 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_SAVE_EVERY_REQUEST = False
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_USE_SESSIONS = True  # one cookie on the child's device, not two.
CSRF_FAILURE_VIEW = "tellsafe.intake.views.csrf_failure"
LANGUAGE_COOKIE_NAME = "lang"
LANGUAGE_COOKIE_AGE = None  # session cookie: leaves no lasting trace.

HTTPS = env.boolean("TELLSAFE_HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env.boolean("TELLSAFE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if env.boolean("TELLSAFE_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many reverse proxies append to X-Forwarded-For in front of the app (0: none; the
# client address is REMOTE_ADDR). Rate limits and lock-outs count per client address.
TRUSTED_PROXIES = env.integer("TELLSAFE_TRUSTED_PROXIES", 0)
SECURE_CONTENT_TYPE_NOSNIFF = True
# same-origin: other sites get no referrer, and our own form posts keep their Origin
# header (with no-referrer, browsers send "Origin: null" and CSRF checks fail).
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "form-action": ["'self'"],
        "connect-src": ["'self'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
    }
}

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# --- Request limits ---------------------------------------------------------------------
MAX_BODY_BYTES = env.integer("TELLSAFE_MAX_BODY_BYTES", 64 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200

# --- Languages --------------------------------------------------------------------------
USE_I18N = True
USE_TZ = True
TIME_ZONE = env.get("TELLSAFE_TIME_ZONE", "UTC") or "UTC"
LANGUAGE_CODE = env.get("TELLSAFE_LANGUAGE_CODE", "en") or "en"
_SHIPPED_LANGUAGES = {"en": _("English"), "hi": _("Hindi"), "ur": _("Urdu")}
LANGUAGES = [
    (code, _SHIPPED_LANGUAGES[code])
    for code in env.csv("TELLSAFE_LANGUAGES", "en,hi,ur")
    if code in _SHIPPED_LANGUAGES
]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]

# --- Static files -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env.boolean("TELLSAFE_MANIFEST_STATIC", True)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_MAX_AGE = 3600

# --- Field encryption and keyed hashes (core.crypto) ------------------------------------
# "kid:base64key,kid:base64key": the first key encrypts, all keys decrypt.
FIELD_KEYS = env.required("TELLSAFE_FIELD_KEYS")
HMAC_KEY = env.required("TELLSAFE_HMAC_KEY")

# --- The reporting service --------------------------------------------------------------
QUICK_EXIT_URL = env.get("TELLSAFE_QUICK_EXIT_URL", "https://www.bbc.com/weather")
PHONE_REGION = (env.get("TELLSAFE_PHONE_REGION", "") or "").upper() or None
MAX_REPORT_URLS = env.integer("TELLSAFE_MAX_REPORT_URLS", 10)
MAX_DETAILS_CHARS = env.integer("TELLSAFE_MAX_DETAILS_CHARS", 5000)
# Reports a single address may send per hour (web and API). 0 turns the limit off.
REPORTS_PER_HOUR_PER_ADDRESS = env.integer("TELLSAFE_REPORTS_PER_HOUR_PER_ADDRESS", 30)
STATUS_MAX_FAILURES = env.integer("TELLSAFE_STATUS_MAX_FAILURES", 5)
STATUS_ADDRESS_MAX_FAILURES = env.integer("TELLSAFE_STATUS_ADDRESS_MAX_FAILURES", 30)
STATUS_LOCK_SECONDS = env.integer("TELLSAFE_STATUS_LOCK_SECONDS", 15 * 60)
IDEMPOTENCY_SECONDS = env.integer("TELLSAFE_IDEMPOTENCY_SECONDS", 24 * 3600)
TASK_RESULT_DAYS = env.integer("TELLSAFE_TASK_RESULT_DAYS", 14)
# A chat idle this long is paused with a gentle message; its answers are kept.
CHAT_EXPIRE_HOURS = env.integer("TELLSAFE_CHAT_EXPIRE_HOURS", 72)
# Images larger than this many pixels are refused before decoding (decompression bombs).
HASH_MAX_PIXELS = env.integer("TELLSAFE_HASH_MAX_PIXELS", 64_000_000)
# --- Known-content detection (matching) -------------------------------------------------
# PDQ matches within this Hamming distance (31 is the industry default); a lookup may ask
# for another, up to MATCH_MAX_THRESHOLD (63 at most: beyond, matches are mostly noise).
MATCH_THRESHOLD = env.integer("TELLSAFE_MATCH_THRESHOLD", 31)
MATCH_MAX_THRESHOLD = min(env.integer("TELLSAFE_MATCH_MAX_THRESHOLD", 63), 63)
MATCH_BATCH_MAX = env.integer("TELLSAFE_MATCH_BATCH_MAX", 1000)  # hashes per /match call
# A matcher looks for bank changes at most this often (changes show within ~1 s).
MATCHER_REFRESH_SECONDS = float(env.get("TELLSAFE_MATCHER_REFRESH_SECONDS", "0.5") or 0.5)
# Snapshot that matcher processes start from; the worker rewrites it periodically.
MATCHER_SNAPSHOT_PATH = env.get(
    "TELLSAFE_MATCHER_SNAPSHOT_PATH", str(DATA_DIR / "matcher" / "banks")
)
MATCHER_SNAPSHOT_SECONDS = env.integer("TELLSAFE_MATCHER_SNAPSHOT_SECONDS", 600)
# Flood protection (matching/flood.py): quarantine a hash matching more than both of these
# in one hour: the minimum, and FLOOD_FACTOR x its hourly average over the baseline days.
FLOOD_MIN_MATCHES_PER_HOUR = env.integer("TELLSAFE_FLOOD_MIN_MATCHES_PER_HOUR", 50)
FLOOD_FACTOR = env.integer("TELLSAFE_FLOOD_FACTOR", 10)
FLOOD_BASELINE_DAYS = env.integer("TELLSAFE_FLOOD_BASELINE_DAYS", 7)
FLOOD_RELEASE_GRACE_HOURS = env.integer("TELLSAFE_FLOOD_RELEASE_GRACE_HOURS", 24)
# Largest image POST /api/v1/hashes accepts; it is held in memory only, never on disk.
HASH_UPLOAD_MAX_BYTES = env.integer("TELLSAFE_HASH_UPLOAD_MAX_BYTES", 50 * 1024 * 1024)
# Bodies larger than MAX_BODY_BYTES that these endpoints accept (core.middleware).
BODY_LIMITS_BY_PATH = {
    "/api/v1/hashes": HASH_UPLOAD_MAX_BYTES + 64 * 1024,
    "/api/v1/match": 2 * 1024 * 1024,
}
# Inbound email carries attachments, base64-encoded (a third larger), hashed in the hook.
BODY_LIMITS_BY_PREFIX = {
    "/hooks/email/": env.integer("TELLSAFE_EMAIL_HOOK_MAX_BYTES", 40 * 1024 * 1024),
}
# Django's own cap on reading a body: the largest of the limits above (the middleware
# applies the right one per path before anything reads the body).
DATA_UPLOAD_MAX_MEMORY_SIZE = max(
    MAX_BODY_BYTES, *BODY_LIMITS_BY_PATH.values(), *BODY_LIMITS_BY_PREFIX.values()
)
# Uploads are held in memory only, never written to a temporary file: no image is ever at
# rest (SECURITY.md). Anything larger than the limit is refused by the body-size check.
FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.MemoryFileUploadHandler"]
FILE_UPLOAD_MAX_MEMORY_SIZE = HASH_UPLOAD_MAX_BYTES + 64 * 1024
# Default per-minute request limit of a new partner API key (docs/partners.md).
PARTNER_API_REQUESTS_PER_MINUTE = env.integer("TELLSAFE_PARTNER_API_REQUESTS_PER_MINUTE", 600)
BANK_DOWNLOAD_PAGE = env.integer("TELLSAFE_BANK_DOWNLOAD_PAGE", 10_000)  # changes per page
# --- Hosting trace (routing); see docs/adr/0018-hosting-trace.md ------------------------
TRACE_NAMESERVERS = env.csv("TELLSAFE_TRACE_NAMESERVERS")  # empty: the system's resolvers
TRACE_TIMEOUT_SECONDS = env.integer("TELLSAFE_TRACE_TIMEOUT_SECONDS", 3)
# Newer IP database files than the packaged ones (optional; see the ADR's update path).
TRACE_IPDB_NETWORK_FILE = env.get("TELLSAFE_TRACE_IPDB_NETWORK_FILE", "") or ""
TRACE_IPDB_COUNTRY_FILE = env.get("TELLSAFE_TRACE_IPDB_COUNTRY_FILE", "") or ""
TRACE_GEOLOCATION = env.boolean("TELLSAFE_TRACE_GEOLOCATION", True)
TRACE_ABUSE_CONTACT_LOOKUP = env.get("TELLSAFE_TRACE_ABUSE_CONTACT_LOOKUP", "") or ""
TRACE_REUSE_SECONDS = env.integer("TELLSAFE_TRACE_REUSE_SECONDS", 300)
# Recorded DNS answers consulted before real DNS (the demo hosts of `make run`).
TRACE_RECORDED_ANSWERS_FILE = env.get("TELLSAFE_TRACE_RECORDED_ANSWERS_FILE", "") or ""

# --- Routing (routing/rules) ---------------------------------------------------------------
HOME_COUNTRY = (env.get("TELLSAFE_HOME_COUNTRY", "") or PHONE_REGION or "IN").upper()
ROUTING_NO_HOTLINE_DESTINATIONS = env.csv("TELLSAFE_ROUTING_NO_HOTLINE_DESTINATIONS", "ncmec")
ROUTING_NCMEC_PARTNER = env.get("TELLSAFE_ROUTING_NCMEC_PARTNER", "NCMEC") or "NCMEC"
ROUTING_INTERPOL_PARTNER = env.get("TELLSAFE_ROUTING_INTERPOL_PARTNER", "INTERPOL") or "INTERPOL"

# --- Takedown notices (routing/notices; docs/notices.md) ----------------------------------
# Re-check reported URLs with HTTP HEAD requests. Off: fetching abuse content needs a legal
# basis, so by default only the partner's confirmation counts.
NOTICE_HTTP_HEAD_CHECKS = env.boolean("TELLSAFE_NOTICE_HTTP_HEAD_CHECKS", False)
NOTICE_FROM_EMAIL = env.get("TELLSAFE_NOTICE_FROM_EMAIL", "") or ""

# --- Exchange with NCMEC and other hotlines (routing/exchange; docs/exchange.md) -----------
EXCHANGE_ORG_NAME = env.get("TELLSAFE_EXCHANGE_ORG_NAME", "") or ""
EXCHANGE_ORG_EMAIL = env.get("TELLSAFE_EXCHANGE_ORG_EMAIL", "") or ""
EXCHANGE_ORG_DOMAIN = env.get("TELLSAFE_EXCHANGE_ORG_DOMAIN", "") or ""
EXCHANGE_ORG_COUNTRY = env.get("TELLSAFE_EXCHANGE_ORG_COUNTRY", "") or ""
EXCHANGE_REFERENCE_PREFIX = env.get("TELLSAFE_EXCHANGE_REFERENCE_PREFIX", "TS") or "TS"
NCMEC_ENVIRONMENT = env.get("TELLSAFE_NCMEC_ENVIRONMENT", "test") or "test"
NCMEC_BASE_URL = env.get("TELLSAFE_NCMEC_BASE_URL", "") or ""
NCMEC_USERNAME = env.get("TELLSAFE_NCMEC_USERNAME", "") or ""
NCMEC_PASSWORD = env.get("TELLSAFE_NCMEC_PASSWORD", "") or ""
NCMEC_REPORTER_FIRST_NAME = env.get("TELLSAFE_NCMEC_REPORTER_FIRST_NAME", "") or ""
NCMEC_REPORTER_LAST_NAME = env.get("TELLSAFE_NCMEC_REPORTER_LAST_NAME", "") or ""

# First-response promise per urgency, in minutes; the confirmation page quotes it.
FIRST_RESPONSE_MINUTES = {
    "imminent": env.integer("TELLSAFE_FIRST_RESPONSE_IMMINENT_MINUTES", 15),
    "high": env.integer("TELLSAFE_FIRST_RESPONSE_HIGH_MINUTES", 24 * 60),
    "normal": env.integer("TELLSAFE_FIRST_RESPONSE_NORMAL_MINUTES", 72 * 60),
}

# --- Logging: JSON lines, ids and codes only (core.logging) -----------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"scrub": {"()": "tellsafe.core.logging.ScrubFilter"}},
    "formatters": {
        "json": {"()": "tellsafe.core.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["scrub"]},
    },
    "root": {"handlers": ["console"], "level": env.get("TELLSAFE_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "django.security.DisallowedHost": {"level": "ERROR"},
        # httpx logs each request's URL, and some provider URLs carry a token.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}

# --- Case desk ---------------------------------------------------------------------------
# Notifier plugins used to escalate overdue cases (cases/notifiers): console, email.
ESCALATION_NOTIFIERS = env.csv("TELLSAFE_ESCALATION_NOTIFIERS", "console")
ONCALL_EMAIL = env.get("TELLSAFE_ONCALL_EMAIL", "") or ""
EMAIL_BACKEND = env.get("TELLSAFE_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.get("TELLSAFE_SMTP_HOST", "localhost")
EMAIL_PORT = env.integer("TELLSAFE_SMTP_PORT", 25)
EMAIL_HOST_USER = env.get("TELLSAFE_SMTP_USER", "") or ""
EMAIL_HOST_PASSWORD = env.get("TELLSAFE_SMTP_PASSWORD", "") or ""
EMAIL_USE_TLS = env.boolean("TELLSAFE_SMTP_TLS", False)
DEFAULT_FROM_EMAIL = env.get("TELLSAFE_FROM_EMAIL", "tellsafe@localhost")

# --- Retention and key rotation ---
# Closed cases are anonymised this many days after closing (cases.retention, run daily).
RETENTION_DAYS = env.integer("TELLSAFE_RETENTION_DAYS", 365)

# --- Staff security ---
# Idle sign-out of the desk: tellsafe.accounts.middleware (STAFF_IDLE_SECONDS above).
# A locked-out sign-in gets the sign-in page with the lock-out message (429), not axes'
# plain-text answer.
AXES_LOCKOUT_CALLABLE = "tellsafe.accounts.views.lockout_response"
# Lock-outs count per client address as rate limits do (behind TELLSAFE_TRUSTED_PROXIES).
AXES_CLIENT_IP_CALLABLE = "tellsafe.core.ratelimit.client_ip_or_none"
