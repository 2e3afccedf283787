from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "tellsafe.referrals"
    label = "referrals"
    verbose_name = "Support services"
