"""Time to queue 1,800 invitations (the staff import's "invite" box) in the request.

Before: the request wrote every e-mail itself (``invitations.invite_by_email``: a reset token
and a rendered e-mail per account, flushed 200 at a time). After: the request records a batch
and marks the accounts (``invitations.queue_by_email``: one INSERT and a few UPDATEs); the
worker writes the e-mails later, a transaction per 200 (its time is measured too, as
``worker_s``: it is not spent in the request). Prints the figures, and JSON with ``--json``.
Uses a fresh SQLite file (or RELAIS_BENCH_DATABASE_URL).

    python benchmarks/queue_invitations.py [--count 1800] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker

from referral.config import Settings
from referral.models import Base, User
from referral.people import invitations
from referral.worker import send_invitations

RESET_PAGE = "http://x/password/reset/"


def _accounts(session: Session, count: int, prefix: str) -> list[str]:
    emails = [f"{prefix}{n}@region.example" for n in range(count)]
    session.add_all(User(email=e, first_name="Agent", last_name="Test") for e in emails)
    session.commit()
    return emails


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1800)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("RELAIS_BENCH_DATABASE_URL", f"sqlite:///{tmp}/bench.db")
        engine = create_engine(url)
        Base.metadata.drop_all(engine)
        Base.metadata.create_all(engine)
        factory = sessionmaker(engine)
        with factory() as session:
            emails = _accounts(session, args.count, "before")
            start = time.perf_counter()
            written = invitations.invite_by_email(
                session, emails, link_for=lambda t: RESET_PAGE + t, actor=None
            )
            session.commit()
            before = time.perf_counter() - start

            emails = _accounts(session, args.count, "after")
            start = time.perf_counter()
            batch = invitations.queue_by_email(
                session, emails, set_password_url=RESET_PAGE, sign_in_url=None, actor=None
            )
            session.commit()
            after = time.perf_counter() - start
            queued = batch.total

        start = time.perf_counter()
        sent = 0
        while True:
            step = send_invitations(factory, Settings(), invitations.utcnow(), max_batches=1000)
            sent += step
            if not step:
                break
        worker = time.perf_counter() - start
        engine.dispose()
    result = {
        "count": queued,
        "request_before_s": round(before, 3),
        "request_after_s": round(after, 3),
        "speedup": round(before / after, 1) if after else None,
        "worker_s": round(worker, 3),
        "worker_written": sent,
        "before_written": written,
        "batch_size": invitations.BATCH_SIZE,
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"{queued} invitations queued in the request in {after:.3f} s "
            f"(before: {before:.2f} s writing every e-mail, x{result['speedup']}); "
            f"the worker then wrote {sent} e-mails in {worker:.2f} s, "
            f"{invitations.BATCH_SIZE} per transaction"
        )


if __name__ == "__main__":
    main()
