"""Reported URLs, normalised the way a browser would read them, before they are traced.

A URL typed by a child, pasted from a chat or sent by a partner can be written in many
ways that reach the same server: upper case, a Unicode domain, a default port, an IPv4
address written as one number (``http://2130706433/``) or in hex (``http://0x7f.1/``),
credentials before the host. ``parse_url`` reads all of them as the WHATWG URL standard
does for http(s) and gives one canonical form:

* http and https only; a bare ``example.com/x`` gets ``http://``;
* the host in lower case, Unicode domains as punycode (IDNA, UTS-46 non-transitional),
  one trailing dot dropped, IPv4 in dotted decimal, IPv6 compressed in brackets;
* the default port dropped, userinfo (``user:password@``) dropped and never kept, the
  fragment dropped, ``.`` and ``..`` path segments resolved, unsafe characters of the path
  and query percent-encoded.

The result is idempotent: normalising a normalised URL gives it back unchanged.
``normalise_url`` also refuses internal targets (private address literals, ``localhost``
and other special-use names), which a trace must never use.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import quote, unquote_to_bytes

import idna
from django.utils.translation import gettext as _

from tellsafe.core.errors import ApplicationError
from tellsafe.routing.addresses import IPAddress, is_public_address

MAX_URL_LENGTH = 16_384  # applies to the input and to the result, so both stay idempotent
MAX_HOST_LENGTH = 253
MAX_LABEL_LENGTH = 63
DEFAULT_PORTS = {"http": 80, "https": 443}

_C0_AND_SPACE = "".join(chr(code) for code in range(0x21))
_TAB_OR_NEWLINE = re.compile(r"[\t\n\r]")
# Controls, DEL, C1 controls, surrogates and non-characters are never part of a URL.
_UNREADABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_PORT_AFTER_HOST = re.compile(r"(?:\d+(?:[/?#\\]|$)|$)")
_AUTHORITY_END = re.compile(r"[/\\?#]")
# Characters WHATWG forbids in a domain, after percent-decoding.
_FORBIDDEN_HOST = re.compile(r"[\x00-\x20#%/:<>?@\[\\\]^|\x7f]")
_ASCII_LABEL = re.compile(r"[a-z0-9_\-]+")
_HEX_NUMBER = re.compile(r"0x[0-9a-f]*")
_PATH_SAFE = "/:@!$&'()*+,;=%~-._"
_QUERY_SAFE = _PATH_SAFE + "?"
_SINGLE_DOT = {".", "%2e"}
_DOUBLE_DOT = {"..", ".%2e", "%2e.", "%2e%2e"}
# Special-use names that resolve inside a network, never to a public host.
_INTERNAL_NAMES = ("localhost", "local", "internal", "localdomain", "home.arpa", "arpa")


@dataclass(frozen=True)
class NormalisedUrl:
    """A URL in canonical form. ``host`` is punycode for names and the bare address for
    IP literals (``kind`` says which); ``port`` is None for the scheme's default."""

    url: str
    scheme: str
    host: str
    port: int | None
    path: str
    query: str
    kind: str  # "name", "ipv4" or "ipv6"

    @property
    def ip(self) -> IPAddress | None:
        return ipaddress.ip_address(self.host) if self.kind != "name" else None


def _invalid(message: str) -> ApplicationError:
    return ApplicationError("invalid_url", message, {"url": [message]})


def _clean(raw: object) -> str:
    if not isinstance(raw, str):
        raise _invalid(_("The link must be text."))
    if len(raw) > MAX_URL_LENGTH:
        raise _invalid(_("This link is too long."))
    text = _TAB_OR_NEWLINE.sub("", raw.strip().strip(_C0_AND_SPACE))
    if _UNREADABLE.search(text):
        raise _invalid(_("This link has characters we cannot read."))
    if not text:
        raise _invalid(_("This link is empty."))
    return text


