from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "tellsafe.intake"
    label = "intake"
    verbose_name = "Intake"
