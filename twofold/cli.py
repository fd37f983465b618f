"""The ``twofold`` command: Django's management commands plus Twofold's own (serve, user, demo)."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "twofold.settings")
    from django.core.management import execute_from_command_line

    args = sys.argv[1:] if argv is None else argv
    execute_from_command_line(["twofold", *args])


if __name__ == "__main__":
    main()
