"""Do applications sent at the same moment all arrive, once each? 20 applicants against 2 workers.

Starts the application under gunicorn (2 workers, gthread) on 127.0.0.1, with the default
SQLite database in a temporary instance folder, or PostgreSQL when
``RELAIS_TEST_DATABASE_URL`` is set; the offer and its share link are made as in
``benchmarks/redirect.py``. Each applicant is a person at their own address (the server trusts
one proxy, and each sends its own ``X-Forwarded-For``) who opens the form (a GET: the CSRF
token and the form's nonce) and sends it with a PDF CV.

- baseline: the applicants send one after another (nobody waits for anybody);
- concurrent: they all send at the same moment, each form twice at once (a double click),
  so 2 x applicants requests in flight.

Prints, for both phases, the p50 and p99 latency of the sends, and the ratio concurrent p99
/ baseline p50; then the errors (any answer but the redirect to the receipt page) and the
duplicates (applications, candidates or CV files beyond one per person), both of which must
be 0. ``--json`` prints one JSON object instead.

    python benchmarks/concurrent_apply.py [--applicants 20] [--workers 2] [--json]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from redirect import free_port, prepare_database, start_gunicorn, stop  # noqa: E402

CSRF = re.compile(rb'name="csrf_token" type="hidden" value="([^"]+)"')
NONCE = re.compile(rb'name="nonce" type="hidden" value="([^"]*)"')
BOUNDARY = "relais-benchmark-boundary"


def cv_pdf(name: str) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.multi_cell(0, 8, f"{name}\nChef de projet, gestion de projet, mobilités, vélo")
    return bytes(pdf.output())


def multipart(fields: dict[str, str], cv: bytes) -> bytes:
    parts = []
    for key, value in fields.items():
        parts.append(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'
        )
    head = "".join(parts).encode()
    file_part = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="cv"; filename="cv.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    return head + file_part + cv + f"\r\n--{BOUNDARY}--\r\n".encode()


class Applicant:
    """One person: their address, their form (opened once), their CV."""

    def __init__(self, port: int, offer_path: str, n: int, phase: str):
        self.port, self.offer_path = port, offer_path
        self.address = f"10.{1 if phase == 'baseline' else 2}.{n // 250}.{n % 250 + 1}"
        self.email = f"{phase}-{n}@bench.example"
        self.name = f"Personne {phase} {n}"

    def _request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        all_headers = {"X-Forwarded-For": self.address, **(headers or {})}
        conn.request(method, path, body=body, headers=all_headers)
        response = conn.getresponse()
        data = response.read()
        conn.close()
        return response, data

    def open_form(self) -> None:
        response, page = self._request("GET", self.offer_path)
        self.cookie = "; ".join(
            c.split(";", 1)[0] for c in response.msg.get_all("Set-Cookie") or []
        )
        self.body = multipart(
            {
                "csrf_token": CSRF.search(page).group(1).decode(),
                "nonce": NONCE.search(page).group(1).decode(),
                "first_name": "Personne",
                "last_name": self.name.split(" ", 1)[1],
                "email": self.email,
                "phone": "06 12 34 56 78",
                "city": "Lyon",
                "message": "",
                "consent": "y",
                "website": "",
            },
            cv_pdf(self.name),
        )

    def send(self) -> tuple[int, float]:
        began = time.perf_counter()
        response, _ = self._request(
            "POST",
            self.offer_path,
            body=self.body,
            headers={
                "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
                "Cookie": self.cookie,
            },
        )
        ok = response.status == 302 and "/apply/done" in (response.getheader("Location") or "")
        return (response.status if not ok else 302), time.perf_counter() - began


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p * len(values)))] * 1000 if values else 0.0


def run_phase(applicants: list[Applicant], concurrent: bool) -> tuple[list[float], list[int]]:
    latencies: list[float] = []
    codes: list[int] = []
    lock = threading.Lock()
    for a in applicants:
        a.open_form()
    if not concurrent:
        for a in applicants:
            code, seconds = a.send()
            latencies.append(seconds)
            codes.append(code)
        return latencies, codes
    sends = [a for a in applicants for _ in range(2)]  # each form sent twice at once
    gate = threading.Barrier(len(sends))

    def go(a: Applicant) -> None:
        gate.wait()
        try:
            code, seconds = a.send()
        except OSError:
            code, seconds = 0, 0.0
        with lock:
            latencies.append(seconds)
            codes.append(code)

    threads = [threading.Thread(target=go, args=(a,)) for a in sends]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    return latencies, codes


def count_rows(url: str) -> dict[str, int]:
    from sqlalchemy import func, select

    from referral.db import make_engine
    from referral.models import Application, Candidate, CVFile

    engine = make_engine(url)
    with engine.connect() as conn:
        counts = {
            name: conn.execute(select(func.count()).select_from(model)).scalar_one()
            for name, model in (
                ("applications", Application),
                ("candidates", Candidate),
                ("cv_files", CVFile),
            )
        }
    engine.dispose()
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--applicants", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="relais-bench-") as tmp:
        env = {
            "RELAIS_INSTANCE_PATH": str(Path(tmp) / "instance"),
            "RELAIS_SECRET_KEY": "benchmark-secret-key",
            "RELAIS_WORKER_ENABLED": "false",
            "RELAIS_BASE_URL": "http://127.0.0.1",
            "RELAIS_PROXIES": "1",  # each applicant's own address, from X-Forwarded-For
        }
        database = os.environ.get("RELAIS_TEST_DATABASE_URL")
        if database:
            env["RELAIS_DATABASE_URL"] = database
        code, url = prepare_database(env)
        env["PYTHONPATH"] = str(ROOT)
        port = free_port()
        server = start_gunicorn("web:create_app()", port, env, args, ROOT)
        offer_path = None
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", f"/r/{code}", headers={"User-Agent": "Mozilla/5.0 Firefox/128"})
            target = conn.getresponse().getheader("Location") or ""
            conn.close()
            offer_id = re.search(r"/offers/(\d+)", target).group(1)
            offer_path = f"/offers/{offer_id}/apply?ref={code}"
            n = args.applicants
            base_lat, base_codes = run_phase(
                [Applicant(port, offer_path, i, "baseline") for i in range(n)], concurrent=False
            )
            conc_lat, conc_codes = run_phase(
                [Applicant(port, offer_path, i, "concurrent") for i in range(n)], concurrent=True
            )
        finally:
            stop(server)
        rows = count_rows(url)

    people = 2 * args.applicants
    result = {
        "database": "postgresql" if database else "sqlite",
        "workers": args.workers,
        "applicants": args.applicants,
        "baseline_p50_ms": percentile(base_lat, 0.50),
        "baseline_p99_ms": percentile(base_lat, 0.99),
        "concurrent_p50_ms": percentile(conc_lat, 0.50),
        "concurrent_p99_ms": percentile(conc_lat, 0.99),
        "errors": sum(1 for c in base_codes + conc_codes if c != 302),
        "statuses": {
            str(c): (base_codes + conc_codes).count(c) for c in set(base_codes + conc_codes)
        },
        "duplicates": sum(max(0, rows[k] - people) for k in rows),
        "rows": rows,
    }
    result["ratio_concurrent_p99_to_baseline_p50"] = (
        result["concurrent_p99_ms"] / result["baseline_p50_ms"] if result["baseline_p50_ms"] else 0
    )
    missing = people - rows["applications"]
    result["missing"] = max(0, missing)
    if args.json:
        print(json.dumps(result))
        return
    print(f"{args.applicants} applicants, {args.workers} gunicorn workers, {result['database']}")
    print(
        f"one after another : p50 {result['baseline_p50_ms']:.0f} ms, "
        f"p99 {result['baseline_p99_ms']:.0f} ms"
    )
    print(
        f"all at once (x2)  : p50 {result['concurrent_p50_ms']:.0f} ms, "
        f"p99 {result['concurrent_p99_ms']:.0f} ms "
        f"({result['ratio_concurrent_p99_to_baseline_p50']:.1f}x the baseline p50)"
    )
    print(
        f"errors {result['errors']}, duplicates {result['duplicates']}, "
        f"missing {result['missing']} (rows: {rows})"
    )


if __name__ == "__main__":
    main()
