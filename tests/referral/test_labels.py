"""Each value of each vocabulary of the domain has exactly one name, in one place."""

import ast
from pathlib import Path

import pytest

from referral import labels
from referral.i18n import translations
from referral.models import ApplicationSource, Channel, ContractType, CreditState

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("vocabulary", list(labels.LABELS), ids=lambda v: v.__name__)
def test_each_value_has_exactly_one_name_in_the_vocabularys_order(vocabulary):
    names = labels.LABELS[vocabulary]
    assert list(names) == list(vocabulary)  # every value, none twice, none foreign
    assert all(isinstance(text, str) and text.strip() for text in names.values())


@pytest.mark.parametrize("vocabulary", list(labels.LABELS), ids=lambda v: v.__name__)
def test_two_values_of_a_vocabulary_never_share_a_name(vocabulary):
    texts = list(labels.LABELS[vocabulary].values())
    assert len(set(texts)) == len(texts)
    french = translations("fr")
    assert len({french.gettext(t) for t in texts}) == len(texts)


def test_the_channel_word_inside_a_sentence_covers_every_channel():
    assert list(labels.CHANNEL_LINK_WORDS) == list(Channel)


def test_every_name_is_translated_into_french():
    french = translations("fr")
    same_in_french = {"LinkedIn", "WhatsApp", "X", "Facebook", "QR code", "Agent", "Agents"}
    untranslated = [
        text
        for names in labels.LABELS.values()
        for text in names.values()
        if french.gettext(text) == text and text not in same_in_french
    ]
    assert untranslated == []


def test_the_one_wording_of_each_value_that_had_several():
    assert labels.label(Channel.EMAIL) == "Email"
    assert labels.label(ApplicationSource.CAREERS) == "Careers site"
    assert labels.label(ContractType.TEMPORARY) == "Temporary or replacement"
    assert translations("fr").gettext(labels.label(Channel.EMAIL)) == "E-mail"


def test_a_stored_value_outside_the_vocabulary_shows_as_it_is():
    assert labels.label_of(ContractType, "temporary") == "Temporary or replacement"
    assert labels.label_of(ContractType, "cdd-1998") == "cdd-1998"
    assert labels.label_of(ContractType, None) == ""
    with pytest.raises(KeyError):
        labels.label(
            CreditState.PAID
        )  # no names: the reward model words it (web/views/referrals.py)


def _dict_literals_keyed_by(values: set[str], path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Dict) and node.keys:
            keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
            keys |= {k.attr.lower() for k in node.keys if isinstance(k, ast.Attribute)}
            if len(keys) >= 3 and keys <= values and len(keys) >= len(values) - 1:
                yield node.lineno


@pytest.mark.parametrize("vocabulary", [Channel, ApplicationSource, ContractType], ids=str)
def test_no_other_table_names_these_vocabularies(vocabulary):
    """The tables that used to name channels, sources and contract types ("Email"/"E-mail",
    "Careers page"/"Careers site"…) are gone: only referral/labels.py holds them."""
    values = {v.value for v in vocabulary}
    found = []
    for folder in ("referral", "web"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path.name == "labels.py" or "migrations" in path.parts:
                continue
            found += [
                f"{path.relative_to(ROOT)}:{n}" for n in _dict_literals_keyed_by(values, path)
            ]
    assert found == []


def test_the_scan_finds_a_table_when_there_is_one(tmp_path):
    old = tmp_path / "old.py"
    old.write_text(
        'CONTRACT = {"permanent": 1, "fixed_term": 2, "apprenticeship": 3, "internship": 4}\n'
    )
    values = {v.value for v in ContractType}
    assert list(_dict_literals_keyed_by(values, old)) == [1]
