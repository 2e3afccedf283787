"""The routing pages mounted as config/urls.py mounts them (``desk/routing/``), with the
rest of the site, for ``@pytest.mark.urls``; once config/urls.py mounts them itself,
this is the site's own URLconf."""

from __future__ import annotations

from django.urls import URLResolver, include, path

from tellsafe.config import urls as real_urls

_mounted = any(
    isinstance(p, URLResolver) and p.namespace == "routing" for p in real_urls.urlpatterns
)
urlpatterns = [
    *([] if _mounted else [path("desk/routing/", include("tellsafe.routing.rules.urls"))]),
    *real_urls.urlpatterns,
]
