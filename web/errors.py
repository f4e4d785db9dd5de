"""Error pages in the layout (403, 404, 413, 429, 500), and the one translator of the
domain's refusals (:func:`refusal_text`, :func:`field_errors`): every ``DomainError`` carries
its English template, parameters and field, and is put in the reader's language here."""

from __future__ import annotations

from enum import StrEnum

from flask import Flask, render_template
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from referral import labels
from referral.errors import DomainError, Forbidden, NotFound

TITLES = {
    400: _l("Bad request"),
    403: _l("Access denied"),
    404: _l("Page not found"),
    405: _l("Method not allowed"),
    413: _l("File too large"),
    429: _l("Too many requests"),
    500: _l("Something went wrong"),
    503: _l("Service unavailable"),
}
EXPLANATIONS = {
    400: _l("The request could not be understood. If you sent a form, go back and try again."),
    403: _l("You do not have access to this page. Sign in with an account that does."),
    404: _l("This page does not exist or is no longer available."),
    405: _l("This page cannot be used this way."),
    413: _l("The file you sent is too large. Go back and choose a smaller file."),
    429: _l("You have made too many requests in a short time. Wait a minute and try again."),
    500: _l("An unexpected error happened on our side. Nothing you sent was lost; try again."),
    503: _l("The service is temporarily unavailable. Try again in a moment."),
}


def _shown(value: object) -> object:
    """A parameter as the reader sees it: a value of the domain's vocabularies by its name."""
    if isinstance(value, StrEnum) and type(value) in labels.LABELS:
        return gettext(labels.label(value))
    return value


def refusal_text(exc: DomainError) -> str:
    """The refusal in the reader's language: its template translated, then filled."""
    params = {name: _shown(value) for name, value in exc.params.items()}
    return gettext(exc.template, **params) if params else gettext(exc.template)


def field_errors(exc: DomainError) -> dict[str, str]:
    """Each field's message in the reader's language: the refusal's own field, and the other
    fields an ``InvalidInput`` names (their messages are templates without parameters)."""
    errors = {name: gettext(message) for name, message in getattr(exc, "errors", {}).items()}
    if exc.field:
        errors[exc.field] = refusal_text(exc)
    return errors


def error_page(code: int, detail: str | None = None):
    """The error page for ``code`` in the site's layout."""
    return (
        render_template(
            "errors/error.html",
            code=code,
            title=TITLES.get(code, TITLES[500]),
            explanation=detail or EXPLANATIONS.get(code, EXPLANATIONS[500]),
        ),
        code,
    )


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code is None or exc.code < 400:
            return exc
        if exc.code == 413:
            from flask_babel import gettext

            limit = app.extensions["relais"].settings.max_upload_mb
            return error_page(
                413,
                gettext(
                    "The file you sent is larger than %(limit)s MB. Go back and choose a "
                    "smaller file: the other fields of the form are kept by your browser.",
                    limit=f"{limit:g}",
                ),
            )
        return error_page(exc.code)

    @app.errorhandler(NotFound)
    def domain_not_found(_exc: NotFound):
        return error_page(404)

    @app.errorhandler(Forbidden)
    def domain_forbidden(_exc: Forbidden):
        return error_page(403)

    @app.errorhandler(OperationalError)
    def database_down(_exc: OperationalError):
        app.logger.exception("database unavailable")
        return error_page(503)

    @app.errorhandler(500)
    def internal_error(_exc):
        return error_page(500)
