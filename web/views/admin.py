"""Administration: users, directions, staff import, credit rules, trainings."""

from __future__ import annotations

import base64

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func, select
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from referral.errors import InvalidInput
from referral.models import Direction, Role, User
from referral.people import directions as direction_service
from referral.people import invitations, staff_import
from referral.people import users as user_service
from web.auth_user import roles_required
from web.database import db, settings

bp = Blueprint("admin", __name__, url_prefix="/admin")

PER_PAGE = 25
ROLE_LABELS = {
    Role.ADMIN.value: _l("Administrator"),
    Role.RECRUITER.value: _l("Recruiter"),
    Role.MANAGER.value: _l("Hiring manager"),
    Role.AGENT.value: _l("Agent"),
}
LOCALE_CHOICES = [("", _l("Browser's language")), ("fr", "Français"), ("en", "English")]


def domain_message(exc: InvalidInput) -> str:
    """The domain error in the user's language (domain messages are marked for extraction)."""
    template = getattr(exc, "template", None)
    if template:
        return gettext(template, **exc.params)
    if "email" in exc.errors:
        return gettext("Enter a valid e-mail address.")
    return gettext(str(exc))


def _direction_choices(blank_label) -> list[tuple[int, str]]:
    nodes = direction_service.flatten(direction_service.tree(db()))
    choices = [(0, str(blank_label))]
    for node in nodes:
        choices.append((node.direction.id, "\u2003" * node.depth + node.direction.name))
    return choices


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UserForm(FlaskForm):
    first_name = StringField(_l("First name"), validators=[DataRequired(), Length(max=100)])
    last_name = StringField(_l("Last name"), validators=[DataRequired(), Length(max=100)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    employee_number = StringField(_l("Employee number"), validators=[Optional(), Length(max=40)])
    job_title = StringField(_l("Job title"), validators=[Optional(), Length(max=200)])
    direction_id = SelectField(_l("Direction"), coerce=int, validate_choice=True)
    roles = MultiCheckboxField(
        _l("Roles"),
        choices=[
            (Role.ADMIN.value, ROLE_LABELS["admin"]),
            (Role.RECRUITER.value, ROLE_LABELS["recruiter"]),
            (Role.MANAGER.value, ROLE_LABELS["manager"]),
        ],
    )
    locale = SelectField(_l("Language"), choices=LOCALE_CHOICES, validate_choice=False)


class DirectionForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)])
    parent_id = SelectField(_l("Parent direction"), coerce=int)


class RenameForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)])


class MoveForm(FlaskForm):
    parent_id = SelectField(_l("New parent direction"), coerce=int)


class ImportForm(FlaskForm):
    file = FileField(_l("CSV or XLSX file"), validators=[FileRequired(_l("Choose a CSV file."))])
    dry_run = BooleanField(_l("Only check the file and show what would change"), default=True)
    invite = BooleanField(_l("Send each new account an invitation e-mail to choose a password"))


def _invitation_link(token: str) -> str:
    return settings().base_url.rstrip("/") + url_for("auth.reset_password", token=token)


def _invite(session, accounts_or_emails, *, by_email: bool) -> int:
    kwargs = dict(
        link_for=_invitation_link, actor=current_user, default_locale=settings().default_locale
    )
    if by_email:
        return invitations.invite_by_email(session, accounts_or_emails, **kwargs)
    return invitations.invite(session, accounts_or_emails, **kwargs)


class ImportCheckedForm(FlaskForm):
    """ "Import now" after a valid dry run: the checked file travels signed in the page, so
    the admin need not choose it again (and no web process keeps it)."""

    checked_file = HiddenField()


CHECKED_FILE_MAX_AGE = 3600  # seconds between the dry run and "Import now"


def _checked_files() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="staff-import-checked")


def _sign_checked(data: bytes) -> str:
    return _checked_files().dumps(base64.b64encode(data).decode("ascii"))


def _open_checked(token: str) -> bytes | None:
    try:
        return base64.b64decode(_checked_files().loads(token, max_age=CHECKED_FILE_MAX_AGE))
    except (BadSignature, ValueError):
        return None


@bp.route("/")
@roles_required(Role.ADMIN)
def home():
    """Admin home: counts and entry points."""
    session = db()
    counts = {
        "users": session.scalar(select(func.count(User.id)).where(User.active)),
        "inactive": session.scalar(select(func.count(User.id)).where(User.active.is_(False))),
        "directions": session.scalar(select(func.count(Direction.id))),
    }
    from referral.offers.semantic import embedding_status

    status = embedding_status(current_app.extensions["relais"].settings)
    return render_template("admin/home.html", counts=counts, embedding=status)


# --- users ------------------------------------------------------------------------------------


