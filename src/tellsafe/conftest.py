from __future__ import annotations

import os

import pytest
from django.core.cache import cache

from tellsafe.cases import urgency
from tellsafe.taxonomy import selectors as taxonomy_selectors

CHROMIUM = os.environ.get("TELLSAFE_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium, driven by Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls made by the
    # test itself are still synchronous and safe.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: run scripts/ensure-chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Rate-limit counters and cached taxonomy codes must not leak between tests."""
    cache.clear()
    taxonomy_selectors.forget_cached()
    urgency.forget_cached()
    from tellsafe.intake.hooks import forget_configs

    forget_configs()
    from tellsafe.matching.matcher import reset_matcher

    reset_matcher()  # the index is a cache of one test's banks
    yield
    cache.clear()
    reset_matcher()


@pytest.fixture(autouse=True)
def _taxonomy_after_flush(request):
    """Transactional tests flush every table, data migrations' rows included; put the
    taxonomy back, as every real installation has it."""
    marker = request.node.get_closest_marker("django_db")
    if marker and marker.kwargs.get("transaction"):
        request.getfixturevalue("transactional_db")
        from tellsafe.taxonomy.models import HarmCategory
        from tellsafe.taxonomy.seed import seed

        seed(HarmCategory)
        from tellsafe.cases.models import UrgencyRule

        if not UrgencyRule.objects.exists():
            for rule in urgency.DEFAULT_RULES:
                UrgencyRule.objects.create(**rule)
        from tellsafe.routing.rules.seed import seed_defaults

        seed_defaults()
    yield


def pytest_sessionfinish(session, exitstatus):
    """Remove this run's SQLite leftovers (the write-lock file, WAL files)."""
    import os
    from pathlib import Path

    from django.conf import settings

    for path in Path(settings.DATA_DIR).glob(f"test-suite-{os.getpid()}.sqlite3*"):
        path.unlink(missing_ok=True)
