"""Keyboard focus must be visible: WCAG 2.2 non-text contrast, at least 3:1 where it shows."""

from __future__ import annotations

import re
from pathlib import Path

import twofold

CSS = Path(twofold.__file__).parent / "static" / "twofold" / "twofold.css"


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(first: str, second: str) -> float:
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _expand(colour: str, variables: dict[str, str]) -> str:
    match = re.fullmatch(r"var\((--[\w-]+)\)", colour)
    colour = variables[match.group(1)] if match else colour
    if re.fullmatch(r"#[0-9a-fA-F]{3}", colour):
        colour = "#" + "".join(ch * 2 for ch in colour[1:])
    return colour


def test_the_focus_outline_stands_out_on_cards_and_on_the_page() -> None:
    css = CSS.read_text()
    variables = dict(re.findall(r"(--[\w-]+):\s*(#[0-9a-fA-F]{3,6})", css))
    rule = re.search(r"button:focus[^{]*\{[^}]*outline:\s*\d+px solid ([^;]+);", css)
    assert rule, "a focus outline is declared"
    outline = _expand(rule.group(1).strip(), variables)
    for background in ("#ffffff", _expand(variables["--bg"], variables)):
        assert _contrast(outline, background) >= 3, (outline, background)
