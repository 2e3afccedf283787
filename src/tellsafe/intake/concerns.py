"""The plain-language choices of "What happened?", each mapped to harm taxonomy codes.

The taxonomy is data (taxonomy/fixtures/taxonomy.json); these choices are the words a
child sees, so they live beside the other wording and go through translation.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Concern:
    code: str
    icon: str  # name of an inline SVG icon in templates/public/icon.html
    categories: tuple[str, ...]

    @property
    def key(self) -> str:
        """Its label's key in intake.wording."""
        return f"concern_{self.code}"


CONCERNS: tuple[Concern, ...] = (
    Concern("asked_pictures", "camera", ("grooming", "self_generated")),
    Concern("threat_share", "lock", ("sextortion", "image_sharing")),
    Concern("saw_images", "eye", ("csam",)),
    Concern("wants_meet", "pin", ("grooming",)),
    Concern("fake_pictures", "spark", ("csam_generated",)),
    Concern("bullying", "chat", ("cyberbullying",)),
    Concern("something_else", "dots", ("other",)),
)
BY_CODE = {concern.code: concern for concern in CONCERNS}


def categories_for(codes: list[str]) -> list[str]:
    result: list[str] = []
    for code in codes:
        for category in BY_CODE[code].categories:
            if category not in result:
                result.append(category)
    return result
