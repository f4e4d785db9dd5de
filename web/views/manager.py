"""Writing and running offers: hiring managers (their offers), recruiters and admins (all)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from referral import use_cases
from referral.errors import InvalidInput
from referral.models import Direction, OfferStatus, Role, User, UserRole, utcnow
from referral.offers import lifecycle as offers
from referral.offers import search as offer_search
from web.auth_user import roles_required
from web.database import db
from web.errors import field_errors, refusal_text
from web.offer_labels import choices
from web.unit_of_work import transaction
from web.views.offers import render_offer_page

bp = Blueprint("manager", __name__, url_prefix="/manager")

EDITORS = (Role.MANAGER, Role.RECRUITER, Role.ADMIN)
TAG_HINT = _l("Separate them with commas.")


class OfferForm(FlaskForm):
    """Every field of an offer; the domain checks the rules (offers._clean)."""

    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    direction_id = SelectField(_l("Direction"), validate_choice=False)
    hiring_manager_id = SelectField(_l("Hiring manager"), validate_choice=False)
    recruiter_id = SelectField(_l("Recruiter"), validate_choice=False)
    versant = SelectField(_l("Civil service"), choices=choices("versant"))
    category = SelectField(_l("Category"), choices=choices("category", blank=_l("None")))
    metier = StringField(_l("Job family (métier)"), validators=[Length(max=200)])
    employment_nature = SelectField(_l("Open to"), choices=choices("employment_nature"))
    contract_type = SelectField(_l("Contract type"), choices=choices("contract_type"))
    contract_duration_months = IntegerField(
        _l("Contract duration (months)"), validators=[Optional(), NumberRange(1, 72)]
    )
    location = StringField(_l("Location"), validators=[Length(max=200)])
    remote_work = SelectField(_l("Remote work"), choices=choices("remote_work"))
    working_time = SelectField(_l("Working time"), choices=choices("working_time"))
    education_level = StringField(_l("Education level"), validators=[Length(max=100)])
    min_experience_years = IntegerField(
        _l("Minimum experience (years)"), validators=[Optional(), NumberRange(0, 50)]
    )
    description = TextAreaField(_l("Description"))
    missions = TextAreaField(_l("Missions"))
    profile = TextAreaField(_l("Profile"))
    required_skills = StringField(
        _l("Required skills"), render_kw={"list": "skill-suggestions", "data-tags": "1"}
    )
    nice_skills = StringField(
        _l("Nice-to-have skills"), render_kw={"list": "skill-suggestions", "data-tags": "1"}
    )
    languages = StringField(_l("Languages"))
    salary = StringField(_l("Salary"), validators=[Length(max=200)])
    pay_min = IntegerField(_l("Pay from (euros, gross)"), validators=[Optional()])
    pay_max = IntegerField(_l("Pay up to (euros, gross)"), validators=[Optional()])
    pay_unit = SelectField(
        _l("Pay counted"),
        choices=choices("pay_unit", blank=_l("— choose —")),
        validate_choice=False,
    )
    street_address = StringField(_l("Street address of the place of work"), [Length(max=200)])
    postal_code = StringField(_l("Postal code"), validators=[Length(max=10)])
    vacancy_date = DateField(_l("Position available on"), validators=[Optional()])
    closing_date = DateField(_l("Closing date"), validators=[Optional()])
    positions = IntegerField(
        _l("Number of positions"), default=1, validators=[Optional(), NumberRange(1, 600)]
    )

    TAGS = ("required_skills", "nice_skills", "languages")

    def fill_people_choices(self) -> None:
        """Directions, managers and recruiters to choose from."""
        session = db()
        none = [("", _("— choose —"))]
        self.direction_id.choices = none + [
            (str(d.id), d.name) for d in session.scalars(select(Direction).order_by(Direction.name))
        ]

        def people(*roles: Role) -> list[tuple[str, str]]:
            rows = session.scalars(
                select(User)
                .join(UserRole)
                .where(UserRole.role.in_([r.value for r in roles]), User.active)
                .order_by(User.last_name, User.first_name)
            ).unique()
            return [(str(u.id), f"{u.full_name} ({u.email})") for u in rows]

        self.hiring_manager_id.choices = none + people(Role.MANAGER)
        self.recruiter_id.choices = none + people(Role.RECRUITER)

    def load(self, offer) -> None:
        """Show an existing offer's values (on GET)."""
        for name in offers.EDITABLE_FIELDS:
            value = getattr(offer, name)
            if name in self.TAGS:
                value = ", ".join(value or [])
            elif name.endswith("_id"):
                value = str(value) if value else ""
            getattr(self, name).data = value

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in offers.EDITABLE_FIELDS}

    def show_errors(self, exc: InvalidInput) -> None:
        for name, message in field_errors(exc).items():
            if hasattr(self, name):
                getattr(self, name).errors = [*getattr(self, name).errors, message]


class ActionForm(FlaskForm):
    """The CSRF token of the publish, close, fill and duplicate buttons."""


