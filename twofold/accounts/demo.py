"""The demo organisation: one administrator and two users, for trying Twofold out."""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings

from twofold.accounts.models import User
from twofold.accounts.passwords_generate import generate_password
from twofold.accounts.services import NewUser, create_user

DEMO_PEOPLE = [
    NewUser("admin@contoso.example", "Megan Bowen (admin)", is_admin=True),
    NewUser(
        "adele@contoso.example",
        "Adele Vance",
        mobile_phone="+31612345678",
        office_phone="+31201234567",
        office_phone_extension="1234",
    ),
    NewUser("alex@contoso.example", "Alex Wilber", mobile_phone="+14255550123"),
]


def credentials_file() -> Path:
    return Path(settings.CONFIG.data_dir) / "demo-accounts.txt"


def create_demo_organisation() -> tuple[bool, str]:
    """Create the demo accounts unless any user exists; returns (created, sign-in text)."""
    path = credentials_file()
    if User.objects.exists():
        text = path.read_text() if path.exists() else ""
        return False, text
    lines = ["Demo accounts:"]
    for person in DEMO_PEOPLE:
        password = generate_password()
        create_user(
            NewUser(
                principal_name=person.principal_name,
                display_name=person.display_name,
                password=password,
                mobile_phone=person.mobile_phone,
                office_phone=person.office_phone,
                office_phone_extension=person.office_phone_extension,
                is_admin=person.is_admin,
            )
        )
        lines.append(f"  {person.principal_name:28} password: {password}")
    _set_demo_policy()
    text = "\n".join(lines) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    # Readable only by the owner: these are real, working passwords.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    return True, text


def _set_demo_policy() -> None:
    """Everyone registers security info, but may look around for up to 14 days first."""
    from twofold.policy.services import get_policy

    policy = get_policy()
    policy.postpone_days = 14
    policy.save()
