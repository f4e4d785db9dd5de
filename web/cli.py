"""The ``relais`` command line: demo, run, db upgrade, seed, users, config, and the rest.

Every command builds the app itself, so that a bad configuration stops it with one clear line
naming the variable (never a traceback).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path

import click
from sqlalchemy.orm import Session

from referral.config import ConfigError
from referral.errors import DomainError


def _fail(message: str, code: int = 2) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


def handle_errors(command: Callable) -> Callable:
    """Turn configuration and domain errors into one line on stderr and a non-zero exit."""

    @wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except ConfigError as exc:
            _fail(str(exc))
        except DomainError as exc:
            _fail(str(exc), 1)

    return wrapper


def make_app(check_db: bool = True):
    """The app for a command; with ``check_db`` the database must answer."""
    from referral.db import check_connection
    from web import create_app

    app = create_app()
    if check_db:
        check_connection(app.extensions["relais"].engine)
    return app


def session_of(app) -> Session:
    return app.extensions["relais"].sessions()


@click.group()
@click.version_option(package_name="relais")
def main() -> None:
    """Relais: employee-referral recruitment engine."""


@main.command("config")
@handle_errors
def show_config() -> None:
    """Print the effective configuration (secrets masked)."""
    from referral.config import load_settings, prepare_instance

    settings = prepare_instance(load_settings())
    for name, value in settings.masked().items():
        click.echo(f"{name}={value}")
    from referral.offers.semantic import embedding_status

    click.echo(f"# matching by meaning: {embedding_status(settings).describe()}")


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@handle_errors
def db_upgrade(revision: str) -> None:
    """Apply the migrations."""
    from referral.schema import current_revision, upgrade

    app = make_app()
    engine = app.extensions["relais"].engine
    upgrade(engine, revision)
    click.echo(f"Database at revision {current_revision(engine)}.")


@main.group()
def i18n() -> None:
    """Message catalogues."""


@i18n.command("compile")
def i18n_compile() -> None:
    """Compile the .po catalogues to .mo (the install step does it too)."""
    from referral.i18n import compile_catalogues

    for path in compile_catalogues(force=True):
        click.echo(f"compiled {path}")


@i18n.command("update")
def i18n_update() -> None:
    """Extract the translatable strings and merge them into every catalogue (for developers)."""
    import subprocess
    from pathlib import Path

    from referral.i18n import TRANSLATIONS

    root = Path(__file__).resolve().parents[1]
    pot = root / "build" / "messages.pot"
    pot.parent.mkdir(exist_ok=True)
    pybabel = Path(sys.executable).with_name("pybabel")
    keywords = ["-k", "_l", "-k", "lazy_gettext", "-k", "ngettext:1,2"]
    subprocess.run(
        [str(pybabel), "extract", "-F", str(root / "babel.cfg"), *keywords, "--no-location"]
        + ["--sort-output", "--omit-header", "-o", str(pot), str(root)],
        check=True,
    )
    subprocess.run(
        [str(pybabel), "update", "-i", str(pot), "-d", str(TRANSLATIONS), "--no-fuzzy-matching"]
        + ["--ignore-obsolete"],
        check=True,
    )


@main.group()
def users() -> None:
    """Staff accounts."""


@users.command("create")
@click.option("--email", required=True)
@click.option("--first-name", required=True)
@click.option("--last-name", required=True)
@click.option(
    "--role", "roles", multiple=True, type=click.Choice(["admin", "recruiter", "manager"])
)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@handle_errors
def users_create(email, first_name, last_name, roles, password) -> None:
    """Create a staff account (every account is an agent; add other roles with --role)."""
    from referral.people import users as user_service

    app = make_app()
    with session_of(app) as session, session.begin():
        user = user_service.create_user(
            session,
            email=email,
            first_name=first_name,
            last_name=last_name,
            password=password,
            roles=set(roles),
        )
        click.echo(f"Created {user.email} ({', '.join(sorted(user.roles))}).")


@main.command("import-staff")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and print what would change.")
@click.option("--invite", is_flag=True, help="E-mail each new account an invitation.")
@handle_errors
def import_staff(file: Path, dry_run: bool, invite: bool) -> None:
    """Create or update staff accounts from a CSV export of the HR directory.

    Columns: employee_number;email;first_name;last_name;job_title;direction_code;roles
    (see README.md). All or nothing: any bad line is reported and nothing is imported.
    """
    from referral.people import staff_import

    app = make_app()
    with session_of(app) as session:
        try:
            report = staff_import.import_staff(
                session, file.read_bytes(), actor=None, dry_run=dry_run
            )
        except staff_import.StaffImportError as exc:
            session.rollback()
            for problem in exc.problems:
                click.echo(f"{file.name}: {problem}", err=True)
            _fail(f"nothing imported from {file.name} ({len(exc.problems)} problems).", 1)
            return
        invited = 0
        if dry_run:
            session.rollback()
        else:
            if invite and report.created:
                invited = _invite(app, session, report.created)
            session.commit()
    for change in report.changes:
        click.echo(change.describe())
    if report.roles_removed:
        verb = "would lose" if dry_run else "lost"
        click.echo(f"Warning: {len(report.roles_removed)} account(s) {verb} roles.", err=True)
    click.echo(report.summary())
    if invited:
        click.echo(f"{invited} invitation(s) queued in the outbox.")


def _invite(app, session, emails: list[str]) -> int:
    """Queue an invitation to each account of ``emails``; links point to RELAIS_BASE_URL."""
    from flask import url_for

    from referral.people import invitations

    config = app.extensions["relais"].settings
    with app.test_request_context():
        return invitations.invite_by_email(
            session,
            emails,
            link_for=lambda token: (
                config.base_url.rstrip("/") + url_for("auth.reset_password", token=token)
            ),
            actor=None,
            default_locale=config.default_locale,
        )


@main.group()
def offers() -> None:
    """Job offers."""


@offers.command("close-expired")
@handle_errors
def offers_close_expired() -> None:
    """Close every published offer whose closing date has passed (run it daily)."""
    from referral.models import utcnow
    from referral.offers import lifecycle as offer_service

    app = make_app()
    with session_of(app) as session, session.begin():
        closed = offer_service.close_expired(session, utcnow())
    click.echo(f"Closed {closed} expired offer(s).")


@main.group()
def candidates() -> None:
    """Candidates' personal data."""


