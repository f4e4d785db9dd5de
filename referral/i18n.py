"""Message catalogues shared by the web pages and the e-mails (one catalogue, in this package).

The ``.po`` files are compiled to ``.mo`` by the install step (``relais i18n compile``) and,
as a fallback, the first time they are needed when the ``.mo`` is missing or older.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

TRANSLATIONS = Path(__file__).with_name("translations")
LOCALES = ("fr", "en")
DEFAULT_LOCALE = "fr"


def compile_catalogues(force: bool = False) -> list[Path]:
    """Compile every ``messages.po`` whose ``.mo`` is missing or stale; return those written."""
    written = []
    for po_path in sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")):
        mo_path = po_path.with_suffix(".mo")
        if not force and mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po:
            catalog = read_po(po)
        try:
            with mo_path.open("wb") as mo:
                write_mo(mo, catalog, use_fuzzy=False)
        except OSError:
            continue  # read-only install: keep whatever .mo is there
        written.append(mo_path)
    translations.cache_clear()
    return written


@lru_cache(maxsize=8)
def translations(locale: str) -> NullTranslations:
    """The catalogue for ``locale`` (English is the source language)."""
    if locale not in LOCALES or locale == "en":
        return NullTranslations()
    return Translations.load(str(TRANSLATIONS), [locale])
