"""One validation of a report, shared by the web journey, the API and (later) the
channels, so every door accepts and refuses the same things with the same words."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import get_supported_language_variant
from django.utils.translation import gettext as _

from tellsafe.core.errors import ApplicationError
from tellsafe.core.text import clean_text, clean_url
from tellsafe.intake.models import AgeBand, ContactKind, ReporterKind
from tellsafe.taxonomy.selectors import active_codes


@dataclass(frozen=True)
class ReportInput:
    reporter: str
    age_band: str
    language: str
    categories: tuple[str, ...]
    details: str = ""
    urls: tuple[str, ...] = ()
    safe_now: bool | None = None
    contact_kind: str = ContactKind.NONE
    contact_value: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def supported_language(code: Any) -> str:
    """The language to use for ``code``; unknown or missing codes fall back to the default."""
    if isinstance(code, str) and code:
        try:
            return get_supported_language_variant(code.strip().lower()[:16])
        except LookupError:
            pass
    return settings.LANGUAGE_CODE


def normalise_contact(kind: str, value: str) -> str:
    """The canonical form of a contact: E.164 for phones, lower-case for email."""
    if kind in (ContactKind.WHATSAPP, ContactKind.SMS):
        try:
            number = phonenumbers.parse(value, settings.PHONE_REGION)
        except phonenumbers.NumberParseException as exc:
            raise ValidationError(_("This phone number does not look right."), "phone") from exc
        if not phonenumbers.is_valid_number(number):
            raise ValidationError(_("This phone number does not look right."), "phone")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if kind == ContactKind.EMAIL:
        value = value.strip()
        try:
            validate_email(value)
        except ValidationError as exc:
            raise ValidationError(_("This email address does not look right."), "email") from exc
        local, _at, domain = value.rpartition("@")
        return f"{local}@{domain.lower()}"
    if kind == ContactKind.TELEGRAM:
        value = value.strip()
        if not value.lstrip("-").isdigit():
            raise ValidationError(_("This chat id does not look right."), "telegram")
        return value
    return ""


def _choice(value: Any, choices: Sequence[str]) -> str | None:
    return value if isinstance(value, str) and value in choices else None


def validate_report(raw: Mapping[str, Any]) -> ReportInput:
    """Check every field of a report and return it cleaned, or raise one
    ApplicationError listing every problem found, keyed by field."""
    errors: dict[str, list[str]] = {}

    def fail(name: str, message: str) -> None:
        errors.setdefault(name, []).append(str(message))

    reporter = _choice(raw.get("reporter"), ReporterKind.values)
    if reporter is None:
        fail("reporter", _("Please choose who is reporting."))
    age_band = _choice(raw.get("age_band"), [v for v in AgeBand.values if v != AgeBand.UNKNOWN])
    if age_band is None:
        fail("age_band", _("Please choose an age."))
    language = supported_language(raw.get("language"))

    categories = raw.get("categories")
    cleaned_categories: list[str] = []
    if not isinstance(categories, list | tuple) or not categories:
        fail("categories", _("Please choose at least one thing that happened."))
    else:
        known = active_codes()
        for code in categories:
            if not isinstance(code, str) or code not in known:
                fail(
                    "categories",
                    _("We do not know this choice: %(code)s") % {"code": str(code)[:48]},
                )
            elif code not in cleaned_categories:
                cleaned_categories.append(code)

    details = raw.get("details") or ""
    if not isinstance(details, str):
        fail("details", _("Please write your words as text."))
        details = ""
    else:
        try:
            details = clean_text(details, multiline=True, max_length=settings.MAX_DETAILS_CHARS)
        except ValidationError as exc:
            fail("details", exc.messages[0])

    urls_raw = raw.get("urls") or []
    urls: list[str] = []
    if not isinstance(urls_raw, list | tuple):
        fail("urls", _("Links must be a list."))
    elif len(urls_raw) > settings.MAX_REPORT_URLS:
        fail("urls", _("Please send at most %(max)d links.") % {"max": settings.MAX_REPORT_URLS})
    else:
        for index, url in enumerate(urls_raw):
            if not isinstance(url, str):
                fail(
                    f"urls.{index}",
                    _("This does not look like a web link. Check it and try again."),
                )
                continue
            if not url.strip():
                continue
            try:
                cleaned = clean_url(url)
            except ValidationError as exc:
                fail(f"urls.{index}", exc.messages[0])
                continue
            if cleaned not in urls:
                urls.append(cleaned)

    safe_now = raw.get("safe_now")
    if safe_now is not None and not isinstance(safe_now, bool):
        fail("safe_now", _("Please answer yes, no, or leave it out."))
        safe_now = None

    contact = raw.get("contact") or {"kind": ContactKind.NONE}
    contact_kind = ContactKind.NONE
    contact_value = ""
    if not isinstance(contact, Mapping):
        fail("contact", _("Please choose how we may reach you."))
    else:
        kind = _choice(contact.get("kind", ContactKind.NONE), ContactKind.values)
        value = contact.get("value") or ""
        if kind is None:
            fail("contact.kind", _("Please choose how we may reach you."))
        elif kind != ContactKind.NONE:
            if not isinstance(value, str) or not value.strip():
                fail("contact.value", _("Please write where we can reach you."))
            else:
                try:
                    value = clean_text(value, multiline=False, max_length=254)
                    contact_value = normalise_contact(kind, value)
                    contact_kind = kind
                except ValidationError as exc:
                    fail("contact.value", exc.messages[0])

    if errors:
        raise ApplicationError(
            "invalid_report", _("Some answers need a look. Please check them."), errors
        )
    assert reporter is not None and age_band is not None
    return ReportInput(
        reporter=reporter,
        age_band=age_band,
        language=language,
        categories=tuple(cleaned_categories),
        details=details,
        urls=tuple(urls),
        safe_now=safe_now,
        contact_kind=contact_kind,
        contact_value=contact_value,
    )
