from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "tellsafe.partners"
    label = "partners"
    verbose_name = "Partners"
