from __future__ import annotations

import pytest
from django.core.cache import cache

from tellsafe.taxonomy import selectors as taxonomy_selectors


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Rate-limit counters and cached taxonomy codes must not leak between tests."""
    cache.clear()
    taxonomy_selectors.forget_cached()
    yield
    cache.clear()
