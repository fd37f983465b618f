"""Dutch translation: the pages speak Dutch when asked, and the catalogue is complete."""

from __future__ import annotations

import ast
import gettext
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import translation

from twofold.accounts.models import User

PACKAGE_DIR = Path(settings.BASE_DIR)
LOCALE_DIR = PACKAGE_DIR / "locale"
NL_PO = LOCALE_DIR / "nl" / "LC_MESSAGES" / "django.po"
NL_MO = NL_PO.with_suffix(".mo")

PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
H1 = re.compile(rb"<h1>(.*?)</h1>", re.S)
PRIMARY_BUTTON = re.compile(rb'<button type="submit" class="primary">(.*?)</button>', re.S)


# --- a small .po reader (polib is not a dependency) -------------------------------------------


def _unquote(literal: str) -> str:
    return ast.literal_eval(literal)


def read_po(path: Path) -> list[dict[str, object]]:
    """Entries as dicts: msgid, msgid_plural, msgstr (list), flags (set). Header included."""
    entries: list[dict[str, object]] = []
    for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8").strip()):
        entry: dict[str, object] = {"msgid_plural": None, "msgstr": [], "flags": set()}
        strings: dict[str, str] = {}
        current = None
        for line in block.splitlines():
            if line.startswith("#,"):
                entry["flags"] |= {flag.strip() for flag in line[2:].split(",")}  # type: ignore[operator]
            elif line.startswith("#~"):
                raise AssertionError(f"obsolete entry left in {path}: {line}")
            elif line.startswith("#") or not line.strip():
                continue
            elif line.startswith('"'):
                assert current is not None, f"continuation line without a keyword: {line}"
                strings[current] += _unquote(line)
            else:
                keyword, literal = line.split(" ", 1)
                current = keyword
                strings[current] = _unquote(literal)
        entry["msgid"] = strings["msgid"]
        entry["msgid_plural"] = strings.get("msgid_plural")
        entry["msgstr"] = [
            value for key, value in sorted(strings.items()) if key.startswith("msgstr")
        ]
        entries.append(entry)
    return entries


def messages(path: Path) -> list[dict[str, object]]:
    return [entry for entry in read_po(path) if entry["msgid"]]


def header(path: Path) -> dict[str, str]:
    (head,) = [entry for entry in read_po(path) if entry["msgid"] == ""]
    lines = str(head["msgstr"][0]).strip().splitlines()  # type: ignore[index]
    return dict(line.split(": ", 1) for line in lines)


# --- pages in Dutch ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_sign_in_page_is_dutch_when_the_browser_asks_for_dutch() -> None:
    response = Client().get("/signin/", HTTP_ACCEPT_LANGUAGE="nl")
    assert response.status_code == 200
    assert b'<html lang="nl">' in response.content
    assert H1.search(response.content).group(1).strip() == b"Aanmelden"
    assert PRIMARY_BUTTON.search(response.content).group(1).strip() == b"Aanmelden"
    assert b"Accountnaam" in response.content
    assert b"Wachtwoord" in response.content
    assert b"Sign in" not in response.content
    assert response["Content-Language"] == "nl"


@pytest.mark.django_db
def test_sign_in_page_stays_english_without_a_language_preference() -> None:
    response = Client().get("/signin/")
    assert b'<html lang="en">' in response.content
    assert H1.search(response.content).group(1).strip() == b"Sign in"
    assert b"Aanmelden" not in response.content


@pytest.mark.django_db
def test_choosing_dutch_in_the_language_switcher_makes_later_pages_dutch() -> None:
    client = Client()
    before = client.get("/signin/")
    assert b'name="language" value="nl"' in before.content
    assert H1.search(before.content).group(1).strip() == b"Sign in"

    chosen = client.post("/i18n/setlang/", {"language": "nl", "next": "/signin/"})
    assert chosen.status_code == 302
    assert chosen["Location"] == "/signin/"

    after = client.get("/signin/")
    assert b'<html lang="nl">' in after.content
    assert H1.search(after.content).group(1).strip() == b"Aanmelden"
    assert PRIMARY_BUTTON.search(after.content).group(1).strip() == b"Aanmelden"


def test_wrong_password_in_dutch_gets_the_dutch_refusal(adele: User) -> None:
    response = Client().post(
        "/signin/",
        {"username": "adele@contoso.example", "password": "helemaal-niet-mijn-wachtwoord"},
        HTTP_ACCEPT_LANGUAGE="nl",
    )
    assert response.status_code == 401
    assert (
        b"De accountnaam en het wachtwoord komen niet overeen. "
        b"Controleer beide en probeer het opnieuw." in response.content
    )
    assert b"don&#x27;t match" not in response.content


