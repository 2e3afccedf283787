from django.urls import path

from tellsafe.matching import views

app_name = "matching"

urlpatterns = [
    path("remove/", views.start, name="remove"),
    path("remove/done/", views.done, name="remove_done"),
    path("remove/withdraw/", views.withdraw, name="remove_withdraw"),
]