@bp.route("/users")
@roles_required(Role.ADMIN)
def users():
    """The staff list: search by name, e-mail, job title or employee number; paginated."""
    query = request.args.get("q", "").strip()[:100]
    status = request.args.get("status", "")
    active = {"active": True, "inactive": False}.get(status)
    page = request.args.get("page", 1, type=int) or 1
    result = user_service.search(db(), query, page=page, per_page=PER_PAGE, active=active)
    return render_template(
        "admin/users.html",
        result=result,
        q=query,
        status=status,
        role_labels=ROLE_LABELS,
        signs_in_with=invitations.signs_in_with,
        never_signed_in=invitations.count_never_signed_in(db()),
    )


def _user_form(user: User | None) -> UserForm:
    form = UserForm(obj=user) if user is not None else UserForm()
    form.direction_id.choices = _direction_choices(_l("No direction"))
    if request.method == "GET" and user is not None:
        form.direction_id.data = user.direction_id or 0
        form.roles.data = sorted(r.value for r in user.roles if r != Role.AGENT)
        form.locale.data = user.locale or ""
        form.employee_number.data = user.employee_number or ""
    return form


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def user_new():
    """Create a member of staff (they choose their password with "forgot password")."""
    form = _user_form(None)
    error = None
    if form.validate_on_submit():
        session = db()
        try:
            user = user_service.create_user(
                session,
                email=form.email.data or "",
                first_name=form.first_name.data or "",
                last_name=form.last_name.data or "",
                roles=set(form.roles.data or []),
                direction_id=form.direction_id.data or None,
                job_title=form.job_title.data or "",
                locale=form.locale.data or None,
                employee_number=(form.employee_number.data or "").strip() or None,
                actor=current_user,
            )
        except InvalidInput as exc:
            session.rollback()
            error = domain_message(exc)
        else:
            session.commit()
            flash(
                gettext(
                    "The account of %(name)s is created. They choose a password with "
                    "“Forgot your password?” on the sign-in page.",
                    name=user.full_name,
                ),
                "success",
            )
            return redirect(url_for("admin.users", q=user.email))
    status = 400 if error or form.errors else 200
    return render_template("admin/user_form.html", form=form, user=None, error=error), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def user_edit(user_id: int):
    """Edit a member of staff: identity, direction, roles, language."""
    session = db()
    user = user_service.get(session, user_id)
    form = _user_form(user)
    error = None
    if form.validate_on_submit():
        try:
            user_service.update_user(
                session,
                user,
                actor=current_user,
                email=form.email.data or "",
                first_name=form.first_name.data or "",
                last_name=form.last_name.data or "",
                job_title=form.job_title.data or "",
                direction_id=form.direction_id.data or None,
                roles=set(form.roles.data or []),
                locale=form.locale.data or None,
                employee_number=form.employee_number.data,
            )
        except InvalidInput as exc:
            session.rollback()
            error = domain_message(exc)
        else:
            session.commit()
            flash(gettext("The changes are saved."), "success")
            return redirect(url_for("admin.user_edit", user_id=user.id))
    status = 400 if error or form.errors else 200
    return render_template("admin/user_form.html", form=form, user=user, error=error), status


def _set_active(user_id: int, active: bool):
    session = db()
    user = user_service.get(session, user_id)
    try:
        user_service.set_active(
            session,
            user,
            active,
            actor=current_user,
            despite_offers=request.form.get("despite_offers") == "1",
        )
    except user_service.StillAssigned as exc:
        session.rollback()
        # Ask again, listing the offers to reassign (see users.set_active for why not refuse).
        page = render_template("admin/user_deactivate.html", user=user, offers=exc.offers)
        return page, 409
    except InvalidInput as exc:
        session.rollback()
        flash(domain_message(exc), "error")
    else:
        session.commit()
        if active:
            flash(gettext("%(name)s can sign in again.", name=user.full_name), "success")
        else:
            flash(
                gettext("%(name)s is deactivated and can no longer sign in.", name=user.full_name),
                "success",
            )
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@roles_required(Role.ADMIN)
def user_deactivate(user_id: int):
    """Deactivate an account: it can no longer sign in (never one's own)."""
    return _set_active(user_id, False)


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
@roles_required(Role.ADMIN)
def user_reactivate(user_id: int):
    """Reactivate an account."""
    return _set_active(user_id, True)


# --- directions -------------------------------------------------------------------------------


