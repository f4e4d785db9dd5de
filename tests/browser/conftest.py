"""Real-browser journeys: Playwright driving Debian's Chromium against a live server.

The app runs in a thread on 127.0.0.1 with the test database. Without a browser the tests are
skipped, unless ``RELAIS_REQUIRE_BROWSER=1`` (set by .ci/run), which makes that a failure.
"""

from __future__ import annotations

import os
import shutil
import threading

import pytest

CHROMIUM = os.environ.get("RELAIS_CHROMIUM", "/usr/bin/chromium")
REQUIRE = os.environ.get("RELAIS_REQUIRE_BROWSER") == "1"
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    missing = None
    if not (shutil.which(CHROMIUM) or os.path.exists(CHROMIUM)):
        missing = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing = "playwright is not installed (pip install -e '.[dev]')"
    if missing:
        if REQUIRE:
            pytest.fail(f"RELAIS_REQUIRE_BROWSER=1 but {missing}")
        pytest.skip(missing)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def live_server(app):
    """The test app served on a free port of 127.0.0.1, for the duration of one test."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config["LIVE_URL"] = f"http://127.0.0.1:{server.server_port}"
    yield app.config["LIVE_URL"]
    server.shutdown()
    thread.join(5)


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
