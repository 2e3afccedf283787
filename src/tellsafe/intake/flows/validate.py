"""Checks a flow definition before an administrator's change goes live, so a typo can
never break the reporting line."""

from __future__ import annotations

from typing import Any

from tellsafe.intake import wording

KINDS = {"choice", "text", "links", "confirm"}
# The answers the report is made from; a flow may leave out optional ones.
FIELDS = {"reporter", "age_band", "concerns", "safe", "details", "urls", "contact"}
REQUIRED_FIELDS = {"reporter", "age_band", "concerns"}


def _text_errors(item: Any, where: str) -> list[str]:
    items = item if isinstance(item, list) else [item]
    errors = []
    for part in items:
        if not isinstance(part, dict) or len(part) != 1:
            errors.append(f"{where}: each text is one of wording, msgid or text")
            continue
        key, value = next(iter(part.items()))
        if key == "wording" and value not in wording.TEXTS:
            errors.append(f"{where}: unknown wording key {value!r}")
        elif key == "msgid" and not isinstance(value, str | dict):
            errors.append(f"{where}: msgid must be text or a dict by audience")
        elif key == "text" and not (isinstance(value, dict) and value):
            errors.append(f"{where}: text must be a dict of language code to text")
        elif key not in {"wording", "msgid", "text"}:
            errors.append(f"{where}: unknown text kind {key!r}")
    return errors


def errors(definition: Any) -> list[str]:
    """Every problem found; an empty list means the flow can be used."""
    if not isinstance(definition, dict) or not isinstance(definition.get("steps"), list):
        return ["the flow must be an object with a list of steps"]
    found: list[str] = []
    found += _text_errors(definition.get("greeting", []), "greeting")
    ids, fields = set(), set()
    for n, step in enumerate(definition["steps"], 1):
        where = f"step {n}"
        if not isinstance(step, dict):
            found.append(f"{where}: must be an object")
            continue
        if step.get("id") in ids or not step.get("id"):
            found.append(f"{where}: needs a unique id")
        ids.add(step.get("id"))
        kind = step.get("kind")
        if kind not in KINDS:
            found.append(f"{where}: kind must be one of {sorted(KINDS)}")
            continue
        if kind == "confirm":
            continue
        if step.get("field") not in FIELDS:
            found.append(f"{where}: field must be one of {sorted(FIELDS)}")
        fields.add(step.get("field"))
        found += _text_errors(step.get("prompt", []), f"{where} prompt")
        if kind == "choice":
            options = step.get("options")
            if not isinstance(options, list) or not options:
                found.append(f"{where}: a choice needs options")
                continue
            for m, option in enumerate(options, 1):
                if not isinstance(option, dict) or not option.get("value"):
                    found.append(f"{where} option {m}: needs a value")
                    continue
                found += _text_errors(option.get("label", {}), f"{where} option {m}")
    missing = REQUIRED_FIELDS - fields
    if missing:
        found.append(f"the flow never asks for: {', '.join(sorted(missing))}")
    steps = definition["steps"]
    if not steps or not isinstance(steps[-1], dict) or steps[-1].get("kind") != "confirm":
        found.append("the last step must be the confirm step")
    return found
