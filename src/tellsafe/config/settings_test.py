"""Settings for the test suite: the real settings, with throwaway secrets.

Only values that would otherwise be missing are set; DATABASE_URL from the environment
still chooses SQLite or PostgreSQL, so one suite runs on both.
"""

import os

os.environ.setdefault("TELLSAFE_SECRET_KEY", "test-secret-key-not-for-production-use-0123456789")
os.environ.setdefault(
    "TELLSAFE_FIELD_KEYS",
    "t1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
)
os.environ.setdefault(
    "TELLSAFE_HMAC_KEY", "dGVzdC1obWFjLWtleS0wMTIzNDU2Nzg5YWJjZGVmLTAxMjM0NTY3ODk="
)
os.environ.setdefault("TELLSAFE_TASK_BACKEND", "db")
os.environ.setdefault("TELLSAFE_CACHE_URL", "locmem")
os.environ.setdefault("TELLSAFE_MANIFEST_STATIC", "false")
os.environ.setdefault("TELLSAFE_PHONE_REGION", "IN")
os.environ.setdefault("TELLSAFE_MATCHER_REFRESH_SECONDS", "0")
os.environ.setdefault("TELLSAFE_MATCHER_SNAPSHOT_PATH", "")
os.environ.setdefault("TELLSAFE_ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")

from tellsafe.config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # staff logins only

# Serve static files straight from the apps in tests (no collectstatic).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405

# SQLite tests use a database file, as production does, not shared-cache memory: threads
# then queue on WAL and the write lock exactly like web processes.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # One file per test process, so runs side by side never share a database.
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(DATA_DIR / f"test-suite-{os.getpid()}.sqlite3")  # noqa: F405
    }
else:
    # The same for PostgreSQL: a test database per process.
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"  # noqa: F405
    }
