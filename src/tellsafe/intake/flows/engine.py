"""Walks one conversation through the flow, one inbound message at a time.

The engine is deliberately small: a flow is an ordered list of steps (choice, text,
links, confirm); the conversation stores the step it waits on and the answers so far
(encrypted), so a reporter can stop and come back days later to the same place.

Some words work at every step: STOP/EXIT ends the conversation, LANGUAGE changes the
language, STATUS <report code> <secret code> tells a report's status, HI/START begins
again. Free text that is not an answer to a menu is never lost: a message that reads
like a report ("help someone is threatening me") goes straight to a person as a report.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import get_language_info, override
from django.utils.translation import gettext as _

from tellsafe.core.errors import ApplicationError
from tellsafe.core.text import clean_text, clean_url
from tellsafe.intake import media, selectors, services, wording
from tellsafe.intake.channels import Channel, InboundEvent, Outgoing
from tellsafe.intake.concerns import categories_for
from tellsafe.intake.models import Conversation
from tellsafe.intake.validation import ReportInput, validate_report
from tellsafe.referrals.selectors import emergency_numbers, help_now_services

STOP_WORDS = {"stop", "exit", "quit", "रुको", "बंद", "بند", "روکو"}
LANGUAGE_WORDS = {"language", "lang", "lugha", "भाषा", "زبان"}
START_WORDS = {"hi", "hello", "start", "/start", "नमस्ते", "سلام"}
SKIP_WORDS = {"skip", "no", "none", "छोड़ो", "چھوڑو"}
DONE_WORDS = {"done", "finished", "हो गया", "ہو گیا"}
YES_WORDS = {"yes", "y", "ok", "send", "हाँ", "हां", "جی", "ہاں"}
CHANGE_WORDS = {"change", "restart", "again"}
# A message that is not a menu answer and looks like this is a report in its own right.
FREE_TEXT_MIN_WORDS = 4


@dataclass
class Turn:
    """What came out of one inbound message."""

    replies: list[Outgoing] = field(default_factory=list)
    report_created: bool = False


def _script_language(text: str) -> str | None:
    """Guess the language from the script of the first message."""
    codes = dict(settings.LANGUAGES)
    if re.search(r"[\u0900-\u097F]", text) and "hi" in codes:
        return "hi"
    if re.search(r"[\u0600-\u06FF]", text) and "ur" in codes:
        return "ur"
    return None


def links_in(text: str) -> list[str]:
    """The web links in a message, cleaned; anything that is not a link is left out."""
    urls = []
    for candidate in re.findall(r"\S+\.\S+", text)[: settings.MAX_REPORT_URLS]:
        try:
            urls.append(clean_url(candidate))
        except ValidationError:
            continue
    return urls


def detect_language(event: InboundEvent) -> str:
    codes = dict(settings.LANGUAGES)
    hint = (event.language_hint or "").split("-")[0].lower()
    return _script_language(event.text) or (hint if hint in codes else settings.LANGUAGE_CODE)


class Engine:
    def __init__(
        self, conversation: Conversation, plugin: Channel, definition: dict[str, Any]
    ) -> None:
        self.c = conversation
        self.plugin = plugin
        self.definition = definition
        self.steps = {step["id"]: step for step in definition["steps"]}
        self.order = [step["id"] for step in definition["steps"]]
        self.answers: dict[str, Any] = json.loads(conversation.answers or "{}")
        self.turn = Turn()

    # --- words ------------------------------------------------------------------------

    @property
    def audience(self) -> str:
        if self.answers.get("reporter") in ("caregiver", "professional"):
            return "helper"
        return self.answers.get("age_band") or "9_12"

    def render(self, item: Any) -> str:
        """One text item of a flow definition, in the conversation's language."""
        if isinstance(item, list):
            return "\n".join(self.render(part) for part in item if part)
        if "wording" in item:
            return str(wording.text(item["wording"], self.audience))
        if "msgid" in item:
            msgid = item["msgid"]
            if isinstance(msgid, dict):
                msgid = (
                    msgid.get(self.audience)
                    or msgid.get("helper" if self.audience == "helper" else "*")
                    or msgid.get("*", "")
                )
            return _(msgid)
        texts = item.get("text", {})
        return texts.get(self.c.language) or texts.get(settings.LANGUAGE_CODE) or ""

    def say(self, body: str, options: list[tuple[str, str]] | None = None) -> None:
        self.turn.replies.append(
            Outgoing(to=self.c.contact, body=body.strip(), options=options or [])
        )

    # --- the conversation ---------------------------------------------------------------

    def handle(self, event: InboundEvent) -> Turn:
        with override(self.c.language):
            self._handle(event)
        self.c.answers = json.dumps(self.answers)
        self.c.updated_at = timezone.now()
        return self.turn

    def _handle(self, event: InboundEvent) -> None:
        text = (event.text or "").strip()
        word = text.lower()
        first = word.split()[0] if word else ""
        if word in STOP_WORDS:
            self.c.state = Conversation.State.STOPPED
            self.say(
                _(
                    "OK, we have stopped. We will not send you more messages. Send HI "
                    "any time to start again."
                )
            )
            return
        if word in LANGUAGE_WORDS:
            self.answers["_previous_step"] = self.c.step
            self.c.step = "_language"
            self.ask_language()
            return
        if first == "status" and len(word.split()) >= 3:
            self.status(text.split()[1], text.split()[2])
            return
        if self.c.step == "_language":
            self.choose_language(event)
            return
        if self.c.state == Conversation.State.EXPIRED:
            # Paused while idle: the answers are kept; go on where they stopped.
            self.c.state = Conversation.State.ACTIVE
            self.say(_("Welcome back. Let us go on where you stopped."))
            if self.c.step:
                self.ask(self.c.step)
            else:
                self.start()
            return
        if self.c.state == Conversation.State.STOPPED or (
            self.c.state == Conversation.State.DONE and word in START_WORDS
        ):
            self.restart()
            return
        if self.c.state in (Conversation.State.DONE, Conversation.State.HUMAN):
            self.follow_up(event)
            return
        if not text and not event.choice and not event.media:
            # An empty message (a USSD session opening) answers nothing: show where
            # they are.
            if self.c.state == Conversation.State.ACTIVE and self.c.step:
                self.ask(self.c.step)
            elif self.c.state == Conversation.State.ACTIVE:
                self.start()
            return
        if not self.c.step:
            if (
                getattr(self.plugin, "free_text_first", False)
                and len(word.split()) >= FREE_TEXT_MIN_WORDS
            ):
                self.hand_over(event)
                return
            self.start()
            return
        self.answer(event)

    def restart(self) -> None:
        self.answers = {}
        self.c.report = None
        self.c.state = Conversation.State.ACTIVE
        self.c.step = ""
        self.start()

    def start(self) -> None:
        self.say(self.render(self.definition.get("greeting", [])))
        self.ask(self.order[0])

    def ask(self, step_id: str) -> None:
        self.c.step = step_id
        step = self.steps[step_id]
        if step["kind"] == "confirm":
            self.summary()
            return
        options = [(o["value"], self.render(o["label"])) for o in step.get("options", [])]
        body = self.render(step.get("prompt", []))
        if self.plugin.compact:
            # A feature phone's screen: the question's first line and short labels.
            body = body.split("\n")[0]
            options = [(v, label if len(label) <= 22 else label[:21] + "…") for v, label in options]
        buttons = self._buttons(step)
        if options and not buttons:
            # No buttons here (or too many): numbered lines, answered with numbers.
            body += "\n" + "\n".join(f"{n}. {label}" for n, (_v, label) in enumerate(options, 1))
            if step.get("multiple"):
                body += "\n" + _("You can send more than one number, like 1 3.")
        self.say(body, options if buttons else [])

    def _buttons(self, step: dict[str, Any]) -> bool:
        """Buttons where the channel has them, enough of them, and long enough for every
        label; otherwise numbered lines."""
        options = step.get("options", [])
        return (
            bool(options)
            and len(options) <= self.plugin.max_buttons
            and not step.get("multiple")
            and not self.plugin.compact
            and all(len(self.render(o["label"])) <= self.plugin.max_button_title for o in options)
        )

    def next_step(self) -> None:
        index = self.order.index(self.c.step)
        self.ask(self.order[index + 1])

    def answer(self, event: InboundEvent) -> None:
        step = self.steps.get(self.c.step)
        if step is None:  # the flow changed under an old conversation
            self.restart()
            return
        kind = step["kind"]
        if kind == "choice":
            self.answer_choice(step, event)
        elif kind == "text":
            self.answer_text(step, event)
        elif kind == "links":
            self.answer_links(step, event)
        elif kind == "confirm":
            self.answer_confirm(event)

    def _chosen(self, step: dict[str, Any], event: InboundEvent) -> list[str] | None:
        options = step.get("options", [])
        values = [o["value"] for o in options]
        if event.choice:
            if event.choice in values:
                return [event.choice]
            if event.choice.isdigit() and 0 < int(event.choice) <= len(values):
                return [values[int(event.choice) - 1]]
            return None
        numbers = re.findall(r"\d+", event.text or "")
        leftover = re.sub(r"[\d\s,.;]+", "", event.text or "")
        if not numbers or leftover:
            return None
        chosen = []
        for number in numbers:
            index = int(number) - 1
            if not 0 <= index < len(values):
                return None
            if values[index] not in chosen:
                chosen.append(values[index])
        if len(chosen) > 1 and not step.get("multiple"):
            return None
        return chosen

    def answer_choice(self, step: dict[str, Any], event: InboundEvent) -> None:
        chosen = self._chosen(step, event)
        if chosen is None:
            if len((event.text or "").split()) >= FREE_TEXT_MIN_WORDS:
                self.hand_over(event)
                return
            self.say(
                _("Please tap one of the buttons.")
                if self._buttons(step)
                else _("Please send the number of your answer.")
            )
            self.ask(step["id"])
            return
        self.answers[step["field"]] = chosen if step.get("multiple") else chosen[0]
        if step.get("danger_value") and chosen[0] == step["danger_value"]:
            self.danger()
        self.next_step()

    def answer_text(self, step: dict[str, Any], event: InboundEvent) -> None:
        text = (event.text or "").strip()
        if text.lower() in SKIP_WORDS:
            self.answers.setdefault(step["field"], "")
        else:
            try:
                text = clean_text(text, multiline=True, max_length=settings.MAX_DETAILS_CHARS)
            except ValidationError:
                self.say(_("We could not read that. Please write it again in plain words."))
                return
            earlier = self.answers.get(step["field"], "")
            self.answers[step["field"]] = f"{earlier}\n{text}".strip()
        self.keep_media(event)
        self.next_step()

    def answer_links(self, step: dict[str, Any], event: InboundEvent) -> None:
        text = (event.text or "").strip()
        urls = self.answers.setdefault(step["field"], [])
        self.keep_media(event)
        if text.lower() in DONE_WORDS | SKIP_WORDS:
            self.next_step()
            return
        added = 0
        for url in links_in(text):
            if url not in urls and len(urls) < settings.MAX_REPORT_URLS:
                urls.append(url)
                added += 1
        if added:
            self.say(_("Got it. Send another link, or DONE."))
        elif event.media:
            self.say(
                _(
                    "Thank you. We kept only a fingerprint of it, not the picture. Send "
                    "a link, or DONE."
                )
            )
        else:
            self.say(_("That does not look like a web link. Send a link, or DONE."))

    def keep_media(self, event: InboundEvent) -> None:
        """Media arrive as hashes only (the plugin never keeps the bytes)."""
        if event.media:
            self.answers.setdefault("media", []).extend(event.media)

    def danger(self) -> None:
        numbers = emergency_numbers()
        lines = [
            str(wording.text("danger_title", self.audience)),
            str(wording.text("danger_text", self.audience)),
        ]
        lines += [f"{e.name()}: {e.number}" for e in numbers] or [
            _("Call your local emergency number, or go to a grown-up you trust.")
        ]
        self.say("\n".join(lines))

    def summary(self) -> None:
        a = self.answers
        concerns = [str(wording.text(f"concern_{c}", self.audience)) for c in a.get("concerns", [])]
        lines = [str(wording.text("check_title", self.audience))]
        lines += [f"- {c}" for c in concerns]
        if a.get("details"):
            lines.append(f"“{a['details'][:300]}”")
        lines += [f"- {u}" for u in a.get("urls", [])]
        lines.append(_("Send YES to send your report, or CHANGE to start again."))
        self.say("\n".join(lines), [("yes", _("Yes, send it"))] if self.plugin.max_buttons else [])

    def answer_confirm(self, event: InboundEvent) -> None:
        word = (event.choice or event.text or "").strip().lower()
        if word in YES_WORDS:
            self.make_report()
        elif word in CHANGE_WORDS:
            self.restart()
        elif len(word.split()) >= FREE_TEXT_MIN_WORDS:
            self.answers["details"] = f"{self.answers.get('details', '')}\n{event.text}".strip()
            self.summary()
        else:
            self.summary()

    def _input(self) -> dict[str, Any]:
        a = self.answers
        contact = {"kind": "none"}
        if a.get("contact") == "yes" and self.plugin.contact_kind(self.c.channel) != "none":
            contact = {"kind": self.plugin.contact_kind(self.c.channel), "value": self.c.contact}
        return {
            "reporter": a.get("reporter"),
            "age_band": a.get("age_band"),
            "language": self.c.language,
            "categories": categories_for(a.get("concerns") or []),
            "details": a.get("details", ""),
            "urls": a.get("urls", []),
            "safe_now": {"yes": True, "no": False}.get(a.get("safe", "")),
            "contact": contact,
        }

    def make_report(self) -> None:
        try:
            data = validate_report(self._input())
        except ApplicationError:
            # Our own answers were refused (e.g. a contact the validator rejects): keep
            # the report anonymous rather than lose it.
            raw = self._input()
            raw["contact"] = {"kind": "none"}
            data = validate_report(raw)
        self._create(data)

    def _create(self, data: ReportInput) -> None:
        created = services.report_create(
            data=data,
            channel=self.plugin.report_channel(self.c.channel),
            idempotency_key=f"chat:{self.c.pk}:{self.c.created_at.isoformat()}:{len(self.answers)}",
        )
        self.c.report = created.report
        if self.answers.get("media"):
            # Hashed by the worker once this commits; the bytes are never kept.
            media.media_received(
                report=created.report, channel_id=self.c.channel_id, items=self.answers["media"]
            )
        self.c.state = Conversation.State.DONE
        self.c.step = ""
        self.turn.report_created = True
        minutes = settings.FIRST_RESPONSE_MINUTES[created.report.case.urgency]
        key = "next_imminent" if created.report.case.urgency == "imminent" else "next_soon"
        self.created_passphrase = created.passphrase
        if self.plugin.compact:
            # The codes must fit on the last screen of a feature phone.
            self.say(
                "\n".join(
                    [
                        str(wording.text("done_title", self.audience)),
                        f"{wording.text('reference_label', self.audience)}: "
                        f"{created.report.reference}",
                        f"{wording.text('passphrase_label', self.audience)}: {created.passphrase}",
                    ]
                )
            )
            return
        lines = [
            str(wording.text("done_title", self.audience)),
            str(wording.text("done_reassure", self.audience)),
            str(wording.text("codes_hint", self.audience)),
            f"{wording.text('reference_label', self.audience)}: {created.report.reference}",
            f"{wording.text('passphrase_label', self.audience)}: {created.passphrase}",
            str(wording.text(key, self.audience)) % {"time": wording.duration(minutes)},
        ]
        services_now = help_now_services()
        if services_now:
            lines.append(str(wording.text("help_now_title", self.audience)))
            lines += [f"{s.name}: {s.phone}" for s in services_now if s.phone]
        self.say("\n".join(lines))

    def hand_over(self, event: InboundEvent) -> None:
        """Free text outside the menu: it is a report, and a person takes it from here."""
        details = f"{self.answers.get('details', '')}\n{event.text}".strip()
        self.keep_media(event)
        a = self.answers
        contact = {"kind": "none"}
        if self.plugin.contact_kind(self.c.channel) != "none":
            # They wrote to us here and asked for help: a person answers here.
            contact = {"kind": self.plugin.contact_kind(self.c.channel), "value": self.c.contact}
        raw = {
            "reporter": a.get("reporter") or "child",
            "age_band": a.get("age_band"),
            "language": self.c.language,
            "categories": categories_for(a.get("concerns") or []) or ["other"],
            "details": details,
            "urls": a.get("urls", []),
            "safe_now": {"yes": True, "no": False}.get(a.get("safe", "")),
            "contact": contact,
        }
        try:
            data = validate_report({**raw, "age_band": raw["age_band"] or "13_15"})
        except ApplicationError:
            data = validate_report(
                {**raw, "age_band": raw["age_band"] or "13_15", "contact": {"kind": "none"}}
            )
        if not a.get("age_band"):
            data = dataclasses.replace(data, age_band="unknown")
        self._create(data)
        self.c.state = Conversation.State.HUMAN
        self.turn.replies.clear()
        self.say(
            _(
                "Thank you for telling us. A person from our team will read this and "
                "answer you here."
            )
        )
        created = self.c.report
        assert created is not None
        self.say(
            "\n".join(
                [
                    f"{wording.text('reference_label', 'unknown')}: {created.reference}",
                    f"{wording.text('passphrase_label', 'unknown')}: {self.created_passphrase}",
                ]
            )
        )
        if not self.plugin.compact:
            self.danger()

    def follow_up(self, event: InboundEvent) -> None:
        """After the report: what they send joins the same case."""
        report = self.c.report
        if report is None:
            self.restart()
            return
        text = (event.text or "").strip()
        urls = links_in(text)
        try:
            text = clean_text(text, multiline=True, max_length=settings.MAX_DETAILS_CHARS)
        except ValidationError:
            text = ""
        if text or urls:
            services.report_add_information(report=report, text=text, urls=tuple(urls))
            self.say(_("Thank you. We added this to your report."))
        if event.media:
            media.media_received(report=report, channel_id=self.c.channel_id, items=event.media)

    def ask_language(self) -> None:
        codes = [code for code, _name in settings.LANGUAGES]
        options = [
            (str(i), get_language_info(code)["name_local"]) for i, code in enumerate(codes, 1)
        ]
        body = _("Which language?") + "\n" + "\n".join(f"{n}. {name}" for n, name in options)
        self.say(body)

    def choose_language(self, event: InboundEvent) -> None:
        codes = [code for code, _name in settings.LANGUAGES]
        text = (event.choice or event.text or "").strip()
        if text.isdigit() and 1 <= int(text) <= len(codes):
            self.c.language = codes[int(text) - 1]
        previous = self.answers.pop("_previous_step", "")
        with override(self.c.language):
            self.say(_("OK."))
            if self.c.state == Conversation.State.ACTIVE and previous:
                self.ask(previous)
            else:
                self.c.step = previous
                if self.c.state == Conversation.State.ACTIVE:
                    self.start()

    def status(self, reference: str, passphrase: str) -> None:
        try:
            report = selectors.report_by_codes(
                reference=reference, passphrase=passphrase, address=f"chat:{self.c.contact_hash}"
            )
        except ApplicationError as exc:
            self.say(exc.message)
            return
        view = selectors.status_for_reporter(report=report, language=self.c.language)
        lines = [view.status_text] + [m.text for m in view.messages[-3:]]
        self.say("\n".join(lines))
