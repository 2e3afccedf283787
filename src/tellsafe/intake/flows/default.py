"""The flow every installation starts with. It follows the web journey step by step and
reuses its translated words: ``{"wording": key}`` is a text of intake.wording in the
reporter's words, ``{"msgid": text}`` a translated string, ``{"text": {lang: text}}`` a
literal an administrator wrote. A ``msgid`` may vary by audience: ``{"helper": ...,
"*": ...}``."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_noop

DEFAULT_FLOW: dict[str, Any] = {
    "greeting": [
        {
            "msgid": gettext_noop(
                "Hello. You can tell us about something that happened online. It is "
                "free and private."
            )
        },
        {
            "msgid": gettext_noop(
                "Send STOP at any time to end. Send LANGUAGE to change the language."
            )
        },
    ],
    "steps": [
        {
            "id": "reporter",
            "kind": "choice",
            "field": "reporter",
            "prompt": [{"msgid": gettext_noop("Who is telling us?")}],
            "options": [
                {
                    "value": "child",
                    "label": {"msgid": gettext_noop("I am a child or young person")},
                },
                {
                    "value": "caregiver",
                    "label": {
                        "msgid": gettext_noop("I am a parent, carer or a grown-up the child trusts")
                    },
                },
                {
                    "value": "professional",
                    "label": {
                        "msgid": gettext_noop(
                            "I am a professional (teacher, social worker, doctor…)"
                        )
                    },
                },
            ],
        },
        {
            "id": "age_band",
            "kind": "choice",
            "field": "age_band",
            "prompt": [
                {
                    "msgid": {
                        "helper": gettext_noop("How old is the child?"),
                        "*": gettext_noop("How old are you?"),
                    }
                }
            ],
            "options": [
                {"value": "under_9", "label": {"msgid": gettext_noop("Under 9")}},
                {"value": "9_12", "label": {"msgid": gettext_noop("9 to 12")}},
                {"value": "13_15", "label": {"msgid": gettext_noop("13 to 15")}},
                {"value": "16_17", "label": {"msgid": gettext_noop("16 or 17")}},
                {"value": "adult", "label": {"msgid": gettext_noop("18 or older")}},
            ],
        },
        {
            "id": "concerns",
            "kind": "choice",
            "field": "concerns",
            "multiple": True,
            "prompt": [{"wording": "what_title"}],
            "options": [
                {"value": code, "label": {"wording": f"concern_{code}"}}
                for code in (
                    "asked_pictures",
                    "threat_share",
                    "saw_images",
                    "wants_meet",
                    "fake_pictures",
                    "bullying",
                    "something_else",
                )
            ],
        },
        {
            "id": "safe",
            "kind": "choice",
            "field": "safe",
            "danger_value": "no",
            "prompt": [{"wording": "safe_title"}],
            "options": [
                {"value": "yes", "label": {"wording": "safe_yes"}},
                {"value": "no", "label": {"wording": "safe_no"}},
                {"value": "unsure", "label": {"wording": "safe_unsure"}},
            ],
        },
        {
            "id": "details",
            "kind": "text",
            "field": "details",
            "prompt": [
                {"wording": "details_title"},
                {"wording": "details_hint"},
                {"msgid": gettext_noop("Send SKIP to leave it out.")},
            ],
        },
        {
            "id": "links",
            "kind": "links",
            "field": "urls",
            "prompt": [
                {"wording": "links_label"},
                {"wording": "links_hint"},
                {
                    "msgid": gettext_noop(
                        "Send one link in each message. Send DONE when you have finished, or SKIP."
                    )
                },
            ],
        },
        {
            "id": "contact",
            "kind": "choice",
            "field": "contact",
            "prompt": [
                {"msgid": gettext_noop("May we send you messages here about your report?")},
                {"wording": "contact_privacy"},
            ],
            "options": [
                {"value": "yes", "label": {"msgid": gettext_noop("Yes, message me here")}},
                {"value": "no", "label": {"wording": "contact_none"}},
            ],
        },
        {"id": "confirm", "kind": "confirm"},
    ],
}