@bp.route("/directions", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def directions():
    """The directions tree, and a form to add a direction."""
    session = db()
    form = DirectionForm()
    form.parent_id.choices = _direction_choices(_l("None (top level)"))
    error = None
    if form.validate_on_submit():
        try:
            direction = direction_service.create(
                session,
                name=form.name.data or "",
                code=form.code.data or "",
                parent_id=form.parent_id.data or None,
                actor=current_user,
            )
        except InvalidInput as exc:
            session.rollback()
            error = domain_message(exc)
        else:
            session.commit()
            flash(gettext("The direction %(name)s is created.", name=direction.name), "success")
            return redirect(url_for("admin.directions"))
    status = 400 if error or form.errors else 200
    nodes = direction_service.tree(session)
    return render_template("admin/directions.html", nodes=nodes, form=form, error=error), status


@bp.route("/directions/<int:direction_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def direction_edit(direction_id: int):
    """Rename a direction or move it elsewhere in the tree."""
    session = db()
    direction = direction_service.get(session, direction_id)
    rename_form = RenameForm(obj=direction, prefix="rename")
    move_form = MoveForm(prefix="move")
    excluded = direction_service.descendant_ids(session, direction) | {direction.id}
    move_form.parent_id.choices = [
        c for c in _direction_choices(_l("None (top level)")) if c[0] not in excluded
    ]
    if request.method == "GET":
        move_form.parent_id.data = direction.parent_id or 0
    error = None
    action = request.form.get("action")
    if request.method == "POST":
        form = rename_form if action == "rename" else move_form if action == "move" else None
        if form is None:
            abort(400)
        if form.validate_on_submit():
            try:
                if action == "rename":
                    direction_service.rename(
                        session,
                        direction,
                        name=rename_form.name.data or "",
                        code=rename_form.code.data or "",
                        actor=current_user,
                    )
                else:
                    direction_service.move(
                        session,
                        direction,
                        parent_id=move_form.parent_id.data or None,
                        actor=current_user,
                    )
            except InvalidInput as exc:
                session.rollback()
                error = domain_message(exc)
            else:
                session.commit()
                flash(gettext("The changes are saved."), "success")
                return redirect(url_for("admin.direction_edit", direction_id=direction.id))
    status = 400 if error or rename_form.errors or move_form.errors else 200
    return render_template(
        "admin/direction_edit.html",
        direction=direction,
        rename_form=rename_form,
        move_form=move_form,
        error=error,
    ), status


@bp.route("/directions/<int:direction_id>/delete", methods=["POST"])
@roles_required(Role.ADMIN)
def direction_delete(direction_id: int):
    """Delete an empty direction."""
    session = db()
    direction = direction_service.get(session, direction_id)
    name = direction.name
    try:
        direction_service.delete(session, direction, actor=current_user)
    except InvalidInput as exc:
        session.rollback()
        flash(domain_message(exc), "error")
        return redirect(url_for("admin.direction_edit", direction_id=direction_id))
    session.commit()
    flash(gettext("The direction %(name)s is deleted.", name=name), "success")
    return redirect(url_for("admin.directions"))


# --- staff import -----------------------------------------------------------------------------


@bp.route("/staff-import", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def staff_import_page():
    """Import staff from a CSV export of the HR directory (all or nothing)."""
    form = ImportForm()
    checked = ImportCheckedForm()
    problems: list[tuple[int, str]] = []
    report = None
    data: bytes | None = None
    dry_run = True
    if request.method == "POST" and "checked_file" in request.form:
        if checked.validate_on_submit():
            data = _open_checked(checked.checked_file.data or "")
            dry_run = False
            if data is None:
                problems = [
                    (0, gettext("The checked file is too old or altered: upload it again."))
                ]
        form = ImportForm(formdata=None)
    elif form.validate_on_submit():
        data = form.file.data.read()
        dry_run = bool(form.dry_run.data)
    if data is not None:
        session = db()
        try:
            report = staff_import.import_staff(session, data, actor=current_user, dry_run=dry_run)
        except staff_import.StaffImportError as exc:
            session.rollback()
            problems = [(p.line, gettext(p.template, **p.params)) for p in exc.problems]
        else:
            if report.dry_run:
                session.rollback()
                checked = ImportCheckedForm(formdata=None, checked_file=_sign_checked(data))
            else:
                if form.invite.data and report.created:
                    invited = _invite(session, report.created, by_email=True)
                    flash(
                        ngettext(
                            "%(num)s invitation is on its way.",
                            "%(num)s invitations are on their way.",
                            invited,
                        ),
                        "success",
                    )
                session.commit()
                flash(
                    gettext(
                        "Import done: %(created)s created, %(updated)s updated, "
                        "%(unchanged)s unchanged.",
                        created=len(report.created),
                        updated=len(report.updated),
                        unchanged=report.unchanged,
                    ),
                    "success",
                )
    status = 400 if problems or form.errors else 200
    return render_template(
        "admin/staff_import.html",
        form=form,
        checked=checked,
        problems=problems,
        report=report,
        role_labels=ROLE_LABELS,
        columns=staff_import.COLUMNS,
    ), status


@bp.route("/users/invite-again", methods=["POST"])
@roles_required(Role.ADMIN)
def invite_again():
    """Send the invitation again to every active account whose owner never signed in."""
    session = db()
    invited = _invite(session, invitations.never_signed_in(session), by_email=False)
    session.commit()
    flash(
        ngettext(
            "%(num)s invitation is on its way.", "%(num)s invitations are on their way.", invited
        ),
        "success",
    )
    return redirect(url_for("admin.users"))
