"""Reading untrusted documents safely, and checking documents against our schemas.

A received file is hostile until proven otherwise. XML is parsed with defusedxml with
every protection on: a document type declaration is refused outright, so are entities
(the "billion laughs") and anything external (XXE), and the schema validator never
follows a document's own ``schemaLocation`` hints. JSON is parsed with NaN and Infinity
refused, and too deep nesting is an error, not a crash. Sizes are capped before parsing.

The schemas are ours, shipped in ``schemas/``, and loaded once per process.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as safe_et
import jsonschema
import xmlschema
from defusedxml import DefusedXmlException

from tellsafe.core.errors import ApplicationError
from tellsafe.routing.exchange.model import NOT_XML

SCHEMAS = Path(__file__).resolve().parent / "schemas"

#: The largest document accepted for import.
MAX_IMPORT_BYTES = 5 * 1024 * 1024
#: The deepest nesting an XML document may have; ours have at most 6 levels.
MAX_XML_DEPTH = 32
#: The most problems one error lists; a broken file would otherwise list thousands.
MAX_PROBLEMS = 50


def invalid(code: str, message: str, problems: dict[str, list[str]]) -> ApplicationError:
    """One error listing every problem, at most MAX_PROBLEMS of them."""
    kept: dict[str, list[str]] = {}
    count = 0
    for name, messages in problems.items():
        for text in messages:
            if count >= MAX_PROBLEMS:
                kept.setdefault("more", ["Further problems were not listed."])
                return ApplicationError(code, message, kept)
            kept.setdefault(name, []).append(text)
            count += 1
    return ApplicationError(code, message, kept)


def check_size(data: bytes) -> None:
    if not isinstance(data, bytes | bytearray):
        raise ApplicationError("invalid_file", "The file must be read as bytes.")
    if len(data) > MAX_IMPORT_BYTES:
        message = f"The file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MiB."
        raise ApplicationError("file_too_large", message, {"file": [message]}, status=413)
    if not data.strip():
        raise ApplicationError("invalid_file", "The file is empty.", {"file": ["empty"]})


def xml_text_ok(value: str) -> bool:
    """True when ``value`` can be written in an XML 1.0 document as it is."""
    return not NOT_XML.search(value)


# --- XML -------------------------------------------------------------------------------


def parse_xml(data: bytes) -> Element:
    """The root of an untrusted XML document; ``ApplicationError`` if it is malformed or
    uses a DTD, entities or anything external."""
    check_size(data)
    try:
        root = safe_et.fromstring(
            bytes(data), forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException as exc:
        message = "The XML uses a DTD, entities or external references, which are refused."
        raise ApplicationError("unsafe_xml", message, {"file": [type(exc).__name__]}) from None
    except safe_et.ParseError as exc:
        message = "The file is not well-formed XML."
        raise ApplicationError("malformed_xml", message, {"file": [str(exc)[:200]]}) from None
    _check_depth(root)
    return root


def _check_depth(root: Element) -> None:
    """Refuse nesting deeper than any of our documents has (validators recurse)."""
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        if depth > MAX_XML_DEPTH:
            message = f"The XML is nested more than {MAX_XML_DEPTH} levels deep."
            raise ApplicationError("malformed_xml", message, {"file": [message]})
        stack.extend((child, depth + 1) for child in element)


@functools.cache
def xsd(name: str) -> xmlschema.XMLSchemaBase:
    """One of our XSDs (``ncmec_report`` or ``ncmec_filedetails``), built once."""
    path = SCHEMAS / f"{name}.xsd"
    # fileDetails states rules only XSD 1.1 can (assertions); the report is plain 1.0.
    cls = xmlschema.XMLSchema11 if name == "ncmec_filedetails" else xmlschema.XMLSchema10
    return cls(str(path))


def xml_problems(schema_name: str, root: Element, *, prefix: str = "") -> list[str]:
    """What is wrong with ``root`` under our schema ``schema_name``: one line each, with
    the element's path. Empty when it is valid."""
    problems = []
    for error in xsd(schema_name).iter_errors(root, use_location_hints=False):
        where = error.path or "/"
        reason = (error.reason or "invalid").split("\n")[0]
        problems.append(f"{prefix}{where}: {reason}"[:300])
        if len(problems) >= MAX_PROBLEMS:
            break
    return problems


# --- JSON ------------------------------------------------------------------------------


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def parse_json(data: bytes) -> Any:
    """An untrusted JSON document; ``ApplicationError`` if it is not JSON in UTF-8."""
    check_size(data)
    try:
        text = bytes(data).decode("utf-8-sig")
        return json.loads(text, parse_constant=_no_constant)
    except UnicodeDecodeError:
        raise ApplicationError(
            "malformed_json", "The file is not UTF-8 text.", {"file": ["not UTF-8"]}
        ) from None
    except RecursionError:
        raise ApplicationError(
            "malformed_json", "The JSON is nested too deeply.", {"file": ["too deep"]}
        ) from None
    except ValueError as exc:
        raise ApplicationError(
            "malformed_json", "The file is not valid JSON.", {"file": [str(exc)[:200]]}
        ) from None


@functools.cache
def json_schema(name: str) -> jsonschema.protocols.Validator:
    """One of our JSON Schemas (draft 2020-12), checked and compiled once."""
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def _say(error: jsonschema.ValidationError) -> str:
    """What is wrong, in words that never quote the value (it may be a URL or a
    narrative): the validator's own message only where it names keys."""
    kind, expected = error.validator, error.validator_value
    if kind in ("required", "additionalProperties", "dependentRequired"):
        return error.message[:200]
    if kind == "enum":
        return "must be one of " + ", ".join(json.dumps(v) for v in expected)[:160]
    if kind == "const":
        return f"must be {json.dumps(expected)[:80]}"
    if kind == "type":
        return f"must be of type {expected}"
    if kind == "pattern":
        return "does not have the expected form"
    if kind == "not" and isinstance(expected, dict) and "required" in expected:
        return "must not have " + ", ".join(map(str, expected["required"]))
    if kind in ("minLength", "maxLength", "minimum", "maximum", "minItems", "maxItems"):
        return f"{kind} is {expected}"
    if kind == "minProperties":
        return f"needs at least {expected} entries"
    if kind == "uniqueItems":
        return "has repeated entries"
    return f"fails the schema's {kind} rule"


def json_problems(schema_name: str, document: Any, *, prefix: str = "") -> list[str]:
    """What is wrong with ``document`` under our schema ``schema_name``, one line each
    with the JSON path of the value. Empty when it is valid."""
    problems = []
    try:
        errors = sorted(
            json_schema(schema_name).iter_errors(document), key=lambda e: list(map(str, e.path))
        )
    except RecursionError:
        return [f"{prefix}.: nested too deeply"]
    for error in errors:
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.path)
        problems.append(f"{prefix}{where or '.'}: {_say(error)}")
        if len(problems) >= MAX_PROBLEMS:
            break
    return problems