def _split_scheme(text: str) -> tuple[str, str]:
    """(scheme, what follows it); a text without a scheme is http."""
    match = _SCHEME.match(text)
    if match:
        scheme, rest = match.group(1).lower(), text[match.end() :]
        if scheme in DEFAULT_PORTS:
            return scheme, rest
        # "example.com:8080/x" or "localhost:" is a host and port without a scheme.
        if "." in scheme or (not rest.startswith(("/", "\\")) and _PORT_AFTER_HOST.match(rest)):
            return "http", text
        message = _("Only web links (http or https) can be traced.")
        raise ApplicationError("unsupported_scheme", message, {"url": [message]})
    return "http", text


def _port(text: str | None, scheme: str) -> int | None:
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or int(text) > 65535:
        raise _invalid(_("The port number in this link is not valid."))
    port = int(text)
    return None if port == DEFAULT_PORTS[scheme] else port


def _ipv4_number(part: str) -> int | None:
    if len(part) > MAX_LABEL_LENGTH or not part.isascii():
        return None
    if _HEX_NUMBER.fullmatch(part):
        return int(part[2:] or "0", 16)
    if len(part) > 1 and part.startswith("0"):
        return int(part, 8) if part.isdigit() and set(part) <= set("01234567") else None
    return int(part) if part.isdigit() else None


def _ipv4(labels: list[str]) -> ipaddress.IPv4Address:
    """Parse an IPv4 host as browsers do: 1 to 4 parts, each decimal, octal (leading 0) or
    hex (0x); the last part fills the bytes that are left."""
    numbers = [_ipv4_number(part) for part in labels]
    if len(labels) > 4 or any(number is None for number in numbers):
        raise _invalid(_("The address in this link is not valid."))
    values = [number for number in numbers if number is not None]
    if any(value > 255 for value in values[:-1]) or values[-1] >= 256 ** (5 - len(values)):
        raise _invalid(_("The address in this link is not valid."))
    total = values[-1]
    for index, value in enumerate(values[:-1]):
        total += value << (8 * (3 - index))
    return ipaddress.IPv4Address(total)


def _ends_in_number(label: str) -> bool:
    return (label.isascii() and label.isdigit()) or bool(_HEX_NUMBER.fullmatch(label))


def _ascii_label(label: str) -> str:
    if not _ASCII_LABEL.fullmatch(label):
        raise _invalid(_("The domain name in this link is not valid."))
    if label.startswith("xn--"):
        try:
            decoded = label[4:].encode("ascii").decode("punycode")
            good = decoded.encode("punycode").decode("ascii") == label[4:]
        except (UnicodeError, ValueError, IndexError, OverflowError):
            good = False
        if not good or decoded.isascii():
            raise _invalid(_("The domain name in this link is not valid."))
    return label


def _unicode_label(label: str) -> str:
    try:
        encoded = idna.alabel(label).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        # Browsers accept some names IDNA 2008 refuses (emoji domains); encode as they do.
        encoded = "xn--" + label.encode("punycode").decode("ascii")
    # The same checks as for a label given in punycode, so the result reads back as is.
    return _ascii_label(encoded.lower())


def _host_name(text: str) -> tuple[str, str]:
    """(host, kind) for a host that is not a bracketed IPv6 literal."""
    try:
        decoded = unquote_to_bytes(text).decode("utf-8")
        if _UNREADABLE.search(decoded):
            raise ValueError
        mapped = idna.uts46_remap(decoded, std3_rules=False, transitional=False)
    except (idna.IDNAError, UnicodeError, ValueError) as exc:
        raise _invalid(_("The domain name in this link is not valid.")) from exc
    if _FORBIDDEN_HOST.search(mapped) or _UNREADABLE.search(mapped):
        raise _invalid(_("The domain name in this link is not valid."))
    if mapped.endswith("."):
        mapped = mapped[:-1]
    labels = mapped.split(".")
    if not mapped or any(not label for label in labels):
        raise _invalid(_("This link has no valid domain name."))
    if _ends_in_number(labels[-1]):
        return str(_ipv4(labels)), "ipv4"
    encoded = [_ascii_label(lb) if lb.isascii() else _unicode_label(lb) for lb in labels]
    host = ".".join(encoded)
    if any(len(label) > MAX_LABEL_LENGTH for label in encoded) or len(host) > MAX_HOST_LENGTH:
        raise _invalid(_("The domain name in this link is too long."))
    return host, "name"


