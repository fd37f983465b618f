from __future__ import annotations

import secrets

# No look-alike characters (0/o, 1/l/i), so a password read aloud or off paper is typed right.
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def generate_password(groups: int = 4, group_length: int = 5) -> str:
    """A random password like ``k7dq2-w9mnb-...``: about 99 bits with the defaults."""
    return "-".join(
        "".join(secrets.choice(_ALPHABET) for _ in range(group_length)) for _ in range(groups)
    )
