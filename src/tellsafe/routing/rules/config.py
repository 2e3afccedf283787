"""The settings routing reads, each with its default and its check (``checks``).

- ``HOME_COUNTRY``: where "domestic" is (ISO 3166-1 alpha-2); default ``PHONE_REGION``,
  else "IN".
- ``ROUTING_NO_HOTLINE_DESTINATIONS``: where content hosted in a country with no hotline
  goes: any of "ncmec", "interpol"; default ["ncmec"].
- ``ROUTING_NCMEC_PARTNER`` / ``ROUTING_INTERPOL_PARTNER``: the names of the partners
  that receive those forwards as notices; default "NCMEC" and "INTERPOL".
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from tellsafe.partners.countries import is_country_code

NO_HOTLINE_CHOICES = ("ncmec", "interpol")
DEFAULT_PARTNER_NAMES = {"ncmec": "NCMEC", "interpol": "INTERPOL"}
_PARTNER_SETTINGS = {"ncmec": "ROUTING_NCMEC_PARTNER", "interpol": "ROUTING_INTERPOL_PARTNER"}


def _raw_home() -> Any:
    return getattr(settings, "HOME_COUNTRY", "") or getattr(settings, "PHONE_REGION", "") or "IN"


def home_country() -> str:
    """The home country, upper case; "" when the setting is not a country code (the
    start-up check reports it, and nothing is then classed domestic)."""
    value = _raw_home()
    if not isinstance(value, str):
        return ""
    code = value.strip().upper()
    return code if is_country_code(code) else ""


def no_hotline_destinations() -> tuple[str, ...]:
    """The configured destinations for content hosted where no hotline works; unknown
    values are left out (and reported by the start-up check)."""
    value = getattr(settings, "ROUTING_NO_HOTLINE_DESTINATIONS", None)
    if value is None:
        return ("ncmec",)
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list | tuple):
        return ()
    chosen = [str(v).strip().lower() for v in value if isinstance(v, str)]
    return tuple(v for v in NO_HOTLINE_CHOICES if v in chosen)


def partner_name(which: str) -> str:
    """The name of the partner that receives ``which`` ("ncmec" or "interpol")."""
    value = getattr(settings, _PARTNER_SETTINGS[which], "") or DEFAULT_PARTNER_NAMES[which]
    return " ".join(str(value).split())[:200]


def problems() -> list[str]:
    """What is wrong with these settings, in words for the operator."""
    found: list[str] = []
    home = _raw_home()
    if not isinstance(home, str) or not is_country_code(home.strip().upper()):
        found.append("HOME_COUNTRY must be an ISO 3166-1 alpha-2 country code, such as IN.")
    value = getattr(settings, "ROUTING_NO_HOTLINE_DESTINATIONS", None)
    if value is not None:
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list | tuple) or any(
            not isinstance(v, str) or v.strip().lower() not in NO_HOTLINE_CHOICES for v in items
        ):
            found.append(
                "ROUTING_NO_HOTLINE_DESTINATIONS must list any of: "
                + ", ".join(NO_HOTLINE_CHOICES)
                + "."
            )
    for name in _PARTNER_SETTINGS.values():
        raw = getattr(settings, name, "")
        if raw is not None and not isinstance(raw, str):
            found.append(f"{name} must be a partner's name (text).")
    return found
