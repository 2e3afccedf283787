from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "tellsafe.cases"
    label = "cases"
    verbose_name = "Cases"

    def ready(self) -> None:
        from tellsafe.cases import checks  # noqa: F401  (registers the system checks)
