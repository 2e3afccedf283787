"""Fixtures shared by the intake tests."""

import pytest

from tellsafe.core import http as outbound_http
from tellsafe.intake.demo_channels import ensure_demo_channels
from tellsafe.intake.tests.media_helpers import MediaApis


@pytest.fixture
def apis():
    """The providers' media APIs, answered by a double behind the outbound HTTP client."""
    ensure_demo_channels()
    fake = MediaApis()
    fake.install()
    yield fake
    outbound_http.set_transport(None)
