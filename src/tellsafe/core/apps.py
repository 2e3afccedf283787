from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "tellsafe.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from tellsafe.core import crypto

        # Fail at start-up, not on the first report, if the keys are malformed.
        crypto.keyring()
