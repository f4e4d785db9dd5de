"""The address that share links, QR codes, e-mails and JobPostings point to.

``RELAIS_BASE_URL`` when it is set; otherwise the address the embedded server listens on
(``relais demo --port 5088`` links to port 5088, not to the default 5000). When a set address
does not match the host a request came to, the log says so once per host: links would lead
elsewhere.
"""

from __future__ import annotations

import socket
from dataclasses import replace
from urllib.parse import urlsplit

from flask import Flask, current_app, request

# Hosts come from requests: remember a bounded number of them.
MAX_HOSTS_WARNED = 20
WILDCARDS = {"0.0.0.0", "::", ""}  # noqa: S104 - the addresses that mean "every interface"


def serving_url(host: str, port: int) -> str:
    """The URL a person reaches a server listening on ``host``:``port`` at (a wildcard address
    is reached through the machine's name)."""
    if host in WILDCARDS:
        host = socket.getfqdn()
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def serve_at(app: Flask, host: str, port: int) -> None:
    """Before serving: derive the base address from ``host``:``port`` unless it is set."""
    state = app.extensions["relais"]
    if state.base_url_set:
        return
    state.settings = replace(state.settings, base_url=serving_url(host, port))
    app.config["PREFERRED_URL_SCHEME"] = "http"


def init_app(app: Flask) -> None:
    warned: set[str] = set()

    @app.before_request
    def warn_on_other_host() -> None:
        host = request.host
        if host in warned or len(warned) >= MAX_HOSTS_WARNED:
            return
        warned.add(host)
        base = current_app.extensions["relais"].settings.base_url
        expected = urlsplit(base).netloc
        if (
            current_app.extensions["relais"].base_url_set
            and expected
            and host.lower() != expected.lower()
        ):
            current_app.logger.warning(
                "RELAIS_BASE_URL is %s but a request came to %s: share links, QR codes and "
                "e-mails point to %s, not to this server.",
                base,
                host,
                base,
            )
