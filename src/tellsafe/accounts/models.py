from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models


class Role(models.TextChoices):
    COUNSELLOR = "counsellor", "Counsellor"
    ANALYST = "analyst", "Analyst"
    SUPERVISOR = "supervisor", "Supervisor"
    ADMINISTRATOR = "administrator", "Administrator"
    AUDITOR = "auditor", "Auditor"


class User(AbstractUser):
    """A staff member. Reporters never have accounts. A user with no role can do nothing:
    permissions are denied by default."""

    role = models.CharField(max_length=16, choices=Role.choices, blank=True)
    team = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return self.username
