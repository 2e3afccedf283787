from django.urls import path

from tellsafe.intake import views

app_name = "intake"

# Neutral paths: a shared device's history should not spell out what was reported.
urlpatterns = [
    path("", views.home, name="home"),
    path("x/", views.quick_exit, name="quick_exit"),
    path("lang/<str:code>/", views.switch_language, name="language"),
    path("safety/", views.safety, name="safety"),
    path("help/", views.help_now, name="help"),
    path("report/who/", views.who, name="who"),
    path("report/age/", views.age, name="age"),
    path("report/what/", views.what, name="what"),
    path("report/details/", views.details, name="details"),
    path("report/safe/", views.safe, name="safe"),
    path("report/help-now/", views.danger, name="danger"),
    path("report/contact/", views.contact, name="contact"),
    path("report/check/", views.check, name="check"),
    path("report/done/", views.done, name="done"),
    path("status/", views.status_lookup, name="status"),
    path("status/view/", views.status_view, name="status_view"),
    path("status/add/", views.status_add, name="status_add"),
    path("status/feedback/", views.status_feedback, name="status_feedback"),
    path("status/leave/", views.status_leave, name="status_leave"),
]