def _editable(offer_id: int):
    return offers.get_editable_offer(db(), offer_id, current_user)


@bp.route("/")
@roles_required(*EDITORS)
def home():
    """The offers a manager manages (recruiters and admins: every offer), with their counts."""
    session = db()
    rows = offer_search.offers_for(session, current_user)
    stats = offer_search.offer_stats(session, [o.id for o in rows])
    everyone = current_user.has_role(Role.RECRUITER, Role.ADMIN)
    return render_template(
        "manager/home.html",
        offers=rows,
        stats=stats,
        everyone=everyone,
        statuses=offer_search.APPLICATION_STATUSES,
    )


def _render_form(form: OfferForm, offer=None, status: int = 200):
    return (
        render_template(
            "manager/offer_form.html",
            form=form,
            offer=offer,
            skills=offers.skill_suggestions(str(get_locale() or "fr")),
            tag_hint=TAG_HINT,
        ),
        status,
    )


@bp.route("/offers/new", methods=["GET", "POST"])
@roles_required(*EDITORS)
def new_offer():
    """Write a new offer (saved as a draft)."""
    form = OfferForm()
    form.fill_people_choices()
    if request.method == "GET":
        form.versant.data = offers.usual_versant(db())
    if request.method == "GET" and current_user.has_role(Role.MANAGER):
        form.hiring_manager_id.data = str(current_user.id)
        if current_user.direction_id:
            form.direction_id.data = str(current_user.direction_id)
    if form.validate_on_submit():
        try:
            with transaction() as uow:
                offer = use_cases.create_offer(uow, form.values())
        except InvalidInput as exc:
            form.show_errors(exc)
        else:
            flash(_("The offer is saved as a draft. Preview it, then publish it."), "success")
            return redirect(url_for("manager.preview", offer_id=offer.id))
    return _render_form(form, status=422 if form.errors else 200)


@bp.route("/offers/<int:offer_id>/edit", methods=["GET", "POST"])
@roles_required(*EDITORS)
def edit_offer(offer_id: int):
    """Change an offer's fields."""
    offer = _editable(offer_id)
    form = OfferForm()
    form.fill_people_choices()
    if request.method == "GET":
        form.load(offer)
    if form.validate_on_submit():
        try:
            with transaction() as uow:
                use_cases.update_offer(uow, offer, form.values())
        except InvalidInput as exc:
            form.show_errors(exc)
            offer = _editable(offer_id)  # again, as the refused change left it rolled back
        else:
            flash(_("The offer is saved."), "success")
            return redirect(url_for("manager.preview", offer_id=offer.id))
    return _render_form(form, offer, status=422 if form.errors else 200)


@bp.route("/offers/<int:offer_id>")
@roles_required(*EDITORS)
def preview(offer_id: int):
    """The offer as candidates will see it, with its publish/close/fill/duplicate buttons."""
    offer = _editable(offer_id)
    missing = (
        offers.publication_errors(offer, utcnow()) if offer.status == OfferStatus.DRAFT else {}
    )
    return render_offer_page(
        offer, preview=True, action_form=ActionForm(), missing=[_(m) for m in missing.values()]
    )


def _act(offer_id: int, action, done: str):
    offer = _editable(offer_id)
    if not ActionForm().validate_on_submit():
        flash(_("The form has expired. Try again."), "error")
        return redirect(url_for("manager.preview", offer_id=offer.id))
    try:
        with transaction() as uow:
            result = action(uow, offer)
    except InvalidInput as exc:
        details = " ".join(text for name, text in field_errors(exc).items() if name != exc.field)
        flash(f"{refusal_text(exc)} {details}".strip(), "error")
        return redirect(url_for("manager.preview", offer_id=offer_id))
    flash(done, "success")
    return redirect(url_for("manager.preview", offer_id=result.id))


@bp.route("/offers/<int:offer_id>/publish", methods=["POST"])
@roles_required(*EDITORS)
def publish(offer_id: int):
    """Publish an offer: it appears on the careers site and agents can share it."""
    return _act(offer_id, use_cases.publish_offer, _("The offer is published."))


@bp.route("/offers/<int:offer_id>/close", methods=["POST"])
@roles_required(*EDITORS)
def close(offer_id: int):
    """Close an offer: no more applications."""
    return _act(offer_id, use_cases.close_offer, _("The offer is closed."))


@bp.route("/offers/<int:offer_id>/fill", methods=["POST"])
@roles_required(*EDITORS)
def fill(offer_id: int):
    """Mark an offer as filled."""
    return _act(offer_id, use_cases.fill_offer, _("The offer is marked as filled."))


@bp.route("/offers/<int:offer_id>/duplicate", methods=["POST"])
@roles_required(*EDITORS)
def duplicate(offer_id: int):
    """Copy an offer into a new draft."""
    return _act(offer_id, use_cases.duplicate_offer, _("A copy of the offer is saved as a draft."))
