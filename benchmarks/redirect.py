"""How much does counting a visit cost? ``/r/<code>`` against a bare Flask redirect.

Starts the application under gunicorn on 127.0.0.1 with the default SQLite database in a
temporary instance folder (PostgreSQL when ``RELAIS_TEST_DATABASE_URL`` is set), creates an
offer and a share link, and loads ``/r/<code>`` with a person's user agent; in the same run it
serves a bare Flask app whose only route answers the same redirect, the same way (same
gunicorn worker class, workers and threads), and loads it identically. The load comes from
wrk when it is installed, else from a small keep-alive load generator in Python (one thread
per connection, raw HTTP/1.1 on a socket).

Prints requests per second, p50 and p99 latency of the tracked endpoint, the ratio
tracked/bare, the requests sent and the visits recorded (they must be equal: no visit lost),
counted once the servers have stopped and any visit journal they left is loaded.
``--json`` prints one JSON object instead.

    python benchmarks/redirect.py [--connections 16] [--duration 10] [--json]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PERSON_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Safari/537.36"
)
BARE_APP = textwrap.dedent(
    '''
    """A bare Flask redirect: the baseline of benchmarks/redirect.py."""
    from flask import Flask, redirect

    app = Flask(__name__)


    @app.route("/r/<code>")
    def follow(code):
        return redirect("/offers/1-chef-de-projet-velo?ref=" + code, 302)
    '''
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare_database(env: dict[str, str]) -> tuple[str, str]:
    """Migrate the database and create an offer with a share link; (code, database URL)."""
    os.environ.update(env)
    from sqlalchemy import text

    from referral.config import load_settings, prepare_instance
    from referral.db import make_engine, session_factory
    from referral.models import Direction, Role, utcnow
    from referral.offers import lifecycle as offers
    from referral.people import users
    from referral.schema import upgrade
    from referral.sharing import links

    settings = prepare_instance(load_settings())
    engine = make_engine(settings.effective_database_url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    with session_factory(engine)() as session, session.begin():
        direction = Direction(name="Direction des mobilités", code="DMOB")
        session.add(direction)
        session.flush()
        manager = users.create_user(
            session,
            email="manager@bench.example",
            first_name="Marie",
            last_name="Manager",
            roles={Role.MANAGER},
            direction_id=direction.id,
        )
        agent = users.create_user(
            session, email="agent@bench.example", first_name="Alex", last_name="Agent"
        )
        offer = offers.create_offer(
            session,
            manager,
            {
                "title": "Chef de projet vélo",
                "direction_id": direction.id,
                "description": "Développer le réseau cyclable régional.",
                "required_skills": "Gestion de projet",
            },
        )
        offers.publish(session, offer, manager, utcnow())
        code = links.get_or_create_link(session, offer, agent, "linkedin", utcnow()).code
    url = settings.effective_database_url
    engine.dispose()
    return code, url


def count_visits(url: str, journals: Path) -> int:
    """The visit rows, once the journals the servers left (if any) are loaded."""
    from sqlalchemy import func, select

    from referral.db import make_engine, session_factory
    from referral.models import Visit
    from referral.sharing import visit_journal

    engine = make_engine(url)
    left = visit_journal.load_orphans(session_factory(engine), journals)
    if left:
        print(
            f"{left} visit(s) loaded from the journals after the servers stopped", file=sys.stderr
        )
    with engine.connect() as conn:
        count = conn.execute(select(func.count(Visit.id))).scalar_one()
    engine.dispose()
    return int(count)


def start_gunicorn(app_spec: str, port: int, env: dict[str, str], args, cwd: Path):
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "--bind",
        f"127.0.0.1:{port}",
        "--worker-class",
        "gthread",
        "--workers",
        str(args.workers),
        "--threads",
        str(args.threads),
        "--keep-alive",
        "30",
        "--log-level",
        "warning",
        app_spec,
    ]
    process = subprocess.Popen(command, cwd=cwd, env={**os.environ, **env}, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            if process.poll() is not None:
                raise SystemExit(
                    f"gunicorn for {app_spec} exited with {process.returncode}"
                ) from None
            time.sleep(0.1)
    stop(process)
    raise SystemExit(f"gunicorn for {app_spec} did not start")


def stop(process) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


# --- load generation --------------------------------------------------------------------


def _read_response(sock: socket.socket, buffer: bytearray) -> tuple[int, bytearray]:
    """Read one HTTP/1.1 response (headers + Content-Length body); (status, rest of buffer)."""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        buffer += chunk
    head, _, rest = bytes(buffer).partition(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    rest = bytearray(rest)
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        rest += chunk
    return status, rest[length:]


def python_load(port: int, path: str, connections: int, duration: float) -> dict:
    """Keep-alive load: one thread per connection, for ``duration`` seconds."""
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: {PERSON_UA}\r\n"
        "Accept: text/html\r\nConnection: keep-alive\r\n\r\n"
    ).encode()
    latencies: list[list[float]] = [[] for _ in range(connections)]
    errors = [0] * connections
    statuses: list[dict[int, int]] = [{} for _ in range(connections)]
    start_gate = threading.Barrier(connections + 1)
    stop_at = [0.0]

    def worker(i: int) -> None:
        sock = socket.create_connection(("127.0.0.1", port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buffer = bytearray()
        start_gate.wait()
        mine = latencies[i]
        while True:
            began = time.perf_counter()
            if began >= stop_at[0]:
                break
            try:
                sock.sendall(request)
                status, buffer = _read_response(sock, buffer)
            except OSError:
                errors[i] += 1
                sock.close()
                sock = socket.create_connection(("127.0.0.1", port))
                buffer = bytearray()
                continue
            mine.append(time.perf_counter() - began)
            statuses[i][status] = statuses[i].get(status, 0) + 1
        sock.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(connections)]
    for t in threads:
        t.start()
    stop_at[0] = time.perf_counter() + duration + 0.05
    began = time.perf_counter()
    start_gate.wait()
    for t in threads:
        t.join(duration + 30)
    elapsed = time.perf_counter() - began
    merged = sorted(x for part in latencies for x in part)
    codes: dict[int, int] = {}
    for part in statuses:
        for code, n in part.items():
            codes[code] = codes.get(code, 0) + n
    return _summary(merged, elapsed, sum(errors), codes)


def _summary(latencies: list[float], elapsed: float, errors: int, codes: dict[int, int]) -> dict:
    n = len(latencies)
    latencies = sorted(latencies)

    def pct(p: float) -> float:
        return latencies[min(n - 1, int(p * n))] * 1000 if n else 0.0

    return {
        "requests": n,
        "rps": n / elapsed if elapsed else 0.0,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "errors": errors,
        "statuses": codes,
        "elapsed": elapsed,
        "latencies": latencies,
    }


def combine(parts: list[dict]) -> dict:
    """One summary of several rounds (latencies merged; wrk rounds: the worst p99)."""
    latencies = [x for p in parts for x in p["latencies"]]
    elapsed = sum(p["elapsed"] for p in parts)
    codes: dict[int, int] = {}
    for p in parts:
        for code, n in p["statuses"].items():
            codes[code] = codes.get(code, 0) + n
    if latencies:
        return _summary(latencies, elapsed, sum(p["errors"] for p in parts), codes)
    requests = sum(p["requests"] for p in parts)
    return {
        "requests": requests,
        "rps": requests / elapsed,
        "p50_ms": sorted(p["p50_ms"] for p in parts)[len(parts) // 2],
        "p99_ms": max(p["p99_ms"] for p in parts),
        "errors": sum(p["errors"] for p in parts),
        "statuses": codes,
    }


def wrk_load(port: int, path: str, connections: int, duration: float) -> dict:
    """Load with wrk (threads = 2), its figures read from a Lua summary.

    wrk stops on its clock with requests in flight, which the server may or may not have
    read: the requests sent would then be unknown. So the script stops *sending* after
    ``duration`` (LuaJIT's FFI reads the clock) and wrk runs a second longer: every request
    sent is answered within the run, and the requests answered are the requests sent.
    """
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    script.write_text(
        textwrap.dedent(
            f"""
            local ffi = require("ffi")
            ffi.cdef[[
              typedef struct {{ long tv_sec; long tv_nsec; }} relais_timespec;
              int clock_gettime(int clock_id, relais_timespec *tp);
            ]]
            local clock = ffi.new("relais_timespec")
            local function now()
              ffi.C.clock_gettime(1, clock)  -- CLOCK_MONOTONIC
              return tonumber(clock.tv_sec) + tonumber(clock.tv_nsec) * 1e-9
            end
            wrk.headers["User-Agent"] = "{PERSON_UA}"
            function init(args)
              stop_at = now() + tonumber(args[1])
              req = wrk.format()
            end
            function request()
              if now() < stop_at then return req end
              return ""  -- time is up: this connection sends nothing more
            end
            done = function(summary, latency, requests)
              io.write(string.format("RELAIS %d %f %f %d\\n", summary.requests,
                latency:percentile(50), latency:percentile(99),
                summary.errors.connect + summary.errors.read + summary.errors.write
                + summary.errors.status + summary.errors.timeout))
            end
            """
        )
    )
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{math.ceil(duration) + 1}s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}{path}",
            "--",
            str(duration),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    script.unlink()
    line = next(x for x in out.splitlines() if x.startswith("RELAIS "))
    requests, p50, p99, errors = line.split()[1:]
    # wrk counts non-2xx/3xx answers as "status" errors.
    return {
        "requests": int(requests),
        "rps": int(requests) / duration,
        "p50_ms": float(p50) / 1000,
        "p99_ms": float(p99) / 1000,
        "errors": int(errors),
        "statuses": {},
        "elapsed": duration,
        "latencies": [],
    }


def load(port: int, path: str, args, duration: float) -> dict:
    if shutil.which("wrk") and not args.python_load:
        return wrk_load(port, path, args.connections, duration)
    return python_load(port, path, args.connections, duration)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=float, default=12.0, help="seconds per endpoint")
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds per endpoint")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before measuring")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="gunicorn workers, both apps (default: 1 on SQLite, the embedded single-process "
        "setup of DESIGN.md; 2 on PostgreSQL)",
    )
    parser.add_argument(
        "--threads", type=int, default=None, help="threads per worker (default: 16 / workers)"
    )
    parser.add_argument("--python-load", action="store_true", help="ignore wrk even if installed")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if args.workers is None:
        args.workers = 2 if os.environ.get("RELAIS_TEST_DATABASE_URL") else 1
    if args.threads is None:
        args.threads = max(1, 16 // args.workers)

    with tempfile.TemporaryDirectory(prefix="relais-bench-") as tmp:
        tmp_path = Path(tmp)
        env = {
            "RELAIS_INSTANCE_PATH": str(tmp_path / "instance"),
            "RELAIS_SECRET_KEY": "benchmark-secret-key",
            "RELAIS_WORKER_ENABLED": "false",
            "RELAIS_BASE_URL": "http://127.0.0.1",
        }
        database = os.environ.get("RELAIS_TEST_DATABASE_URL")
        if database:
            env["RELAIS_DATABASE_URL"] = database
        code, url = prepare_database(env)
        (tmp_path / "bare.py").write_text(BARE_APP)
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(tmp_path)])
        path = f"/r/{code}"

        # Both servers run side by side; rounds alternate between them so that a noisy
        # neighbour on the machine weighs on both measurements alike.
        servers = {}
        try:
            for name, spec in (("bare", "bare:app"), ("tracked", "web:create_app()")):
                port = free_port()
                servers[name] = (port, start_gunicorn(spec, port, env, args, ROOT))
            sent = 0
            for name, (port, _process) in servers.items():
                warm = python_load(port, path, args.connections, args.warmup)
                if name == "tracked":
                    sent += warm["requests"]
            rounds: dict[str, list[dict]] = {"bare": [], "tracked": []}
            for _ in range(args.rounds):
                for name, (port, _process) in servers.items():
                    part = load(port, path, args, args.duration / args.rounds)
                    rounds[name].append(part)
                    if name == "tracked":
                        sent += part["requests"]
        finally:
            for _port, process in servers.values():
                stop(process)
        results = {name: combine(parts) for name, parts in rounds.items()}
        visits = count_visits(url, tmp_path / "instance" / "visits")

    tracked, bare = results["tracked"], results["bare"]
    report = {
        "tracked_rps": round(tracked["rps"], 1),
        "bare_rps": round(bare["rps"], 1),
        "ratio": round(tracked["rps"] / bare["rps"], 3) if bare["rps"] else 0.0,
        "p50_ms": round(tracked["p50_ms"], 2),
        "p99_ms": round(tracked["p99_ms"], 2),
        "requests": sent,
        "visits_recorded": visits,
    }
    if args.json:
        print(json.dumps(report))
        return
    print(f"database          {'PostgreSQL' if database else 'SQLite (WAL)'}")
    print(
        f"load              {args.connections} connections, {args.duration:g} s per endpoint, "
        f"gunicorn gthread {args.workers}×{args.threads}, "
        f"{'wrk' if shutil.which('wrk') and not args.python_load else 'Python load generator'}"
    )
    print(
        f"bare redirect     {bare['rps']:8.1f} req/s  p50 {bare['p50_ms']:.2f} ms  "
        f"p99 {bare['p99_ms']:.2f} ms"
    )
    print(
        f"/r/<code>         {tracked['rps']:8.1f} req/s  p50 {tracked['p50_ms']:.2f} ms  "
        f"p99 {tracked['p99_ms']:.2f} ms  statuses {tracked['statuses']}"
    )
    print(f"ratio             {report['ratio']:.3f}  (target ≥ 0.9)")
    print(f"requests sent     {sent}  (warm-up included)")
    print(f"visits recorded   {visits}  ({'none lost' if visits == sent else 'MISMATCH'})")


if __name__ == "__main__":
    main()