def test_lockout_message_uses_dutch_singular_and_plural() -> None:
    singular = "Too many failed sign-ins. This account is locked for %(seconds)d more second."
    plural = "Too many failed sign-ins. This account is locked for %(seconds)d more seconds."
    with translation.override("nl"):
        one = translation.ngettext(singular, plural, 1) % {"seconds": 1}
        many = translation.ngettext(singular, plural, 30) % {"seconds": 30}
    assert one == "Te veel mislukte aanmeldpogingen. Dit account is nog 1 seconde geblokkeerd."
    assert many == "Te veel mislukte aanmeldpogingen. Dit account is nog 30 seconden geblokkeerd."


# --- the catalogue itself ----------------------------------------------------------------------


def test_dutch_catalogue_header_declares_dutch_utf8_and_two_plural_forms() -> None:
    meta = header(NL_PO)
    assert meta["Language"] == "nl"
    assert meta["Content-Type"] == "text/plain; charset=UTF-8"
    assert meta["Plural-Forms"] == "nplurals=2; plural=(n != 1);"
    assert "fuzzy" not in read_po(NL_PO)[0]["flags"]  # type: ignore[operator]


def test_every_dutch_entry_is_translated_and_none_is_fuzzy() -> None:
    entries = messages(NL_PO)
    assert len(entries) > 50, "the Dutch catalogue looks truncated"
    fuzzy = [entry["msgid"] for entry in entries if "fuzzy" in entry["flags"]]  # type: ignore[operator]
    assert fuzzy == []
    untranslated = [
        entry["msgid"]
        for entry in entries
        if not entry["msgstr"] or not all(entry["msgstr"])  # type: ignore[arg-type]
    ]
    assert untranslated == []
    wrong_plural_count = [
        entry["msgid"]
        for entry in entries
        if entry["msgid_plural"] and len(entry["msgstr"]) != 2  # type: ignore[arg-type]
    ]
    assert wrong_plural_count == []


def test_every_dutch_translation_keeps_its_placeholders() -> None:
    broken = []
    for entry in messages(NL_PO):
        wanted = sorted(PLACEHOLDER.findall(str(entry["msgid"])))
        for msgstr in entry["msgstr"]:  # type: ignore[attr-defined]
            if sorted(PLACEHOLDER.findall(msgstr)) != wanted:
                broken.append((entry["msgid"], msgstr))
    assert broken == []


def test_compiled_dutch_catalogue_matches_the_po_file() -> None:
    """A .po edited without running compilemessages would ship English to Dutch users."""
    with NL_MO.open("rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)
    stale = []
    for entry in messages(NL_PO):
        msgid = str(entry["msgid"])
        msgstr: list[str] = entry["msgstr"]  # type: ignore[assignment]
        if entry["msgid_plural"]:
            got = [catalogue.ngettext(msgid, str(entry["msgid_plural"]), n) for n in (1, 2)]
        else:
            got = [catalogue.gettext(msgid)]
        if got != msgstr:
            stale.append(msgid)
    assert stale == []


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext tools are not installed")
def test_msgfmt_accepts_the_dutch_catalogue_with_nothing_untranslated() -> None:
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(NL_PO)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "LC_ALL": "C", "LANGUAGE": ""},
    )
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr
    assert "fuzzy" not in result.stderr
    assert re.fullmatch(r"\d+ translated messages\.\n", result.stderr), result.stderr


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="gettext tools are not installed")
def test_every_string_marked_in_the_code_is_in_the_dutch_catalogue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Extract afresh from a copy of the sources; a newly marked string must be translated."""
    source = tmp_path / "twofold"
    shutil.copytree(
        PACKAGE_DIR,
        source,
        ignore=shutil.ignore_patterns("locale", "static", "__pycache__", "migrations"),
    )
    extracted = tmp_path / "locale"
    extracted.mkdir()
    monkeypatch.chdir(source)
    with override_settings(LOCALE_PATHS=[str(extracted)]):
        call_command("makemessages", locale=["nl"], no_obsolete=True, verbosity=0)
    fresh = {
        str(entry["msgid"]) for entry in messages(extracted / "nl" / "LC_MESSAGES" / "django.po")
    }
    shipped = {str(entry["msgid"]) for entry in messages(NL_PO)}
    assert len(fresh) > 50
    assert sorted(fresh - shipped) == []
