from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "tellsafe.cases"
    label = "cases"
    verbose_name = "Cases"
