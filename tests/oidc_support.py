"""A real OpenID provider for the sign-in tests: ``tests/oidc_provider/server.js`` (the
``oidc-provider`` npm package on Node), started once per test session on 127.0.0.1.

Without Node or npm the tests that need it are skipped, with the reason, unless
``RELAIS_REQUIRE_OIDC=1`` (set by .ci/run), which makes that a failure. ``npm ci`` installs
its packages (package-lock.json) the first time. ``RELAIS_TEST_OIDC_PORT`` fixes its port;
otherwise a free one is taken.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests

FOLDER = Path(__file__).parent / "oidc_provider"
REQUIRE = os.environ.get("RELAIS_REQUIRE_OIDC") == "1"
CLIENT_ID, CLIENT_SECRET = "relais", "relais-test-secret"
# Where the test client's app (RELAIS_BASE_URL=http://localhost) comes back; the live servers
# of the browser journeys are on 127.0.0.1 ports the provider accepts as loopback addresses.
REDIRECT_URIS = "http://localhost/login/sso/callback"
LOGOUT_URIS = "http://localhost/"


@dataclass
class OidcProvider:
    issuer: str
    process: subprocess.Popen

    def misbehave(self, mode: str) -> None:
        """Make the next token response misbehave once (see server.js)."""
        response = requests.post(
            f"{self.issuer}/__test/next-token", params={"mode": mode}, timeout=5
        )
        response.raise_for_status()

    def settings(self, **more: str) -> dict[str, str]:
        """The RELAIS_ settings of an app that signs in with this provider."""
        return {
            "RELAIS_OIDC_ISSUER": self.issuer,
            "RELAIS_OIDC_CLIENT_ID": CLIENT_ID,
            "RELAIS_OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "RELAIS_OIDC_LABEL": "Annuaire Test",
            "RELAIS_OIDC_CLAIM_EMPLOYEE_NUMBER": "employee_number",
            "RELAIS_OIDC_CLAIM_DIRECTION": "direction",
            "RELAIS_OIDC_TIMEOUT_S": "3",
            **more,
        }

    def sign_in(self, authorize_url: str, login: str, stop_at: str = "http://localhost/") -> str:
        """Go through the provider's sign-in page as ``login`` (any password) from the
        authorization URL Relais redirected to; returns the URL it sends back to Relais."""
        browser = requests.Session()
        url = authorize_url
        for _ in range(10):
            response = browser.get(url, allow_redirects=False, timeout=10)
            if response.status_code == 200 and 'name="login"' in response.text:
                action = re.search(r'action="([^"]+)"', response.text).group(1)
                response = browser.post(
                    urljoin(url, action),
                    data={"prompt": "login", "login": login, "password": "any"},
                    allow_redirects=False,
                    timeout=10,
                )
            if response.status_code not in (302, 303):
                raise AssertionError(f"provider answered {response.status_code}: {response.text}")
            url = urljoin(url, response.headers["Location"])
            if url.startswith(stop_at):
                return url
        raise AssertionError("the provider never sent the browser back")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _unavailable(reason: str):
    if REQUIRE:
        pytest.fail(f"RELAIS_REQUIRE_OIDC=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def oidc_provider():
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        _unavailable("no node/npm to run the test OpenID provider (apt-get install nodejs npm)")
    if not (FOLDER / "node_modules" / "oidc-provider").is_dir():
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=FOLDER,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if done.returncode:
            _unavailable(f"npm ci failed in {FOLDER}: {done.stderr[-500:]}")
    port = int(os.environ.get("RELAIS_TEST_OIDC_PORT") or _free_port())
    issuer = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "OIDC_PORT": str(port),
        "OIDC_CLIENT_ID": CLIENT_ID,
        "OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "RELAIS_REDIRECT_URIS": REDIRECT_URIS,
        "RELAIS_LOGOUT_URIS": LOGOUT_URIS,
    }
    log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [node, "server.js"], cwd=FOLDER, env=env, stdout=log, stderr=subprocess.STDOUT, text=True
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                answer = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=2)
                if answer.ok and answer.json().get("issuer") == issuer:
                    break
            except requests.RequestException:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                log.seek(0)
                pytest.fail(f"the test OpenID provider did not start: {log.read()[-2000:]}")
            time.sleep(0.2)
        yield OidcProvider(issuer=issuer, process=process)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        log.close()


def path_of(url: str) -> str:
    """``/path?query`` of an absolute URL (what the Flask test client asks for)."""
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")