@candidates.command("purge")
@click.option("--dry-run", is_flag=True, help="Only count the candidates that would be erased.")
@handle_errors
def candidates_purge(dry_run: bool) -> None:
    """Erase the candidates whose retention period is over (the worker does it daily)."""
    from referral.models import utcnow
    from referral.privacy import erasure as privacy

    app = make_app()
    settings = app.extensions["relais"].settings
    now = utcnow()
    with session_of(app) as session, session.begin():
        if dry_run:
            click.echo(f"{len(privacy.expired(session, now))} candidate(s) would be erased.")
            return
        erasure = privacy.purge_expired(session, settings, now)
    erasure.complete(settings)
    click.echo(f"Erased the personal data of {erasure.candidates} candidate(s).")
    if erasure.candidates:
        from referral.offers import scoring

        click.echo("Building the matching index again without their CVs…")
        from referral.db import write_late

        with session_of(app) as session:
            write_late(session)  # reads only: the web keeps writing meanwhile
            scoring.rebuild_if_requested(session, settings)


@main.command("reindex")
@handle_errors
def reindex() -> None:
    """Refit the matching index on every offer and CV, and rescore every application."""
    from referral.offers import scoring

    app = make_app()
    state = app.extensions["relais"]
    bar = click.progressbar(length=100, label="Reading offers and CVs")
    last = [0]

    def progress(done: int, total: int) -> None:
        step = int(100 * done / max(total, 1))
        bar.update(step - last[0])
        last[0] = step

    with session_of(app) as session, session.begin(), bar:
        cvs, scored = scoring.reindex(session, state.settings, progress)
    click.echo(f"Indexed {cvs} CV(s); rescored {scored} application(s).")
    _embed_missing(app)


def _embed_missing(app) -> None:
    """Embed the CVs and offers that have no vectors under the current model, committed in
    batches (an interruption keeps them: run it again to go on), then rescore."""
    from referral.offers import scoring, semantic

    settings = app.extensions["relais"].settings
    status = semantic.embedding_status(settings)
    if not status.semantic:
        click.echo(f"Matching by meaning is off: {status.reason}.")
        return
    with session_of(app) as session:
        cvs, _offers = semantic.missing_counts(session, settings)
    embedded: list[int] = []
    offer_ids: list[int] = []
    with click.progressbar(length=cvs, label=f"Embedding CVs ({status.describe()})") as bar:
        while True:
            with session_of(app) as session, session.begin():
                ids, new_offers = semantic.embed_missing(session, settings, limit=semantic.BATCH)
            embedded += ids
            offer_ids += new_offers
            bar.update(len(ids))
            if not ids:
                break
    with session_of(app) as session, session.begin():
        scored = scoring.rescore_embedded(session, settings, embedded, offer_ids)
    click.echo(
        f"Embedded {len(embedded)} CV(s) and {len(offer_ids)} offer(s); "
        f"rescored {scored} application(s)."
    )


