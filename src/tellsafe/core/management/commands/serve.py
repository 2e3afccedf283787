"""``tellsafe serve``: the production web server (gunicorn), as ``make run`` uses it."""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the platform with gunicorn. Settings: TELLSAFE_BIND, TELLSAFE_WEB_WORKERS."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--bind", default=os.environ.get("TELLSAFE_BIND", "127.0.0.1:8000"))
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("TELLSAFE_WEB_WORKERS", "0")) or None
        )

    def handle(self, *args: Any, bind: str, workers: int | None, **options: Any) -> None:
        from gunicorn.app.wsgiapp import WSGIApplication

        workers = workers or (os.cpu_count() or 1) * 2 + 1
        argv = [
            "gunicorn",
            "tellsafe.config.wsgi:application",
            "--bind",
            bind,
            "--workers",
            str(workers),
            "--worker-class",
            "gthread",
            "--threads",
            "2",
            "--max-requests",
            "20000",
            "--max-requests-jitter",
            "2000",
            "--graceful-timeout",
            "20",
            # Access logs would carry paths; our own request log carries routes only.
            "--access-logfile",
            "-" if os.environ.get("TELLSAFE_ACCESS_LOG") else "/dev/null",
            "--error-logfile",
            "-",
        ]
        import sys

        sys.argv = argv
        self.stdout.write(f"Serving on http://{bind} with {workers} workers")
        WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]").run()
