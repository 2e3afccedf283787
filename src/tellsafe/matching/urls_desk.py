from django.urls import path

from tellsafe.matching import views_desk

app_name = "banks"

urlpatterns = [
    path("", views_desk.banks, name="list"),
    path("review/", views_desk.review, name="review"),
    path("review/<int:hash_id>/", views_desk.decide, name="decide"),
]
