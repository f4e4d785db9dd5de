"""The recruiters' space: offers, ranked shortlists, candidates, the pipeline, exports, talent pool.

The hiring manager of an offer reaches its shortlist and the candidates who applied to it;
``referral.applications.shortlists.can_view`` decides, the views only map its answer to 403.
"""

from __future__ import annotations

import math

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FloatField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, StopValidation, ValidationError

from referral import use_cases
from referral.applications import attribution, exports, interviews, pipeline, shortlists
from referral.errors import DomainError, Forbidden, InvalidInput, NotFound
from referral.models import Application, Candidate, Role
from referral.notifications import candidate_messages
from referral.offers import talentpool
from referral.privacy import erasure as privacy
from web.auth_user import roles_required
from web.database import db, settings
from web.errors import field_errors, refusal_text
from web.offer_labels import LABELS
from web.templating import candidate_name
from web.unit_of_work import transaction
from web.views.auth import _safe_next
from web.views.candidate_mail import compose_url
from web.views.duplicates import REASON_LABELS as DUPLICATE_REASONS

bp = Blueprint("recruiter", __name__, url_prefix="/recruiter")

READERS = (Role.MANAGER, Role.RECRUITER, Role.ADMIN)

# The names of the stages, sources and offer statuses: referral/labels.py, via web.offer_labels.
STATUS_LABELS = LABELS["application_status"]
SOURCE_LABELS = LABELS["source"]
REJECTION_LABELS = {
    "profile": _l("Profile does not match"),
    "experience": _l("Not enough experience"),
    "position_filled": _l("Position filled"),
    "candidate_declined": _l("Candidate declined"),
    "other": _l("Other reason"),
}
OFFER_STATUS_LABELS = LABELS["status"]
COMPONENT_LABELS = {
    "similarity": _l("Text similarity"),
    "tfidf": _l("Text similarity"),
    "required_skills": _l("Required skills"),
    "nice_skills": _l("Nice-to-have skills"),
    "title": _l("Past job titles"),
    "experience": _l("Experience"),
    "languages": _l("Languages"),
}
# Reasons the matcher gives for a score it could not compute.
SCORE_REASONS = {"no text could be read from the CV": _l("no text could be read from the CV")}


def status_label(value: str | None) -> str:
    return str(STATUS_LABELS.get(value or "", value or ""))


def source_label(value: str | None) -> str:
    return str(SOURCE_LABELS.get(value or "", value or ""))


def rejection_label(value: str | None) -> str:
    return str(REJECTION_LABELS.get(value or "", value or ""))


def component_label(value: str) -> str:
    return str(COMPONENT_LABELS.get(value, value.replace("_", " ").capitalize()))


@bp.context_processor
def labels():
    return {
        "status_label": status_label,
        "source_label": source_label,
        "rejection_label": rejection_label,
        "component_label": component_label,
        "score_reason": lambda r: str(SCORE_REASONS.get(r, r)),
        "offer_status_label": lambda v: str(OFFER_STATUS_LABELS.get(v, v)),
        "attribution_text": lambda reason: attribution.describe(reason, _),
        "duplicate_reason": lambda reason: str(DUPLICATE_REASONS.get(reason, reason)),
    }


def me():
    """The signed-in user as a plain model object (services take no proxies)."""
    return current_user._get_current_object()


# --- forms ---------------------------------------------------------------------------------------


def _status_choices(blank):
    return [("", blank)] + [(s, STATUS_LABELS[s]) for s in pipeline.ALL_STATUSES]


def _reason_choices():
    return [("", _l("— choose a reason —"))] + [
        (r, REJECTION_LABELS.get(r, r)) for r in settings().rejection_reasons
    ]


SCORE_RANGE = _l("Enter a number between 0 and 100.")


class ScoreField(FloatField):
    """A number typed the French way (``50,5``) or the English way (``50.5``); anything else
    gets our message, not WTForms' "Not a valid float value"."""

    def process_formdata(self, valuelist):
        if valuelist:
            valuelist = [valuelist[0].strip().replace(",", ".")]
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(str(SCORE_RANGE)) from exc


