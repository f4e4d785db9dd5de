"""No page of the seeded demo shows an untranslated string in French.

Three checks, from the strictest source of truth to a heuristic:

1. The catalogue: every msgid extracted from the code and templates (as ``relais i18n update``
   does) has a French msgstr that is neither empty nor fuzzy.
2. The crawl: the demo is seeded, each demo role signs in and every page reachable from the
   menu and from the links of those pages is opened in French (``Accept-Language: fr``).
   Every lookup in the catalogue is recorded (Flask-Babel's gettext, ngettext, lazy strings and
   the Jinja ``_``): a message that the French catalogue does not hold fails the test.
3. Hard-coded English in the interface's chrome (buttons, labels, table headers, options,
   legends, captions, the menu, the page title) is spotted by common English words.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import deque
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import flask_babel
import pytest
from babel.messages.pofile import read_po

from referral.i18n import TRANSLATIONS
from seeds import DEMO_PASSWORD, demo_accounts, load

ROOT = Path(__file__).resolve().parents[2]
PO = TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po"
MAX_PAGES = 150
# Links that change state or leave the HTML interface.
SKIP = re.compile(r"^/(static/|logout|r/|.*\.(csv|xlsx|pdf|docx|odt|txt|png|svg|ics)$)")
ENGLISH = re.compile(
    r"\b(the|your|you|this|these|with|and|of|is|are|not|yet|here|has|have|been|will|from|"
    r"back|sign|save|search|delete|edit|add|show|next|previous|offers?|users?)\b",
    re.IGNORECASE,
)
CHROME = {"button", "label", "th", "legend", "option", "caption", "summary", "title"}
# Proper names and words that are the same in both languages.
SAME_IN_BOTH = {"English", "LinkedIn", "Python", "SQL", "QR code", "E-mail", "X"}


def _extracted_msgids(tmp_path: Path) -> set[str]:
    pot = tmp_path / "messages.pot"
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run(
        [
            str(pybabel),
            "-q",
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-k",
            "ngettext:1,2",
            "--no-location",
            "-o",
            str(pot),
            str(ROOT),
        ],
        check=True,
        cwd=ROOT,
    )
    with pot.open("rb") as f:
        catalog = read_po(f)
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}


def test_catalogue_has_a_french_translation_for_every_extracted_message(tmp_path):
    with PO.open("rb") as f:
        catalog = read_po(f)
    translated = {}
    for message in catalog:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        translated[key] = bool(all(strings)) and not message.fuzzy
    missing = sorted(m for m in _extracted_msgids(tmp_path) if not translated.get(m))
    assert missing == [], f"{len(missing)} messages without a French translation: {missing[:20]}"


class _Recorder:
    """Wraps a Translations object; remembers every message that has no French entry."""

    def __init__(self, real, missing: set[str]):
        self._real = real
        self._missing = missing
        self._catalog = getattr(real, "_catalog", {})

    def _check(self, key, msgid: str) -> None:
        if key not in self._catalog or not self._catalog[key]:
            self._missing.add(msgid)

    def ugettext(self, message):
        self._check(message, message)
        return self._real.ugettext(message)

    gettext = ugettext

    def ungettext(self, singular, plural, n):
        self._check((singular, 0), singular)
        return self._real.ungettext(singular, plural, n)

    ngettext = ungettext

    def upgettext(self, context, message):
        self._check(f"{context}\x04{message}", message)
        return self._real.upgettext(context, message)

    def unpgettext(self, context, singular, plural, n):
        self._check((f"{context}\x04{singular}", 0), singular)
        return self._real.unpgettext(context, singular, plural, n)

    def __getattr__(self, name):
        return getattr(self._real, name)


class _Page(HTMLParser):
    """Links of a page, and the text of its interface chrome."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.chrome: list[str] = []
        self._stack: list[tuple[str, bool]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag in {"br", "img", "input", "meta", "link", "hr", "source"}:
            return
        english = attrs.get("lang", "").startswith("en") or tag in {"code", "pre", "script"}
        inherited = any(flag for _, flag in self._stack)
        self._stack.append((tag, english or inherited))

    def handle_endtag(self, tag):
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i][0] == tag:
                del self._stack[i:]
                break

    def handle_data(self, data):
        text = " ".join(data.split())
        if not text or not self._stack or self._stack[-1][1]:
            return
        tags = {t for t, _ in self._stack}
        in_nav_link = "nav" in tags and "a" in tags
        if tags & CHROME or in_nav_link:
            self.chrome.append(text)


def _crawl(client, start: list[str], missing: set[str], who: str) -> tuple[int, list[str]]:
    seen: set[str] = set()
    queue = deque(start)
    problems: list[str] = []
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        before = set(missing)
        response = client.get(url, headers={"Accept-Language": "fr"})
        if response.status_code >= 500:
            problems.append(f"{who} GET {url}: {response.status_code}")
            continue
        if response.status_code in (301, 302, 303, 307, 308):
            target = urlsplit(urljoin(url, response.headers["Location"]))
            if target.netloc in ("", "localhost"):
                queue.append(target.path + (f"?{target.query}" if target.query else ""))
            continue
        if "text/html" not in response.content_type:
            continue
        for msgid in sorted(missing - before):
            problems.append(f"{who} {url}: untranslated {msgid!r}")
        parser = _Page()
        parser.feed(response.get_data(as_text=True))
        for text in parser.chrome:
            if text not in SAME_IN_BOTH and ENGLISH.search(text):
                problems.append(f"{who} {url}: English in the interface: {text!r}")
        for href in parser.links:
            target = urlsplit(urljoin(url, href))
            if target.netloc not in ("", "localhost") or target.scheme not in ("", "http"):
                continue
            path = target.path + (f"?{target.query}" if target.query else "")
            if not SKIP.match(target.path) and path not in seen:
                queue.append(path)
    return len(seen), problems


@pytest.fixture
def recorded(monkeypatch) -> set[str]:
    """Every msgid looked up in a French catalogue that does not translate it."""
    missing: set[str] = set()
    real = flask_babel.Domain.get_translations

    def recording(self):
        translations = real(self)
        locale = flask_babel.get_locale()
        if locale is None or locale.language != "fr":
            return translations
        return _Recorder(translations, missing)

    monkeypatch.setattr(flask_babel.Domain, "get_translations", recording)
    return missing


def test_seeded_demo_pages_are_all_in_french(app, recorded):
    state = app.extensions["relais"]
    load(state.sessions, state.settings)
    problems: list[str] = []
    total = 0
    visitors = [("anonymous", None)] + demo_accounts()
    for role, email in visitors:
        client = app.test_client()
        start = ["/"]
        if email:
            response = client.post(
                "/login",
                data={"email": email, "password": DEMO_PASSWORD},
                headers={"Accept-Language": "fr"},
            )
            assert response.status_code == 302, f"{role} cannot sign in"
            start = [urlsplit(response.headers["Location"]).path, "/"]
        else:
            start += ["/login", "/password/forgot"]
        count, found = _crawl(client, start, recorded, role)
        total += count
        problems += found
    assert total >= 20, f"only {total} pages crawled"
    assert problems == [], "\n".join(sorted(set(problems))[:60])


def test_the_recorder_catches_an_untranslated_string(app, recorded):
    """The check itself can fail: a message missing from the catalogue is recorded."""
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        assert flask_babel.gettext("Sign out") != "Sign out"
        flask_babel.gettext("A sentence nobody translated, on purpose")
        flask_babel.ngettext("%(num)s ghost", "%(num)s ghosts", 2)
    assert recorded == {"A sentence nobody translated, on purpose", "%(num)s ghost"}
