"""Screenshots of the public pages in headless Chromium, as a child on a phone sees them.

Usage: .venv/bin/python scripts/screenshots.py [BASE_URL] [OUT_DIR] [LANG]
Walks the journey on a running server (make run) and writes one PNG per page.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
OUT = Path(sys.argv[2] if len(sys.argv) > 2 else "var/screens")
LANG = sys.argv[3] if len(sys.argv) > 3 else "en"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": 390, "height": 844}, base_url=BASE)
        page.goto("/")
        if LANG != "en":
            page.locator(f"footer a[hreflang={LANG}]").click()
        shot = lambda name: page.screenshot(path=OUT / f"{LANG}-{name}.png", full_page=True)  # noqa: E731
        shot("01-home")
        page.goto("/report/who/")
        shot("02-who")
        page.locator("input[value=child]").check()
        page.locator("button.primary").click()
        page.locator("input[value='9_12']").check()
        page.locator("button.primary").click()
        shot("03-what")
        page.locator("input[value=threat_share]").check()
        page.locator("button.primary").click()
        page.locator("#id_details").fill("He says he will show my photos to my class.")
        page.locator("#id_url_0").fill("not a link at all")
        page.locator("button.primary").click()
        shot("04-details-error")
        page.locator("#id_url_0").fill("social.example/u/someone")
        page.locator("button.primary").click()
        page.locator("input[value=no]").check()
        shot("05-safe-no")
        page.locator("input[value=yes]").check()
        page.locator("button.primary").click()
        shot("06-contact")
        page.locator("input[value=none]").check()
        page.locator("button.primary").click()
        shot("07-check")
        page.locator("button.primary").click()
        shot("08-done")
        codes = page.locator(".codes .code").all_inner_texts()
        page.goto("/status/")
        page.locator("#id_reference").fill(codes[0])
        page.locator("#id_passphrase").fill(codes[1])
        page.locator("button.primary").click()
        shot("09-status")
        page.goto("/safety/")
        shot("10-safety")
        browser.close()


if __name__ == "__main__":
    main()
