from django.urls import include, path
from django.views.i18n import set_language

from tellsafe.config.api import api
from tellsafe.core import health
from tellsafe.intake import hooks

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("api/v1/", api.urls),
    path("hooks/<str:plugin>/<slug:slug>/", hooks.webhook, name="webhook"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("desk/account/", include("tellsafe.accounts.urls")),
    path("desk/banks/", include("tellsafe.matching.urls_desk")),
    path("", include("tellsafe.routing.notices.urls")),
    path("desk/routing/", include("tellsafe.routing.rules.urls")),
    path("desk/", include("tellsafe.cases.urls")),
    path("", include("tellsafe.matching.urls")),
    path("", include("tellsafe.intake.urls")),
]
