"""The words of the Report Remove pages, by audience (see intake.wording for the rules:
short sentences, one idea each; a missing variant falls back to a simpler one)."""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tellsafe.intake.wording import AUDIENCES, pick

TEXTS: dict[str, dict[str, Promise]] = {
    "title": {
        "9_12": _("Stop a photo of you being shared"),
        "13_15": _("Stop a nude or sexual image of you spreading"),
        "helper": _("Help stop a child's image spreading"),
    },
    "intro": {
        "under_9": _("Is there a photo of you that you do not want people to see? We can help."),
        "9_12": _(
            "Is there a photo of you that you do not want people to see? "
            "We can help stop it being shared."
        ),
        "13_15": _(
            "Has someone shared a nude or sexual image of you, or could they? "
            "We can help stop it spreading online."
        ),
        "adult": _(
            "If a nude or sexual image of you from before you were 18 is shared, or could "
            "be, we can help stop it spreading online."
        ),
        "helper": _(
            "If a nude or sexual image of a child is shared, or could be, you can help "
            "stop it spreading online."
        ),
    },
    "not_your_fault": {
        "9_12": _("This is not your fault. You are not in trouble."),
        "helper": _("It is not the child's fault. They are not in trouble."),
    },
    "step_choose": {
        "9_12": _("You choose the photo on your phone."),
        "helper": _("You choose the image on this device."),
    },
    "step_code": {
        "9_12": _("Your phone turns it into a code. The photo stays on your phone."),
        "13_15": _(
            "Your phone turns it into a code of numbers and letters. The image stays on your phone."
        ),
        "helper": _(
            "This device turns it into a code of numbers and letters. The image stays on "
            "the device."
        ),
    },
    "step_send": {
        "9_12": _("We only get the code. Nobody sees your photo."),
        "13_15": _("We only get the code. We never see your image."),
        "helper": _("We only get the code. We never see the image."),
    },
    "step_stop": {
        "9_12": _("Apps and websites that work with us use the code to stop copies."),
        "13_15": _(
            "Apps and websites that work with us use the code to find copies and stop them."
        ),
    },
    "choose_label": {
        "9_12": _("Choose the photo"),
        "13_15": _("Choose the image"),
    },
    "numbers_title": {
        "9_12": _("This is all we will get:"),
        "13_15": _("These codes are the only things we will send:"),
    },
    "send": {"9_12": _("Send the code")},
    "working": {"9_12": _("Making the code. Please wait.")},
    "error_not_image": {
        "9_12": _("We cannot read this file. Try another photo."),
    },
    "error_too_large": {"9_12": _("This photo is too big. Try a smaller copy.")},
    "no_js": {
        "9_12": _(
            "This page needs JavaScript. Your phone must make the code itself, so your "
            "photo never leaves it. We will never ask you to send the photo."
        ),
        "helper": _(
            "This page needs JavaScript: the device makes the code itself, so the image "
            "never leaves it. We will never ask for the image."
        ),
    },
    "other_ways": {"9_12": _("Other ways to get help:")},
    "done_title": {"9_12": _("We got your code")},
    "done_next": {
        "9_12": _(
            "A person on our team checks the code. Then apps and websites that help us "
            "get it, so they can stop copies."
        ),
        "helper": _(
            "A trained analyst checks the code. Then partner apps and websites receive it, "
            "so they can block copies."
        ),
    },
    "done_codes": {
        "9_12": _(
            "Keep these two codes safe. You need them to check your report, or to take "
            "the code back."
        ),
    },
    "withdraw_title": {"9_12": _("Take back your code")},
    "withdraw_intro": {
        "9_12": _("Write your two codes. We will stop using the code of your photo."),
    },
    "withdraw_done": {
        "9_12": _(
            "Done. We stopped using the code of your photo. Apps and websites that got it "
            "are told to stop too."
        ),
    },
    "withdraw_none": {
        "9_12": _("There was no code to take back for this report."),
    },
    "age_title": {"9_12": _("Who is this for?")},
}


class Words:
    """Texts for one audience, for templates: ``{{ rw.title }}``."""

    def __init__(self, audience: str) -> None:
        self.audience = audience if audience in AUDIENCES else "9_12"

    def __getitem__(self, key: str) -> Any:
        return pick(TEXTS[key], self.audience)
