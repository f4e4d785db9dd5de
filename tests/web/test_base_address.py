"""The base address of links, QR codes and e-mails: derived from the serving address unless
``RELAIS_BASE_URL`` is set, with a warning when a set one does not match a request's host."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from web import base_address, create_app

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_relais_run_links_to_the_port_it_serves_on(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELAIS_")}
    env.update(
        RELAIS_INSTANCE_PATH=str(tmp_path / "instance"),
        RELAIS_SECRET_KEY="x" * 32,
        RELAIS_WORKER_ENABLED="false",
        PYTHONPATH=str(ROOT),
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "web.cli", "run", "--port", str(port), "--no-worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            lines.append(line)
            if "point to" in line or not line:
                break
        assert f"Links, QR codes and e-mails point to http://127.0.0.1:{port}/" in "".join(lines)
    finally:
        process.terminate()
        process.wait(10)


def test_an_unset_base_address_follows_the_serving_address(app_config, make_offer):
    del app_config["RELAIS_BASE_URL"]
    app = create_app(app_config)
    try:
        base_address.serve_at(app, "127.0.0.1", 5088)
        assert app.extensions["relais"].settings.base_url == "http://127.0.0.1:5088"
        offer = make_offer()
        page = (
            app.test_client()
            .get(f"/offers/{offer.id}", follow_redirects=True)
            .get_data(as_text=True)
        )
        assert f'content="http://127.0.0.1:5088/offers/{offer.id}' in page
    finally:
        app.extensions["relais"].engine.dispose()


def test_a_set_base_address_is_kept_and_a_mismatch_is_logged(app, client, caplog):
    base_address.serve_at(app, "127.0.0.1", 5088)
    assert app.extensions["relais"].settings.base_url == "http://localhost"
    with caplog.at_level(logging.WARNING):
        client.get("/", base_url="http://localhost")
        assert "RELAIS_BASE_URL" not in caplog.text
        client.get("/", base_url="http://relais.example:5088")
    assert "RELAIS_BASE_URL is http://localhost but a request came to relais.example:5088" in (
        caplog.text
    )


def test_a_wildcard_address_is_reached_through_the_machine_name():
    assert base_address.serving_url("0.0.0.0", 80)  # noqa: S104 == f"http://{socket.getfqdn()}:80"
    assert base_address.serving_url("::1", 8000) == "http://[::1]:8000"
