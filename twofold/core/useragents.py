"""Short, readable names for a browser and its operating system from a User-Agent header.

Only the common families are named, from a handful of patterns kept here rather than a
parser's database: the point is that a person recognises their own device ("Firefox",
"Windows"), not fingerprinting, and the header is the caller's to forge anyway.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Order matters: Edge, Opera and Samsung Internet say "Chrome" too, Chrome says "Safari".
_BROWSERS = [
    ("Edge", re.compile(r"Edg(e|A|iOS)?/")),
    ("Opera", re.compile(r"OPR/|Opera")),
    ("Samsung Internet", re.compile(r"SamsungBrowser/")),
    ("Firefox", re.compile(r"Firefox/|FxiOS/")),
    ("Chrome", re.compile(r"Chrome/|CriOS/|HeadlessChrome/")),
    ("Safari", re.compile(r"Safari/")),
]
# Order matters too: Android says "Linux", iOS says "like Mac OS X".
_SYSTEMS = [
    ("Android", re.compile(r"Android")),
    ("iOS", re.compile(r"iPhone|iPad|iPod")),
    ("Windows", re.compile(r"Windows")),
    ("macOS", re.compile(r"Macintosh|Mac OS X")),
    ("ChromeOS", re.compile(r"CrOS")),
    ("Linux", re.compile(r"Linux|X11")),
]


@dataclass(frozen=True)
class UserAgent:
    browser: str  # "" when not recognised
    system: str  # "" when not recognised


def parse_user_agent(user_agent: str) -> UserAgent:
    return UserAgent(
        browser=next((name for name, pattern in _BROWSERS if pattern.search(user_agent)), ""),
        system=next((name for name, pattern in _SYSTEMS if pattern.search(user_agent)), ""),
    )
