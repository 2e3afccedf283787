from __future__ import annotations

import pytest

from tellsafe.routing.tests.notices.factories import FlakyEmailBackend, PartnerServer


@pytest.fixture
def server():
    """A partner's HTTP server and a DNS, instead of the network."""
    fake = PartnerServer()
    fake.install()
    yield fake
    PartnerServer.uninstall()


@pytest.fixture
def flaky_mail(settings):
    settings.EMAIL_BACKEND = "tellsafe.routing.tests.notices.factories.FlakyEmailBackend"
    FlakyEmailBackend.failures = 0
    FlakyEmailBackend.error = OSError("connection refused")
    yield FlakyEmailBackend
    FlakyEmailBackend.failures = 0
    FlakyEmailBackend.error = OSError("connection refused")
