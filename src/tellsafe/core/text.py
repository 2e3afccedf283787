"""Validation of text that people type, shared by forms and the API."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit, urlunsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

# C0 and C1 control characters, DEL, and Unicode non-characters. Tab and newlines are
# allowed in free text only.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
_CONTROL_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\ufffe\uffff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_url_validator = URLValidator(schemes=["http", "https"])
MAX_URL_LENGTH = 2048


def clean_text(value: str, *, multiline: bool, max_length: int) -> str:
    if _SURROGATE.search(value) or (_CONTROL if multiline else _CONTROL_LINE).search(value):
        raise ValidationError(
            _("This has characters we cannot read. Please type it again."), code="control_chars"
        )
    value = unicodedata.normalize("NFC", value.replace("\r\n", "\n")).strip()
    if len(value) > max_length:
        raise ValidationError(
            _("Please make this shorter: at most %(max)d characters."),
            code="too_long",
            params={"max": max_length},
        )
    return value


def clean_url(value: str) -> str:
    """Accept what a child might type ("insta.com/name") and return a full http(s) URL."""
    value = clean_text(value, multiline=False, max_length=MAX_URL_LENGTH)
    if not value:
        raise ValidationError(_("This link is empty."), code="invalid_url")
    if "://" not in value:
        value = "https://" + value
    try:
        parts = urlsplit(value)
        _url_validator(value)
    except (ValidationError, ValueError) as exc:
        raise ValidationError(
            _("This does not look like a web link. Check it and try again."), code="invalid_url"
        ) from exc
    return urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, parts.fragment)
    )
