"""The notice API and pages mounted as they will be in config (API at
``/api/notices-test/notices``, pages at the root), for ``@pytest.mark.urls``."""

from __future__ import annotations

from django.urls import include, path
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from tellsafe.config import api as real_api
from tellsafe.config import urls as real_urls
from tellsafe.core.errors import ApplicationError
from tellsafe.routing.notices.api import router

PREFIX = "/api/notices-test/notices"

api = NinjaAPI(urls_namespace="notices-test", docs_url=None)
api.add_exception_handler(ApplicationError, real_api.application_error)
api.add_exception_handler(AuthenticationError, real_api.authentication_error)
api.add_exception_handler(ValidationError, real_api.validation_error)
api.add_exception_handler(HttpError, real_api.http_error)
api.add_exception_handler(Exception, real_api.unexpected_error)
api.add_router("/notices", router)

urlpatterns = [
    path("api/notices-test/", api.urls),
    path("", include("tellsafe.routing.notices.urls")),
    *real_urls.urlpatterns,
]
