from __future__ import annotations

from typing import Any

import uvicorn
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve Twofold over HTTP with uvicorn (ASGI)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on.")
        parser.add_argument("--port", type=int, default=8000, help="Port to listen on.")
        parser.add_argument("--workers", type=int, default=1, help="Worker processes.")

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Twofold is serving on http://{options['host']}:{options['port']}/")
        uvicorn.run(
            "twofold.asgi:application",
            host=options["host"],
            port=options["port"],
            workers=options["workers"],
            # Forwarded headers are honoured only when Twofold is told it sits behind a proxy.
            proxy_headers=settings.TWOFOLD_TRUST_X_FORWARDED_FOR,
            server_header=False,
            log_config=None,
            lifespan="off",
        )
