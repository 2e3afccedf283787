from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "tellsafe.accounts"
    label = "accounts"
    verbose_name = "Staff accounts"
