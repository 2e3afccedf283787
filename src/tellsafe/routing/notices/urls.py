"""The pages of notices, mounted at the site root:

- ``/notice/<token>/``: the partner's secure confirmation page (payload.LINK_PATH);
- ``/desk/notices/stats/``: removal-time figures for the desk (``case.view``).
"""

from django.urls import path

from tellsafe.routing.notices import views

app_name = "notices"

urlpatterns = [
    path("notice/<str:token>/", views.confirm, name="confirm"),
    path("desk/notices/stats/", views.stats_page, name="stats"),
]
