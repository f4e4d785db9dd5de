"""Every link the domain builds leads to a page of the app, and the domain spells none itself."""

import ast
import inspect
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from referral.unit_of_work import Urls
from web.unit_of_work import FlaskUrls

BASE = "https://relais.example"
REFERRAL = Path(__file__).resolve().parents[2] / "referral"


def _resolves(app, path: str) -> bool:
    adapter = app.url_map.bind("relais.example")
    for method in ("GET", "POST"):
        try:
            adapter.match(path, method=method)
        except RequestRedirect:
            return True  # /agent -> /agent/: a page all the same
        except (NotFound, MethodNotAllowed):
            continue
        return True
    return False


def _methods():
    return [
        name
        for name, member in inspect.getmembers(Urls, inspect.isfunction)
        if not name.startswith("_")
    ]


def test_the_web_implements_every_url_of_the_interface():
    assert _methods()
    assert all(callable(getattr(FlaskUrls, name, None)) for name in _methods())


@pytest.mark.parametrize("name", _methods())
def test_each_url_the_domain_asks_for_resolves(app, name):
    # Built without a request, as the worker and the CLI build them.
    urls = FlaskUrls(BASE + "/", app)
    method = getattr(urls, name)
    args = ["1"] * (len(inspect.signature(method).parameters))
    url = method(*args)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == BASE
    assert _resolves(app, parts.path), url


def test_the_app_builds_its_links_under_the_configured_address(app):
    urls = FlaskUrls("https://intranet.example/relais/", app)
    assert urls.status("abc") == "https://intranet.example/relais/status/abc"
    assert urls.notification_settings().endswith("/relais/account/#notifications")
    assert (
        urls.invitation_apply(7, "tok")
        == "https://intranet.example/relais/offers/7/apply?invite=tok"
    )


def _literals(source: str):
    """The string literals of a module, an f-string with its placeholders filled with "1"."""
    tree = ast.parse(source)
    inside_fstring = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = ""
            for part in node.values:
                inside_fstring.add(id(part))
                if isinstance(part, ast.Constant):
                    text += str(part.value)
                else:
                    text += "1"
            yield node.lineno, text
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in inside_fstring
        ):
            yield node.lineno, node.value


PATH_IN_TEXT = re.compile(r"""(?:^|["'\s=(])(/[a-z][\w\-./<>{}]*)""")


def _paths_spelt(text: str):
    for match in PATH_IN_TEXT.finditer(text):
        yield match.group(1).split("{")[0].split("<")[0] or "/"


def test_the_domain_spells_no_address_of_the_app(app):
    """A path of the app written in referral/ (code or e-mail template) goes stale the day the
    route moves: it must come from ``Urls``."""
    spelt = []
    for module in sorted(REFERRAL.rglob("*.py")):
        if "migrations" in module.parts:
            continue
        for line, text in _literals(module.read_text(encoding="utf-8")):
            if (
                text.startswith("/")
                and len(text) > 1
                and _resolves(app, text.split("?")[0].split("#")[0])
            ):
                spelt.append(f"{module.relative_to(REFERRAL)}:{line}: {text!r}")
    for template in sorted((REFERRAL / "mail").iterdir()):
        for number, row in enumerate(template.read_text(encoding="utf-8").splitlines(), 1):
            for path in _paths_spelt(row):
                if len(path) > 1 and _resolves(app, path):
                    spelt.append(f"mail/{template.name}:{number}: {path!r}")
    assert spelt == []


def test_the_scan_finds_an_address_when_there_is_one(app):
    found = [text for _, text in _literals('x = f"/recruiter/offers/{offer.id}/shortlist"')]
    assert found == ["/recruiter/offers/1/shortlist"] and _resolves(app, found[0])
    assert list(_paths_spelt('<a href="/inbox/">')) == ["/inbox/"]


def test_an_unknown_path_does_not_resolve(app):
    assert not _resolves(app, "/agent/no-such-page")
