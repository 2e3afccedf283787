"""The words of the public pages, by audience.

An audience is the age band of a child reporting for themself (``under_9``, ``9_12``,
``13_15``, ``16_17``, ``adult``) or ``helper``: a parent, safe adult or professional
reporting about a child. Each text names its variants; a missing variant falls back along
``FALLBACK`` to a neighbour that is at least as simple, so a younger child never gets
harder words than an older one.

Every string goes through gettext, so translators see each variant on its own.
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

AUDIENCES = ("under_9", "9_12", "13_15", "16_17", "adult", "helper")
FALLBACK = {
    "under_9": ("9_12", "13_15", "adult"),
    "9_12": ("13_15", "adult"),
    "13_15": ("9_12", "adult"),
    "16_17": ("13_15", "adult"),
    "adult": ("16_17", "13_15", "9_12"),
    "helper": ("adult", "16_17", "13_15"),
    # A child whose age we do not know yet gets the simple words.
    "unknown": ("9_12", "13_15", "adult"),
}

TEXTS: dict[str, dict[str, Promise]] = {
    # --- What happened ---------------------------------------------------------------
    "what_title": {
        "9_12": _("What happened?"),
        "13_15": _("What happened? Choose all that fit."),
        "helper": _("What happened to the child? Choose all that fit."),
    },
    "what_hint": {
        "under_9": _("You can pick more than one."),
        "13_15": _("You can choose more than one. You can tell us more on the next page."),
    },
    "concern_asked_pictures": {
        "under_9": _("Someone asked me for photos of my body"),
        "9_12": _("Someone asked me for pictures"),
        "13_15": _("Someone asked me for nude or sexual pictures"),
        "helper": _("Someone asked the child for nude or sexual pictures"),
    },
    "concern_threat_share": {
        "under_9": _("Someone says they will show pictures of me"),
        "9_12": _("Someone says they will share pictures of me"),
        "13_15": _("Someone is threatening to share pictures of me"),
        "helper": _("Someone is threatening to share pictures of the child"),
    },
    "concern_saw_images": {
        "under_9": _("I saw pictures of a child with no clothes on"),
        "9_12": _("I saw sexual pictures or videos of a child"),
        "helper": _("I saw sexual pictures or videos of a child"),
    },
    "concern_wants_meet": {
        "under_9": _("Someone from the internet wants to meet me"),
        "9_12": _("Someone I met online wants to meet me"),
        "helper": _("Someone the child met online wants to meet them"),
    },
    "concern_fake_pictures": {
        "under_9": _("Someone made fake pictures of me"),
        "9_12": _("Someone made fake pictures of me"),
        "13_15": _("Fake (AI) pictures of me"),
        "helper": _("Fake (AI-made) sexual pictures of the child"),
    },
    "concern_bullying": {
        "under_9": _("Someone is being mean to me online"),
        "9_12": _("Someone is bullying me online"),
        "13_15": _("Bullying"),
        "helper": _("The child is being bullied online"),
    },
    "concern_something_else": {
        "9_12": _("Something else"),
    },
    # --- Details ---------------------------------------------------------------------
    "details_title": {
        "9_12": _("Tell us more, if you want"),
        "13_15": _("Tell us more (you can skip this)"),
        "helper": _("Tell us more (optional)"),
    },
    "details_hint": {
        "under_9": _("You can write what happened. You can also leave it empty."),
        "9_12": _("Write what happened in your own words. You can leave it empty."),
        "13_15": _("Only write what you feel OK sharing. You do not have to give any names."),
        "helper": _(
            "What happened, when, and on which app or website. Do not include anything "
            "you do not need to."
        ),
    },
    "details_label": {
        "9_12": _("What happened"),
    },
    "links_label": {
        "under_9": _("A web address, if you have one"),
        "9_12": _("Links to the pictures or the account, if you have them"),
        "helper": _("Links to the content or the account (optional)"),
    },
    "links_hint": {
        "under_9": _("You can ask a grown-up you trust to help with this."),
        "9_12": _("Copy the web address. Please do not send us the pictures."),
        "helper": _(
            "Copy the address from the browser or the app's share button. Never send or "
            "download the images themselves: that can be a crime, even to report them."
        ),
    },
    # --- Safe now --------------------------------------------------------------------
    "safe_title": {
        "9_12": _("Are you safe right now?"),
        "helper": _("Is the child safe right now?"),
    },
    "safe_hint": {
        "under_9": _("Safe means nobody can hurt you right now."),
        "13_15": _("Safe means no one can hurt you right now, online or offline."),
        "helper": _("Is anyone hurting the child now, or about to?"),
    },
    "safe_yes": {"9_12": _("Yes, I am safe"), "helper": _("Yes")},
    "safe_no": {"9_12": _("No, I am not safe"), "helper": _("No")},
    "safe_unsure": {"9_12": _("I am not sure"), "helper": _("I do not know")},
    "danger_title": {
        "9_12": _("Get help right now"),
    },
    "danger_text": {
        "under_9": _("Call one of these numbers now. It is free. Or tell a grown-up you trust."),
        "9_12": _("Call one of these numbers now. It is free. Then you can finish your report."),
        "helper": _(
            "Call one of these numbers now. We will also mark this report as urgent, so a "
            "person reads it first."
        ),
    },
    # --- Contact ---------------------------------------------------------------------
    "contact_title": {
        "9_12": _("Can we talk to you about this?"),
        "13_15": _("How can we reach you?"),
        "helper": _("How can we reach you?"),
    },
    "contact_hint": {
        "under_9": _("You do not have to. You can say no."),
        "9_12": _("You do not have to give us your number or email."),
        "13_15": _("This is up to you. You can stay anonymous."),
        "helper": _("This is optional. You can stay anonymous."),
    },
    "contact_none": {
        "9_12": _("No, do not contact me"),
        "helper": _("Do not contact me"),
    },
    "contact_none_help": {
        "9_12": _("We will not know who you are. You can still check your report with your codes."),
    },
    "contact_whatsapp": {"9_12": _("Yes, on WhatsApp")},
    "contact_whatsapp_help": {
        "9_12": _("A helper from our team can send you a message on WhatsApp."),
    },
    "contact_sms": {"9_12": _("Yes, by text message (SMS)")},
    "contact_sms_help": {
        "9_12": _("A helper from our team can send you a text message."),
    },
    "contact_email": {"9_12": _("Yes, by email")},
    "contact_email_help": {
        "9_12": _("A helper from our team can write to you by email."),
    },
    "contact_value_label": {
        "9_12": _("Your phone number or email"),
    },
    "contact_privacy": {
        "under_9": _(
            "Only our helpers see this. We keep it private. If someone is in danger, we "
            "may need to tell someone who can keep you safe. We will try to tell you first."
        ),
        "9_12": _(
            "Only our trained team can see this. We do not tell your parents or school. "
            "If someone is in danger, we may have to tell someone who can keep you safe. "
            "We will try to tell you first."
        ),
        "13_15": _(
            "Only our trained team can see how to reach you. We do not share it with your "
            "family, your school or the person who hurt you. The only time we might share "
            "it is if someone is in danger, and we will try to talk to you first."
        ),
        "helper": _(
            "Only our trained team can see this. We use it only about this report. If a "
            "child is in danger, we may share it with the police or child protection."
        ),
    },
    "contact_phone_note": {
        "9_12": _(
            "Use a phone only you can see. If someone else reads your messages, choose "
            "'No' and check your report with your codes."
        ),
    },
    # --- Check and send --------------------------------------------------------------
    "check_title": {
        "9_12": _("Check your report"),
        "helper": _("Check the report"),
    },
    "check_hint": {
        "9_12": _("Is this right? You can change anything. Then press Send."),
    },
    "send_button": {"9_12": _("Send my report"), "helper": _("Send the report")},
    # --- Done ------------------------------------------------------------------------
    "done_title": {
        "under_9": _("Thank you for telling us"),
        "9_12": _("Thank you. We got your report."),
        "helper": _("Thank you. We received the report."),
    },
    "done_reassure": {
        "under_9": _("You did the right thing. It is not your fault."),
        "9_12": _("You did the right thing. What happened is not your fault."),
        "13_15": _("Telling someone takes courage. What happened is not your fault."),
        "helper": _("Thank you for acting. Stay calm and supportive with the child."),
    },
    "codes_title": {"9_12": _("Your two codes")},
    "codes_hint": {
        "under_9": _("Write these down or ask a grown-up to take a photo. Keep them secret."),
        "9_12": _(
            "Write both codes down or take a screenshot. You need both to see what happens "
            "next. Keep the secret code to yourself."
        ),
        "helper": _(
            "Keep both codes. You need them to follow the report. Anyone with both can see "
            "it, so keep the secret code private."
        ),
    },
    "reference_label": {"9_12": _("Report code")},
    "passphrase_label": {"9_12": _("Secret code")},
    "next_title": {"9_12": _("What happens next")},
    "next_imminent": {
        "under_9": _("A helper will look at it very soon, within %(time)s."),
        "9_12": _("Because you are not safe, a person will read it first, within %(time)s."),
        "helper": _("It is marked urgent: a trained person will read it within %(time)s."),
    },
    "next_soon": {
        "under_9": _("A helper will read it within %(time)s."),
        "9_12": _("A person from our team will read it within %(time)s."),
        "helper": _("A trained person will read it within %(time)s."),
    },
    "next_steps": {
        "under_9": _("Then we will try to stop it. Come back with your codes to see what we did."),
        "9_12": _(
            "Then we will try to get the pictures or messages taken down. Check back with "
            "your codes to see what we did and read our messages."
        ),
        "13_15": _(
            "Then we decide what to do: ask the website to remove it, help you get support, "
            "or both. Check back with your codes to follow each step."
        ),
        "helper": _(
            "We may ask websites to remove content, pass the report to the right authority, "
            "or put the child in touch with support. Check the status with the codes."
        ),
    },
    "help_now_title": {
        "9_12": _("Need to talk to someone now?"),
    },
    # --- Status ----------------------------------------------------------------------
    "status_received": {
        "under_9": _("We got your report."),
        "9_12": _("We got your report."),
        "helper": _("We received the report. It is waiting for a trained person."),
    },
    "status_reading": {
        "under_9": _("A helper is reading it now."),
        "9_12": _("Someone is reading it now."),
        "helper": _("A trained person is reviewing the report."),
    },
    "status_asked_removal": {
        "under_9": _("We asked the website to take it down."),
        "9_12": _("We asked the website to remove it."),
        "helper": _("We asked the website or hosting company to remove the content."),
    },
    "status_removed": {
        "under_9": _("It has been taken down."),
        "9_12": _("It has been removed."),
        "helper": _("The content has been removed."),
    },
    "status_referred": {
        "under_9": _("We asked a helper near you to get in touch."),
        "9_12": _("We asked a support service to help you."),
        "helper": _("We referred the case to a support service."),
    },
    "status_finished": {
        "under_9": _("We have finished. Here is what we did."),
        "9_12": _("We have finished. Here is what we did."),
        "helper": _("We have closed the case. Here is what we did."),
    },
    "outcome_content_removed": {
        "9_12": _("The pictures or messages were taken down."),
        "helper": _("The content was removed."),
    },
    "outcome_removal_requested": {
        "9_12": _("We asked the website to take it down."),
        "helper": _("We asked the website or host to remove the content."),
    },
    "outcome_reported_to_platform": {
        "9_12": _("We told the app about the person who did this."),
        "helper": _("We reported the account to the platform."),
    },
    "outcome_referred_support": {
        "9_12": _("We asked people who help children to talk with you."),
        "helper": _("We referred the child to a support service."),
    },
    "outcome_passed_to_police": {
        "9_12": _("We told the police, so they can stop the person."),
        "helper": _("We passed the report to the police."),
    },
    "outcome_advice_given": {
        "9_12": _("We sent you advice about what to do next."),
        "helper": _("We gave advice on what to do next."),
    },
    "outcome_no_action_possible": {
        "9_12": _("We could not do more this time. You can always tell us again."),
        "helper": _("We could not take further action this time."),
    },
    "feedback_title": {
        "9_12": _("How did we do?"),
        "helper": _("Tell us how we did"),
    },
    "feedback_listened": {
        "9_12": _("Did we listen to you?"),
        "helper": _("Did you feel listened to?"),
    },
    "feedback_understood": {
        "9_12": _("Did you understand what we told you?"),
        "helper": _("Was what we told you clear?"),
    },
    "feedback_helped": {
        "9_12": _("Did we help?"),
        "helper": _("Did the service help?"),
    },
}


def text(key: str, audience: str) -> Promise:
    return pick(TEXTS[key], audience)


def pick(variants: dict[str, Promise], audience: str) -> Promise:
    """The variant for ``audience``, or the nearest simpler one (``FALLBACK``)."""
    if audience in variants:
        return variants[audience]
    for other in FALLBACK.get(audience, ()):
        if other in variants:
            return variants[other]
    return next(iter(variants.values()))


class Words:
    """Texts for one audience, for templates: ``{{ w.what_title }}``."""

    def __init__(self, audience: str) -> None:
        self.audience = audience if audience in AUDIENCES else "9_12"

    def __getitem__(self, key: str) -> Any:
        if key not in TEXTS:
            raise KeyError(key)
        return text(key, self.audience)


def duration(minutes: int) -> str:
    """A response time in words: "15 minutes", "1 day", "3 days"."""
    from django.utils.translation import ngettext

    if minutes < 120:
        return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
    if minutes < 48 * 60:
        hours = round(minutes / 60)
        if hours == 24:
            return ngettext("%(n)d day", "%(n)d days", 1) % {"n": 1}
        return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    days = round(minutes / 1440)
    return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}