def _host_and_port(authority: str, scheme: str) -> tuple[str, str, int | None]:
    """(host, kind, port) from an authority whose userinfo was already removed."""
    if authority.startswith("["):
        close = authority.find("]")
        after = authority[close + 1 :] if close > 0 else ""
        if close < 0 or (after and not after.startswith(":")) or "%" in authority[:close]:
            raise _invalid(_("The address in this link is not valid."))
        try:
            address = ipaddress.IPv6Address(authority[1:close])
        except ValueError as exc:
            raise _invalid(_("The address in this link is not valid.")) from exc
        return str(address), "ipv6", _port(after[1:] if after else None, scheme)
    host_text, _colon, port_text = authority.partition(":")
    if not host_text:
        raise _invalid(_("This link has no domain name."))
    host, kind = _host_name(host_text)
    return host, kind, _port(port_text if _colon else None, scheme)


def _path(text: str) -> str:
    """Resolve dot segments, as browsers do, then percent-encode what is not safe."""
    segments = text.replace("\\", "/").split("/")[1:]
    kept: list[str] = []
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        lowered = segment.lower()
        if lowered in _DOUBLE_DOT:
            if kept:
                kept.pop()
            if last:
                kept.append("")
        elif lowered in _SINGLE_DOT:
            if last:
                kept.append("")
        else:
            kept.append(segment)
    return quote("/" + "/".join(kept), safe=_PATH_SAFE)


def parse_url(raw: object) -> NormalisedUrl:
    """Read ``raw`` as a browser would and return its canonical form.

    Raises ``ApplicationError`` with code ``invalid_url`` or ``unsupported_scheme``.
    Internal targets are not refused here; ``normalise_url`` does that."""
    text = _clean(raw)
    scheme, rest = _split_scheme(text)
    rest = rest.lstrip("/\\")
    end = _AUTHORITY_END.search(rest)
    authority, tail = (rest[: end.start()], rest[end.start() :]) if end else (rest, "")
    authority = authority.rpartition("@")[2]  # userinfo is dropped, never kept
    host, kind, port = _host_and_port(authority, scheme)
    tail = tail.partition("#")[0]
    path_text, _mark, query_text = tail.partition("?")
    path = _path(path_text if path_text.startswith(("/", "\\")) else "/" + path_text)
    query = quote(query_text, safe=_QUERY_SAFE)
    shown_host = f"[{host}]" if kind == "ipv6" else host
    port_text = "" if port is None else f":{port}"
    url = f"{scheme}://{shown_host}{port_text}{path}{f'?{query}' if query else ''}"
    if len(url) > MAX_URL_LENGTH:
        raise _invalid(_("This link is too long."))
    return NormalisedUrl(url, scheme, host, port, path, query, kind)


def is_internal_name(host: str) -> bool:
    """True for special-use names that only resolve inside a network (``localhost``,
    ``*.local``, ``*.internal``, ``*.home.arpa``...)."""
    host = host.lower().rstrip(".")
    return any(host == name or host.endswith("." + name) for name in _INTERNAL_NAMES)


def refuse_internal(parsed: NormalisedUrl) -> None:
    """Raise ``private_address`` for an internal target, ``invalid_url`` for a host name
    without a domain (``http://intranet/``)."""
    if parsed.kind != "name":
        internal = not is_public_address(parsed.host)
    else:
        internal = is_internal_name(parsed.host)
    if internal:
        message = _("This link points to a private or internal address.")
        raise ApplicationError("private_address", message, {"url": [message]})
    if parsed.kind == "name" and "." not in parsed.host:
        raise _invalid(_("This link needs a full domain name, like example.com."))


def normalise_url(raw: object) -> NormalisedUrl:
    """``parse_url``, then refuse internal targets (``private_address``)."""
    parsed = parse_url(raw)
    refuse_internal(parsed)
    return parsed


__all__ = [
    "MAX_URL_LENGTH",
    "NormalisedUrl",
    "is_internal_name",
    "normalise_url",
    "parse_url",
    "refuse_internal",
]
