from __future__ import annotations

from tellsafe.referrals.models import EmergencyNumber, Service


def emergency_numbers() -> list[EmergencyNumber]:
    return list(EmergencyNumber.objects.filter(active=True))


def help_now_services() -> list[Service]:
    return list(Service.objects.filter(active=True, help_now=True))
