"""The ``tellsafe`` console script: Django's manage.py with the project's commands.

Commands may be written with dashes (``tellsafe audit-verify``), as the docs do; they run
the Django command of the same name with underscores. ``tellsafe init-local`` runs before
Django starts, because it makes the keys the settings need.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def init_local(directory: Path) -> None:
    """Create local secret files once (never overwriting), for ``make run``."""
    import base64
    import secrets

    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    wanted = {
        "secret_key": lambda: secrets.token_urlsafe(50),
        "field_keys": lambda: "k1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        "hmac_key": lambda: base64.b64encode(secrets.token_bytes(32)).decode(),
    }
    for name, make in wanted.items():
        path = directory / name
        if not path.exists():
            path.touch(mode=0o600)
            path.write_text(make() + "\n", encoding="utf-8")
            print(f"created {path}")


def main() -> None:
    args = sys.argv[1:]
    if args and args[0] == "init-local":
        init_local(Path(args[1] if len(args) > 1 else "var/secrets"))
        return
    if args and "-" in args[0] and not args[0].startswith("-"):
        sys.argv[1] = args[0].replace("-", "_")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tellsafe.config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