def _serve(app, host: str, port: int, worker: bool) -> None:
    from werkzeug.serving import run_simple

    from web import base_address, worker_thread

    base_address.serve_at(app, host, port)
    thread = worker_thread.start(app) if worker else None
    if thread is not None:
        click.echo("Notifications are delivered by a thread of this process (--no-worker: off).")
    click.echo(f"Relais is serving on {base_address.serving_url(host, port)}/ (Ctrl+C to stop)")
    click.echo(
        f"Links, QR codes and e-mails point to {app.extensions['relais'].settings.base_url}/"
    )
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        if thread is not None:
            thread.stop()


@main.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-worker", is_flag=True, help="Do not deliver notifications in this process.")
@handle_errors
def run(host: str, port: int, no_worker: bool) -> None:
    """Serve the application (without seeding)."""
    from referral.schema import upgrade

    app = make_app()
    upgrade(app.extensions["relais"].engine)
    _serve(app, host, port, not no_worker)


@main.command("seed")
@handle_errors
def seed() -> None:
    """Load the demo data (idempotent: a second run changes nothing)."""
    from referral.schema import upgrade
    from seeds import load

    app = make_app()
    upgrade(app.extensions["relais"].engine)
    report = load(app.extensions["relais"].sessions, app.extensions["relais"].settings)
    click.echo(report.summary())


@main.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-worker", is_flag=True, help="Do not deliver notifications in this process.")
@handle_errors
def demo(host: str, port: int, no_worker: bool) -> None:
    """Create the database, seed it when empty, print a sign-in per role, and serve."""
    from referral.schema import upgrade
    from seeds import DEMO_PASSWORD, demo_accounts, load
    from web import base_address

    app = make_app()
    state = app.extensions["relais"]
    upgrade(state.engine)
    report = load(state.sessions, state.settings, only_if_empty=True)
    click.echo(report.summary())
    base = base_address.serving_url(host, port)
    click.echo(f"\nSign in at {base}/login with password {DEMO_PASSWORD!r} as:")
    for role, email in demo_accounts():
        click.echo(f"  {role:<10} {email}")
    click.echo("")
    _serve(app, host, port, not no_worker)


@main.command("worker")
@click.option(
    "--once", is_flag=True, help="Run one round (daily jobs when due, deliveries) and stop."
)
@handle_errors
def worker_command(once: bool) -> None:
    """Deliver notifications: a loop of its own, stopped cleanly by SIGTERM or Ctrl+C."""
    import logging
    import signal
    import threading

    from referral import worker

    app = make_app()
    state = app.extensions["relais"]
    if once:
        report = worker.run_once(state.sessions, state.settings)
        click.echo(f"sent {report.sent}, to retry {report.retrying}, failed {report.failed}")
        return
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    stop = threading.Event()

    def request_stop(signum, _frame) -> None:
        click.echo(f"{signal.Signals(signum).name}: finishing the current round, then stopping.")
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    click.echo(
        f"Relais worker: every {state.settings.worker_interval_s:g} s, "
        f"digest at {state.settings.digest_hour}:00 {state.settings.timezone}, "
        f"mail back-end {state.settings.mail_backend}."
    )
    worker.run_forever(state.sessions, state.settings, stop)


@main.group("visits")
def visits() -> None:
    """Share link visits."""


@visits.command("load")
@handle_errors
def visits_load() -> None:
    """Load the visit journals of stopped or crashed web processes into the database."""
    from referral.sharing import visit_journal

    app = make_app()
    state = app.extensions["relais"]
    count = visit_journal.load_orphans(state.sessions, state.settings.instance_path / "visits")
    click.echo(f"Loaded {count} visit(s).")


@main.command("digest")
@handle_errors
def digest_command() -> None:
    """Gather the notifications held for a digest and send the digests now."""
    from referral import worker
    from referral.models import utcnow
    from referral.notifications import digests

    app = make_app()
    state = app.extensions["relais"]
    now = utcnow()
    with state.sessions() as session, session.begin():
        count = len(
            digests.send_digests(session, now, state.settings.base_url, state.settings.timezone)
        )
    sent = retrying = 0
    while True:
        report = worker.deliver_due(state.sessions, state.settings, now)
        if not report.claimed:
            break
        sent, retrying = sent + report.sent, retrying + report.retrying + report.failed
    click.echo(f"{count} digests queued; sent {sent}, to retry {retrying}.")


if __name__ == "__main__":
    main()
