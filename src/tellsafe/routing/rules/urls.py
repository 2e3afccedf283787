"""The desk's routing pages, in the ``routing`` namespace. config/urls.py mounts them
with ``path("desk/routing/", include("tellsafe.routing.rules.urls"))``."""

from django.urls import path

from tellsafe.routing.rules import views, views_config

app_name = "routing"

urlpatterns = [
    path("cases/<int:case_id>/items/<int:item_id>/assess/", views.assess, name="assess"),
    path("cases/<int:case_id>/items/<int:item_id>/confirm/", views.confirm, name="confirm"),
    path("cases/<int:case_id>/hold/", views.hold_set, name="hold_set"),
    path("cases/<int:case_id>/hold/release/", views.hold_release, name="hold_release"),
    path("rules/", views_config.rules, name="rules"),
    path("rules/new/", views_config.rule_edit, name="rule_new"),
    path("rules/<int:rule_id>/", views_config.rule_edit, name="rule"),
    path("hotlines/", views_config.hotlines, name="hotlines"),
    path("hotlines/new/", views_config.hotline_edit, name="hotline_new"),
    path("hotlines/<int:hotline_id>/", views_config.hotline_edit, name="hotline"),
]
