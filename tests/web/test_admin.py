"""Admin pages: users, directions tree, staff import — each action, each refusal, access."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from referral.models import AuditEvent, Direction, Offer, Role, User


@pytest.fixture
def admin(make_user, auth):
    user = make_user(Role.ADMIN, first_name="Nathalie", last_name="Roussel")
    auth.login(user)
    return user


def _audit(session, action):
    return session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


# --- access -------------------------------------------------------------------------------------

ADMIN_PAGES = [
    "/admin/",
    "/admin/users",
    "/admin/users/new",
    "/admin/directions",
    "/admin/staff-import",
]


@pytest.mark.parametrize("role", [(), (Role.MANAGER,), (Role.RECRUITER,)])
def test_admin_pages_are_refused_to_other_roles(client, auth, make_user, role):
    auth.login(make_user(*role))
    for url in ADMIN_PAGES:
        assert client.get(url).status_code == 403, url
    assert client.post("/admin/directions", data={"name": "X", "code": "X"}).status_code == 403


def test_admin_pages_send_anonymous_visitors_to_sign_in(client):
    for url in ADMIN_PAGES:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_admin_pages_open_for_admins(client, admin):
    for url in ADMIN_PAGES:
        assert client.get(url).status_code == 200, url


# --- users --------------------------------------------------------------------------------------


def test_user_list_searches_and_paginates(client, admin, make_user):
    for n in range(30):
        make_user(first_name=f"Agent{n:02d}", last_name="Dupont", job_title="Gestionnaire")
    make_user(first_name="Claire", last_name="Martin", job_title="Directrice du numérique")
    page = client.get("/admin/users?q=martin")
    assert page.status_code == 200
    assert "Claire" in page.text and "Agent00" not in page.text
    assert client.get("/admin/users?q=numérique").text.count("Martin") >= 1
    first = client.get("/admin/users?q=dupont")
    assert "30 users found" in first.text or "30 utilisateurs" in first.text
    assert first.text.count("Dupont") == 25
    second = client.get("/admin/users?q=dupont&page=2")
    assert second.text.count("Dupont") == 5
    assert "Agent29" in second.text


def test_create_user_without_password(client, admin, session, make_direction):
    direction = make_direction("Direction du numérique")
    response = client.post(
        "/admin/users/new",
        data={
            "first_name": "Hugo",
            "last_name": "Bernard",
            "email": "Hugo.Bernard@Region.example",
            "employee_number": "A2051",
            "job_title": "Gestionnaire paie",
            "direction_id": str(direction.id),
            "roles": ["recruiter", "manager"],
            "locale": "en",
        },
    )
    assert response.status_code == 302
    user = session.scalar(select(User).where(User.email == "hugo.bernard@region.example"))
    assert user is not None and user.password_hash is None
    assert user.roles == {Role.AGENT, Role.RECRUITER, Role.MANAGER}
    assert user.direction_id == direction.id and user.locale == "en"
    assert user.employee_number == "A2051"
    assert _audit(session, "user.create")[-1].actor_id == admin.id


def test_create_user_refuses_a_taken_email_and_keeps_the_input(client, admin, make_user):
    taken = make_user(email="taken@region.example")
    response = client.post(
        "/admin/users/new",
        data={
            "first_name": "Zoé",
            "last_name": "Lambert",
            "email": taken.email,
            "direction_id": "0",
        },
    )
    assert response.status_code == 400
    assert "already exists" in response.text or "existe déjà" in response.text
    assert 'value="Zoé"' in response.text


def test_create_user_refuses_an_invalid_email(client, admin):
    response = client.post(
        "/admin/users/new",
        data={"first_name": "A", "last_name": "B", "email": "not-an-email", "direction_id": "0"},
    )
    assert response.status_code == 400
    assert "valid e-mail" in response.text or "adresse e-mail valide" in response.text


def test_edit_user_changes_roles_direction_and_locale(
    client, admin, make_user, session, make_direction
):
    user = make_user(Role.MANAGER)
    direction = make_direction("Direction des lycées")
    response = client.post(
        f"/admin/users/{user.id}",
        data={
            "first_name": "Anne",
            "last_name": "Lemaire",
            "email": user.email,
            "job_title": "Directrice",
            "direction_id": str(direction.id),
            "roles": ["recruiter"],
            "locale": "fr",
        },
    )
    assert response.status_code == 302
    session.refresh(user)
    assert user.roles == {Role.AGENT, Role.RECRUITER}
    assert user.direction_id == direction.id and user.job_title == "Directrice"
    event = _audit(session, "user.update")[-1]
    assert event.details["changes"]["roles"] == [["agent", "manager"], ["agent", "recruiter"]]


def test_edit_user_page_shows_current_values(client, admin, make_user):
    user = make_user(Role.MANAGER, job_title="Chef de service")
    page = client.get(f"/admin/users/{user.id}")
    assert page.status_code == 200
    assert 'value="Chef de service"' in page.text
    assert 'checked id="roles-2" name="roles" type="checkbox" value="manager"' in page.text
    assert 'id="roles-0" name="roles" type="checkbox" value="admin"' in page.text


def test_admin_cannot_remove_their_own_admin_role(client, admin, session):
    response = client.post(
        f"/admin/users/{admin.id}",
        data={
            "first_name": admin.first_name,
            "last_name": admin.last_name,
            "email": admin.email,
            "direction_id": "0",
            "roles": ["recruiter"],
        },
    )
    assert response.status_code == 400
    assert "own admin role" in response.text or "votre propre rôle" in response.text
    session.refresh(admin)
    assert Role.ADMIN in admin.roles


def test_edit_refuses_an_email_of_another_account(client, admin, make_user):
    user = make_user()
    other = make_user()
    response = client.post(
        f"/admin/users/{user.id}",
        data={"first_name": "A", "last_name": "B", "email": other.email, "direction_id": "0"},
    )
    assert response.status_code == 400


def test_deactivated_user_cannot_sign_in_until_reactivated(app, client, admin, make_user, session):
    user = make_user()
    response = client.post(f"/admin/users/{user.id}/deactivate")
    assert response.status_code == 302
    session.refresh(user)
    assert user.active is False
    other = app.test_client()
    login = other.post("/login", data={"email": user.email, "password": "correct horse battery"})
    assert login.status_code == 401
    client.post(f"/admin/users/{user.id}/reactivate")
    session.refresh(user)
    assert user.active is True
    login = other.post("/login", data={"email": user.email, "password": "correct horse battery"})
    assert login.status_code == 302
    assert [e.action for e in _audit(session, "user.deactivate")] == ["user.deactivate"]


def test_deactivation_signs_out_an_open_session(app, client, admin, make_user, session):
    user = make_user()
    other = app.test_client()
    other.post("/login", data={"email": user.email, "password": "correct horse battery"})
    assert other.get("/agent/").status_code == 200
    client.post(f"/admin/users/{user.id}/deactivate")
    assert other.get("/agent/").status_code == 302


def test_admin_cannot_deactivate_themself(client, admin, session):
    response = client.post(f"/admin/users/{admin.id}/deactivate", follow_redirects=True)
    assert "cannot deactivate your own account" in response.text or "désactiver votre propre" in (
        response.text
    )
    session.refresh(admin)
    assert admin.active is True


def test_unknown_user_is_404(client, admin):
    assert client.get("/admin/users/999999").status_code == 404
    assert client.post("/admin/users/999999/deactivate").status_code == 404


# --- directions ---------------------------------------------------------------------------------


def test_directions_tree_is_nested(client, admin, make_direction):
    dga = make_direction("DGA Ressources")
    dsi = make_direction("Direction du numérique", parent=dga)
    make_direction("Service infrastructures", parent=dsi)
    page = client.get("/admin/directions").text
    # Nested lists: the service is inside the DSI's list, which is inside the DGA's.
    assert page.index("DGA Ressources") < page.index("Direction du numérique")
    assert page.index("Direction du numérique") < page.index("Service infrastructures")
    assert page.count('<ul class="tree">') == 3


def test_create_direction(client, admin, session, make_direction):
    dga = make_direction("DGA Territoires")
    response = client.post(
        "/admin/directions",
        data={"name": "Direction des transports", "code": "dtra", "parent_id": dga.id},
    )
    assert response.status_code == 302
    created = session.scalar(select(Direction).where(Direction.code == "DTRA"))
    assert created is not None and created.parent_id == dga.id
    assert _audit(session, "direction.create")


def test_create_direction_refuses_a_taken_code(client, admin, make_direction):
    existing = make_direction("Direction des finances")
    response = client.post(
        "/admin/directions", data={"name": "Autre", "code": existing.code, "parent_id": 0}
    )
    assert response.status_code == 400
    assert existing.code in response.text
    assert 'value="Autre"' in response.text


def test_rename_direction(client, admin, session, make_direction):
    direction = make_direction("Direction du numerique")
    response = client.post(
        f"/admin/directions/{direction.id}",
        data={"action": "rename", "rename-name": "Direction du numérique", "rename-code": "DSI"},
    )
    assert response.status_code == 302
    session.refresh(direction)
    assert (direction.name, direction.code) == ("Direction du numérique", "DSI")


def test_move_direction_and_refuse_a_cycle(client, admin, session, make_direction):
    root = make_direction("DGS")
    dga = make_direction("DGA", parent=root)
    service = make_direction("Service", parent=dga)
    other = make_direction("Autre DGA", parent=root)
    moved = client.post(
        f"/admin/directions/{service.id}", data={"action": "move", "move-parent_id": other.id}
    )
    assert moved.status_code == 302
    session.refresh(service)
    assert service.parent_id == other.id
    # Moving the DGS under one of its descendants would make a cycle: refused.
    cycle = client.post(
        f"/admin/directions/{root.id}", data={"action": "move", "move-parent_id": service.id}
    )
    assert cycle.status_code == 400
    session.refresh(root)
    assert root.parent_id is None
    itself = client.post(
        f"/admin/directions/{dga.id}", data={"action": "move", "move-parent_id": dga.id}
    )
    assert itself.status_code == 400


def test_move_service_refuses_cycle(session, make_direction, make_user):
    from referral.errors import InvalidInput
    from referral.people import directions

    top = make_direction("Top")
    child = make_direction("Child", parent=top)
    grandchild = make_direction("Grandchild", parent=child)
    with pytest.raises(InvalidInput):
        directions.move(session, top, parent_id=grandchild.id, actor=None)
    directions.move(session, grandchild, parent_id=None, actor=None)
    assert grandchild.parent_id is None


def test_delete_only_an_empty_direction(
    client, admin, session, make_direction, make_user, make_offer
):
    parent = make_direction("Parent")
    child = make_direction("Enfant", parent=parent)
    with_staff = make_direction("Avec agents")
    make_user(direction_id=with_staff.id)
    with_offer = make_direction("Avec offre")
    make_offer(direction=with_offer)
    empty = make_direction("Vide")
    empty_id, child_id = empty.id, child.id
    for direction in (parent, with_staff, with_offer):
        response = client.post(f"/admin/directions/{direction.id}/delete", follow_redirects=True)
        assert response.status_code == 200
        assert session.get(Direction, direction.id) is not None
        assert "flash-error" in response.text
    assert client.post(f"/admin/directions/{child.id}/delete").status_code == 302
    assert client.post(f"/admin/directions/{empty.id}/delete").status_code == 302
    session.expire_all()
    left = set(session.scalars(select(Direction.id)))
    assert empty_id not in left and child_id not in left and parent.id in left
    assert len(_audit(session, "direction.delete")) == 2
    assert session.scalar(select(func.count(Offer.id))) == 1


def test_unknown_direction_is_404(client, admin):
    assert client.get("/admin/directions/999999").status_code == 404
    assert client.post("/admin/directions/999999/delete").status_code == 404


# --- staff import page --------------------------------------------------------------------------

GOOD = (
    "employee_number;email;first_name;last_name;job_title;direction_code;roles\n"
    "A1;claire.martin@region.example;Claire;Martin;Cheffe de projet;DSI;manager\n"
    "A2;hugo.bernard@region.example;Hugo;Bernard;Gestionnaire paie;DSI;\n"
)


@pytest.fixture
def dsi(session):
    direction = Direction(name="Direction du numérique", code="DSI")
    session.add(direction)
    session.commit()
    return direction


def _upload(client, text: str | bytes, dry_run=False, name="staff.csv"):
    data = text.encode("utf-8") if isinstance(text, str) else text
    form = {"file": (io.BytesIO(data), name)}
    if dry_run:
        form["dry_run"] = "y"
    return client.post("/admin/staff-import", data=form, content_type="multipart/form-data")


def test_import_page_documents_the_columns(client, admin):
    page = client.get("/admin/staff-import").text
    for column in (
        "employee_number",
        "email",
        "first_name",
        "last_name",
        "job_title",
        "direction_code",
        "roles",
    ):
        assert f"<code>{column}</code>" in page


def test_import_page_dry_run_then_import(client, admin, session, dsi):
    preview = _upload(client, GOOD, dry_run=True)
    assert preview.status_code == 200
    assert session.scalar(select(func.count(User.id))) == 1
    assert ">2<" in preview.text  # two accounts to create
    done = _upload(client, GOOD)
    assert done.status_code == 200
    claire = session.scalar(select(User).where(User.email == "claire.martin@region.example"))
    assert claire is not None and claire.direction_id == dsi.id and Role.MANAGER in claire.roles
    assert _audit(session, "staff.import")[-1].actor_id == admin.id


def test_import_page_reports_bad_lines_and_imports_nothing(client, admin, session, dsi):
    bad = GOOD + "A3;;Sans;Courriel;Agent;DSI;\nA4;x@region.example;X;Y;Agent;NOPE;\n"
    response = _upload(client, bad)
    assert response.status_code == 400
    assert "Line 4" in response.text or "Ligne 4" in response.text
    assert "Line 5" in response.text or "Ligne 5" in response.text
    assert "NOPE" in response.text
    assert session.scalar(select(func.count(User.id))) == 1


def test_import_page_refuses_a_binary_file(client, admin, session):
    response = _upload(client, b"PK\x03\x04\x00\x00binary", name="staff.xlsx")
    assert response.status_code == 400
    assert "CSV" in response.text


def test_import_page_needs_a_file(client, admin):
    response = client.post("/admin/staff-import", data={}, content_type="multipart/form-data")
    assert response.status_code == 400


def test_lists_load_in_a_fixed_number_of_queries(
    client, admin, make_user, make_direction, count_queries
):
    def measure(url):
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        return counter.count

    parent = make_direction("Parent")
    make_user(Role.MANAGER, direction_id=parent.id)
    small = (measure("/admin/users"), measure("/admin/directions"))
    for n in range(12):
        child = make_direction(f"Service {n}", parent=parent)
        make_user(Role.RECRUITER, direction_id=child.id)
    assert (measure("/admin/users"), measure("/admin/directions")) == small


def test_import_dry_run_lists_the_changes_and_flags_removed_roles(
    client, admin, session, make_user
):
    recruiter = make_user(Role.RECRUITER, email="rh@region.example", first_name="Rose")
    manager = make_user(Role.MANAGER, email="chef@region.example", first_name="Marc")
    text = (
        "email;first_name;last_name;roles\n"
        f"rh@region.example;Rose;{recruiter.last_name};\n"
        f"chef@region.example;Marc;{manager.last_name};\n"
    )
    page = _upload(client, text, dry_run=True)
    assert page.status_code == 200
    assert "rh@region.example" in page.text and "chef@region.example" in page.text
    assert page.text.count('<strong class="removed">') == 2
    assert "Chargé de recrutement" in page.text  # the role, in the page's language (French)
    assert "Roles removed" in page.text or "Rôles retirés" in page.text  # column header
    session.refresh(recruiter)
    assert Role.RECRUITER in recruiter.roles  # nothing changed yet


def test_deactivating_the_person_in_charge_of_open_offers_asks_first(
    client, admin, session, make_user, make_offer
):
    manager = make_user(Role.MANAGER, first_name="Marc", last_name="Durand")
    published = make_offer(title="Juriste marchés publics", hiring_manager=manager)
    make_offer(status="closed", title="Offre close", hiring_manager=manager)
    asked = client.post(f"/admin/users/{manager.id}/deactivate")
    assert asked.status_code == 409
    assert "Juriste marchés publics" in asked.text and "Offre close" not in asked.text
    assert f"/manager/offers/{published.id}/edit" in asked.text
    assert 'name="despite_offers" value="1"' in asked.text
    session.refresh(manager)
    assert manager.active
    done = client.post(f"/admin/users/{manager.id}/deactivate", data={"despite_offers": "1"})
    assert done.status_code == 302
    session.refresh(manager)
    assert not manager.active