def _score_range(_form, field) -> None:
    """One message, once, whatever is wrong: not a number, infinite or NaN, out of range."""
    if field.process_errors:
        raise StopValidation()  # "not a number" is already said
    if field.data is not None and not (math.isfinite(field.data) and 0 <= field.data <= 100):
        raise ValidationError(SCORE_RANGE)


class FilterForm(FlaskForm):
    class Meta:
        csrf = False

    status = SelectField(_l("Stage"), validators=[Optional()])
    source = SelectField(_l("Source"), validators=[Optional()])
    referred = SelectField(
        _l("Referred"),
        choices=[
            ("", _l("All applications")),
            ("yes", _l("Referred by an agent")),
            ("no", _l("Not referred")),
        ],
        validators=[Optional()],
    )
    min_score = ScoreField(
        _l("Minimum score"),
        validators=[Optional(), _score_range],
    )
    skill = StringField(_l("Skill"), validators=[Optional(), Length(max=100)])
    sort = SelectField(
        _l("Sort by"),
        choices=[("score", _l("Best score first")), ("date", _l("Newest first"))],
        default="score",
        validators=[Optional()],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = _status_choices(_l("All statuses"))
        self.source.choices = [("", _l("All sources"))] + list(SOURCE_LABELS.items())

    def filters(self, page: int) -> shortlists.Filters:
        referred = {"yes": True, "no": False}.get(self.referred.data or "")
        return shortlists.Filters(
            status=self.status.data or None,
            source=self.source.data or None,
            referred=referred,
            min_score=self.min_score.data,
            skill=(self.skill.data or "").strip() or None,
            sort=self.sort.data or "score",
            page=page,
        )


class MoveForm(FlaskForm):
    to_status = SelectField(_l("Move to"), validators=[Optional()])  # checked by the view
    reason = SelectField(_l("Reason (required to reject)"), validators=[Optional()])
    confirm = BooleanField(_l("I confirm a hire that skips stages"))
    next = HiddenField()
    current = HiddenField()  # the stage the page showed: a move made meanwhile is not undone

    def __init__(self, *args, targets=None, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = targets if targets is not None else pipeline.ALL_STATUSES
        self.to_status.choices = [("", _l("— choose a stage —"))] + [
            (s, STATUS_LABELS[s]) for s in allowed
        ]
        self.reason.choices = _reason_choices()


class NoteForm(FlaskForm):
    body = TextAreaField(
        _l("Note"), validators=[DataRequired(), Length(max=shortlists.MAX_NOTE_LENGTH)]
    )
    application_id = SelectField(_l("About the application"), validators=[Optional()])


class EraseForm(FlaskForm):
    confirm = BooleanField(
        _l("I confirm: erase this person's identity, CV files, messages and notes for good"),
        validators=[DataRequired(_l("Tick the box to confirm the erasure."))],
    )


class MergeForm(FlaskForm):
    other_id = IntegerField(validators=[DataRequired()])
    keep = SelectField(choices=[("this", "this"), ("other", "other")], validators=[DataRequired()])


FILTER_KEYS = ("status", "source", "referred", "min_score", "skill", "sort")


def _page_number() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 100000 else 1


def _filters_from_request() -> tuple[FilterForm, shortlists.Filters]:
    form = FilterForm(request.args)
    if request.args and not form.validate():
        return form, shortlists.Filters(page=_page_number())
    try:
        return form, form.filters(_page_number()).validated()
    except InvalidInput as exc:
        for name, message in field_errors(exc).items():
            if name in form:
                form[name].errors = [message]
        return form, shortlists.Filters(page=_page_number())


# --- pages ---------------------------------------------------------------------------------------


@bp.route("/")
@roles_required(*READERS)
def home():
    """Recruiter home: the offers one may read, with their application counts."""
    summaries = shortlists.offers_with_counts(db(), me())
    return render_template(
        "recruiter/home.html", summaries=summaries, everything=shortlists.is_recruiter(me())
    )


@bp.route("/offers/<int:offer_id>/shortlist")
@roles_required(*READERS)
def shortlist(offer_id: int):
    """The ranked shortlist of an offer, with filters, sort, pages and bulk moves."""
    offer = shortlists.get_offer(db(), me(), offer_id)
    form, filters = _filters_from_request()
    result = shortlists.shortlist(db(), offer, filters)
    # Only the filters go back into the links (never a key that url_for would take for itself).
    args = {k: v for k, v in request.args.items() if k in FILTER_KEYS and v}
    bulk = MoveForm(prefix="bulk", targets=pipeline.reachable(me(), settings()))
    return render_template(
        "recruiter/shortlist.html",
        offer=offer,
        result=result,
        form=form,
        bulk=bulk,
        args=args,
        is_recruiter=shortlists.is_recruiter(me()),
    )


def _export_rows(offer_id: int):
    offer = shortlists.get_offer(db(), me(), offer_id)
    _form, filters = _filters_from_request()
    ranked = shortlists.all_rows(db(), offer, filters)
    # Translated once per value, not once per row.
    names = {("status", k): str(v) for k, v in STATUS_LABELS.items()}
    names.update({("source", k): str(v) for k, v in SOURCE_LABELS.items()})
    table = exports.table(
        ranked, translate=_, label=lambda kind, value: names.get((kind, value), value)
    )
    return offer, table


def _audit_export(offer, table, kind: str) -> None:
    with transaction() as uow:
        use_cases.record_export(uow, offer, kind, table)


@bp.route("/offers/<int:offer_id>/shortlist.csv")
@roles_required(*READERS)
def shortlist_csv(offer_id: int):
    """The shortlist as CSV (semicolons for French, commas for English), with the filters."""
    offer, table = _export_rows(offer_id)
    body = exports.to_csv(table, str(get_locale() or "fr"))
    _audit_export(offer, table, "csv")
    return _download(body, "text/csv", exports.filename(offer, "csv"))


@bp.route("/offers/<int:offer_id>/shortlist.xlsx")
@roles_required(*READERS)
def shortlist_xlsx(offer_id: int):
    """The shortlist as an XLSX workbook, with the filters."""
    offer, table = _export_rows(offer_id)
    body = exports.to_xlsx(table, offer.reference)
    _audit_export(offer, table, "xlsx")
    mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return _download(body, mimetype, exports.filename(offer, "xlsx"))


def _download(body: bytes, mimetype: str, name: str) -> Response:
    """An attachment; a ``text/*`` mimetype gets ``; charset=utf-8`` added by Werkzeug."""
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/offers/<int:offer_id>/shortlist/move", methods=["POST"])
@roles_required(*READERS)
def bulk_move(offer_id: int):
    """Move the selected applications of an offer; report what moved and what was refused."""
    session = db()
    offer = shortlists.get_offer(session, me(), offer_id)
    form = MoveForm(prefix="bulk", targets=pipeline.reachable(me(), settings()))
    ids = [int(v) for v in request.form.getlist("application_ids") if v.isdigit() and len(v) < 12]
    back = url_for(".shortlist", offer_id=offer.id)
    if not form.validate_on_submit() or not form.to_status.data:
        flash(_("Choose the stage to move the selected applications to."), "error")
        return redirect(back)
    if not ids:
        flash(_("Select at least one application."), "error")
        return redirect(back)
    selected = shortlists.applications_for(session, offer, ids)
    with transaction() as uow:
        report = use_cases.move_applications(
            uow,
            selected,
            form.to_status.data,
            reason=form.reason.data or None,
            confirm=form.confirm.data,
        )
    refused = [(application, refusal_text(exc)) for application, exc in report.refused]
    compose = None
    if report.moved and candidate_messages.stage_message_for(form.to_status.data):
        moves = candidate_messages.latest_changes(session, report.moved)
        compose = compose_url([c.id for c in moves], back)
    return render_template(
        "recruiter/bulk_report.html",
        offer=offer,
        moved=report.moved,
        refused=refused,
        to_status=form.to_status.data,
        compose=compose,
    )


@bp.route("/candidates/<int:candidate_id>")
@roles_required(*READERS)
def candidate(candidate_id: int):
    """The candidate file: identity, applications and history, CV, duplicates, notes."""
    return _candidate_page(candidate_id)


def _candidate_page(
    candidate_id: int,
    note_form: NoteForm | None = None,
    status: int = 200,
    erase_form: EraseForm | None = None,
):
    session = db()
    user = me()
    file = shortlists.candidate_file(session, user, candidate_id)
    move_forms = {
        a.id: MoveForm(
            prefix=f"a{a.id}",
            targets=pipeline.targets(a, user, settings()),
            formdata=None,
            next=request.path,
            current=a.status,
        )
        for a in file.applications
    }
    note_form = note_form or NoteForm(formdata=None)
    _note_choices(note_form, file, user)
    return (
        render_template(
            "recruiter/candidate.html",
            file=file,
            c=file.candidate,
            move_forms=move_forms,
            note_form=note_form,
            erase_form=erase_form
            or (EraseForm(formdata=None) if privacy.may_erase(user) else None),
            in_pool=talentpool.in_pool(file.candidate),
            interviews=interviews.by_application(session, file.applications),
            candidate_emails=candidate_messages.sent_to(session, file.candidate),
        ),
        status,
    )


def _note_choices(form: NoteForm, file: shortlists.CandidateFile, user) -> None:
    choices = [] if not file.full_access else [("", _l("The candidate in general"))]
    choices += [(str(a.id), f"{a.offer.reference} · {a.offer.title}") for a in file.applications]
    form.application_id.choices = choices


@bp.route("/candidates/<int:candidate_id>/notes", methods=["POST"])
@roles_required(*READERS)
def add_note(candidate_id: int):
    """Add a note on a candidate (recruiters, and the hiring manager of the offer)."""
    session = db()
    file = shortlists.candidate_file(session, me(), candidate_id)
    form = NoteForm()
    _note_choices(form, file, me())
    if not form.validate_on_submit():
        return _candidate_page(candidate_id, form, 400)
    application = next(
        (a for a in file.applications if str(a.id) == (form.application_id.data or "")), None
    )
    try:
        with transaction() as uow:
            use_cases.add_note(uow, file.candidate, form.body.data, application)
    except InvalidInput as exc:
        form.body.errors = [refusal_text(exc)]
        return _candidate_page(candidate_id, form, 400)
    flash(_("The note is saved."), "success")
    return redirect(url_for(".candidate", candidate_id=candidate_id) + "#notes")


@bp.route("/applications/<int:application_id>/move", methods=["POST"])
@roles_required(*READERS)
def move(application_id: int):
    """Move one application; a jump to hired asks for a confirmation first."""
    session = db()
    application = (
        session.get(Application, application_id, with_for_update=True)
        if shortlists.valid_id(application_id)
        else None
    )
    if application is None:
        raise NotFound("application")
    if not shortlists.can_view(me(), application.offer):
        raise Forbidden("application")
    form = MoveForm(prefix=f"a{application.id}")
    back = _safe_next(form.next.data) or url_for(
        ".candidate", candidate_id=application.candidate_id
    )
    if not form.validate_on_submit() or not form.to_status.data:
        flash(_("Choose the stage to move the application to."), "error")
        return redirect(back)
    if form.current.data and form.current.data != application.status:
        flash(
            _(
                "Someone moved this application to “%(stage)s” in the meantime. Check it, "
                "then move it again if needed.",
                stage=status_label(application.status),
            ),
            "error",
        )
        return redirect(back)
    try:
        with transaction() as uow:
            change = use_cases.move_application(
                uow,
                application,
                form.to_status.data,
                reason=form.reason.data or None,
                confirm=form.confirm.data,
            )
    except pipeline.ConfirmationRequired as exc:
        return render_template(
            "recruiter/confirm_move.html",
            application=application,
            form=form,
            message=refusal_text(exc),
            back=back,
        )
    except DomainError as exc:
        flash(refusal_text(exc), "error")
        return redirect(back)
    flash(
        _(
            "%(name)s: moved to “%(stage)s”.",
            name=candidate_name(application.candidate),
            stage=status_label(application.status),
        ),
        "success",
    )
    if candidate_messages.stage_message_for(change.to_status):
        return redirect(compose_url([change.id], back))
    return redirect(back)


@bp.route("/candidates/<int:candidate_id>/merge", methods=["POST"])
@roles_required(Role.RECRUITER, Role.ADMIN)
def merge(candidate_id: int):
    """Merge a flagged duplicate into this candidate (or this one into it)."""
    session = db()
    this = session.get(Candidate, candidate_id) if shortlists.valid_id(candidate_id) else None
    if this is None:
        raise NotFound("candidate")
    form = MergeForm()
    valid = form.validate_on_submit() and shortlists.valid_id(form.other_id.data)
    other = session.get(Candidate, form.other_id.data) if valid else None
    if other is None or other.id == this.id:
        flash(_("Choose the duplicate to merge."), "error")
        return redirect(url_for(".candidate", candidate_id=this.id))
    keep, drop = (this, other) if form.keep.data == "this" else (other, this)
    try:
        with transaction() as uow:
            kept = use_cases.merge_candidates(uow, keep, drop)
    except DomainError as exc:
        flash(refusal_text(exc), "error")
        return redirect(url_for(".candidate", candidate_id=this.id))
    flash(_("The two candidates are merged."), "success")
    return redirect(url_for(".candidate", candidate_id=kept.id))


@bp.route("/candidates/<int:candidate_id>/erase", methods=["POST"])
@roles_required(Role.RECRUITER, Role.ADMIN)
def erase(candidate_id: int):
    """Erase a candidate's personal data (an erasure request), after a confirmation."""
    session = db()
    candidate = session.get(Candidate, candidate_id) if shortlists.valid_id(candidate_id) else None
    if candidate is None:
        raise NotFound("candidate")
    form = EraseForm()
    if not form.validate_on_submit():
        return _candidate_page(candidate_id, status=400, erase_form=form)
    # The files go once the erasure is committed (an after-commit hook).
    with transaction() as uow:
        use_cases.erase_candidate(uow, candidate)
    flash(_("The candidate's personal data is erased."), "success")
    return redirect(url_for(".candidate", candidate_id=candidate.id))


@bp.route("/cv/<int:cv_file_id>")
@roles_required(*READERS)
def cv(cv_file_id: int):
    """Download the original CV file (recruiters, and the manager of an offer applied to)."""
    cv_file = shortlists.cv_file_for(db(), me(), cv_file_id)
    folder = settings().uploads_path
    if not (folder / cv_file.stored_name).is_file():
        abort(404)
    response = send_from_directory(
        folder,
        cv_file.stored_name,
        mimetype=cv_file.mime_type,
        as_attachment=True,
        download_name=cv_file.original_name,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/offers/<int:offer_id>/talent-pool")
@roles_required(Role.RECRUITER, Role.ADMIN)
def talent_pool(offer_id: int):
    """Candidates who applied elsewhere and agreed to be considered, ranked for this offer."""
    offer = shortlists.get_offer(db(), me(), offer_id)
    ranked, size = talentpool.ranked_pool(db(), offer, settings=settings())
    return render_template("recruiter/talent_pool.html", offer=offer, ranked=ranked, size=size)


@bp.route("/candidates/<int:candidate_id>/offers")
@roles_required(Role.RECRUITER, Role.ADMIN)
def candidate_offers(candidate_id: int):
    """The open offers that fit a candidate of the talent pool, best first."""
    candidate = db().get(Candidate, candidate_id) if shortlists.valid_id(candidate_id) else None
    if candidate is None:
        raise NotFound("candidate")
    in_pool = talentpool.in_pool(candidate)
    ranked = talentpool.offers_for(db(), candidate, settings=settings()) if in_pool else []
    return render_template(
        "recruiter/candidate_offers.html", c=candidate, ranked=ranked, in_pool=in_pool
    )
