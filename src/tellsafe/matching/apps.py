from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "tellsafe.matching"
    label = "matching"
    verbose_name = "Known-content detection"
