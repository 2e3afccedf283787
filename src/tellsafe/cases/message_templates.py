"""Ready-made messages a counsellor can send to a reporter, in the reporter's language
and in words for their age band (same audiences as intake.wording). The counsellor can
edit the text before sending."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from tellsafe.intake.wording import FALLBACK

TEMPLATES: dict[str, tuple[str, dict[str, Promise]]] = {
    "reading": (
        "We are looking at it",
        {
            "under_9": _(
                "Hello. A helper is looking at what you told us. You did the right thing."
            ),
            "9_12": _(
                "Hello. Someone from our team is reading your report now. You did the right "
                "thing by telling us."
            ),
            "helper": _(
                "Hello. A member of our team is now reviewing the report. Thank you for telling us."
            ),
        },
    ),
    "asked_removal": (
        "We asked for removal",
        {
            "9_12": _(
                "We asked the website to take the pictures or messages down. We will tell "
                "you when we hear back."
            ),
            "helper": _(
                "We have asked the website or host to remove the content. We will update "
                "you when they answer."
            ),
        },
    ),
    "removed": (
        "It was removed",
        {
            "9_12": _("Good news: it has been taken down. If you see it again, tell us."),
            "helper": _("The content has been removed. If it appears again, please tell us."),
        },
    ),
    "more_info": (
        "Please tell us more",
        {
            "9_12": _(
                "Can you tell us a bit more? For example, which app it was on. Only share "
                "what you feel OK with. Never send us pictures."
            ),
            "helper": _(
                "Could you tell us more, such as the app or website and the account "
                "name? Please do not send any images."
            ),
        },
    ),
    "support": (
        "Where to get support",
        {
            "9_12": _(
                "You do not have to deal with this alone. You can talk to a helpline any "
                "time. Their numbers are on your report page."
            ),
            "helper": _(
                "Support is available for the child and for you. The helplines on the "
                "report page can talk to you at any time."
            ),
        },
    ),
}


def choices() -> list[tuple[str, str]]:
    return [(key, label) for key, (label, _variants) in TEMPLATES.items()]


def render(key: str, *, audience: str, language: str) -> str:
    _label, variants = TEMPLATES[key]
    text = variants.get(audience)
    if text is None:
        for other in FALLBACK.get(audience, ()):
            if other in variants:
                text = variants[other]
                break
        else:
            text = next(iter(variants.values()))
    with override(language):
        return str(text)
