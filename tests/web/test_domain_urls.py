"""Every link the domain builds leads to a page of the app."""

import inspect
from urllib.parse import urlsplit

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound

from referral.applications import pipeline
from referral.unit_of_work import Urls
from web.unit_of_work import FlaskUrls

BASE = "https://relais.example"

# The addresses the domain still spells itself (to move behind ``Urls``), with an example id.
SPELT_IN_THE_DOMAIN = [
    "/agent/",
    "/agent/referrals",
    pipeline.MY_REFERRALS_PATH,
    "/manager/",
    "/recruiter/offers/1/shortlist",
    "/inbox/",
    "/account/",
]


def _resolves(app, path: str) -> bool:
    adapter = app.url_map.bind("relais.example")
    try:
        adapter.match(path, method="GET")
    except (NotFound, MethodNotAllowed):
        return False
    return True


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
    urls = FlaskUrls(BASE + "/")
    method = getattr(urls, name)
    args = [1] * (len(inspect.signature(method).parameters))
    with app.test_request_context():
        url = method(*args)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == BASE
    assert _resolves(app, parts.path), url


@pytest.mark.parametrize("path", SPELT_IN_THE_DOMAIN)
def test_each_path_still_spelt_in_the_domain_resolves(app, path):
    assert _resolves(app, path), path


def test_an_unknown_path_does_not_resolve(app):
    assert not _resolves(app, "/agent/no-such-page")
