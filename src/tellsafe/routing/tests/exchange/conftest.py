from __future__ import annotations

import pytest

from tellsafe.core import http as outbound_http


@pytest.fixture(autouse=True)
def _sender(settings):
    """Who we are in exchange documents, as an installation configures it."""
    settings.EXCHANGE_ORG_NAME = "Tellsafe National Hotline"
    settings.EXCHANGE_ORG_EMAIL = "exchange@hotline.example.org"
    settings.EXCHANGE_ORG_DOMAIN = "hotline.example.org"
    settings.EXCHANGE_ORG_COUNTRY = "IN"
    settings.EXCHANGE_REFERENCE_PREFIX = "TSIN"
    settings.NCMEC_REPORTER_FIRST_NAME = "Asha"
    settings.NCMEC_REPORTER_LAST_NAME = "Rao"
    settings.NCMEC_USERNAME = "hotline-user"
    settings.NCMEC_PASSWORD = "hotline-secret"
    settings.NCMEC_ENVIRONMENT = "test"
    yield
    outbound_http.set_transport(None)
