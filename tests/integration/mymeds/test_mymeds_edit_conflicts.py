"""Two tabs (or two carers on one account) editing the same profile or medicine: the later
save never silently overwrites the earlier one, and double submits never make two."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.conftest import PASSWORD
from tests.integration.concurrency import waits_for
from tests.integration.mymeds_helpers import make_reference, shown_version
from webapp.blueprints.mymeds import profiles as profiles_service
from webapp.blueprints.mymeds.models import MedProfile, SavedMedicine
from webapp.blueprints.mymeds.profiles import MedicineDetails, MyMedsError, ProfileData
from webapp.core.edit_conflicts import conflict_message
from webapp.extensions import db


@pytest.fixture
def reference(app):
    with app.app_context():
        return make_reference()


def text_of(response) -> str:
    return response.get_data(as_text=True)


def new_profile(client, **fields) -> int:
    response = client.post("/my-medicine/profiles/new", data={"relation": "grandparent", **fields})
    assert response.status_code == 302
    return int(re.search(r"/profiles/(\d+)", response.location).group(1))


def me_profile_id(client) -> int:
    page = text_of(client.get("/my-medicine"))
    return int(re.search(r'href="/my-medicine/profiles/(\d+)"', page).group(1))


def add_medicine(client, app, profile_id, name, **fields) -> int:
    response = client.post(f"/my-medicine/profiles/{profile_id}/medicines", data={"name": name, **fields})
    assert response.status_code == 302
    return int(re.search(r"added=(\d+)", response.location).group(1))


def conflict_box(page: str) -> str:
    """The alert and the saved version shown with it, up to the person's own version."""
    start = page.index('class="error-summary edit-conflict" role="alert"')
    return page[start:page.index("<h2>Your version</h2>", start)]


def form_part(page: str) -> str:
    return page[page.index('<form method="post" novalidate'):]


def load(app, model, record_id):
    with app.app_context():
        record = db.session.get(model, record_id)
        db.session.expunge(record)
        return record


def test_a_profile_saved_in_another_tab_is_not_overwritten(logged_in_client, app):
    pid = new_profile(logged_in_client, name="Grandpa Joe", allergies="penicillin")
    url = f"/my-medicine/profiles/{pid}/edit"
    tab_a, tab_b = shown_version(logged_in_client, url), shown_version(logged_in_client, url)

    saved_b = logged_in_client.post(url, data={"name": "Grandpa Joe", "relation": "grandparent",
                                               "allergies": "penicillin, sulfa", "shown_version": tab_b})
    assert saved_b.status_code == 302

    typed_a = {"name": "Joseph", "relation": "parent", "birth_year": "1941", "allergies": "latex <b>hives</b>"}
    refused = logged_in_client.post(url, data={**typed_a, "shown_version": tab_a})
    assert refused.status_code == 409
    page = text_of(refused)
    box = conflict_box(page)
    assert html.escape(conflict_message("This profile"), quote=False) in box
    assert page.index("edit-conflict") < page.index('<form method="post" novalidate')  # at the top, above the form
    # The current (tab B) values next to the message ...
    assert "Grandpa Joe" in box and "penicillin, sulfa" in box and "Grandparent" in box
    # ... and what tab A typed still in the form, escaped.
    form = form_part(page)
    assert 'value="Joseph"' in form and 'value="1941"' in form and "latex &lt;b&gt;hives&lt;/b&gt;" in form
    assert '<option selected value="parent">' in form
    profile = load(app, MedProfile, pid)
    assert (profile.name, profile.relation, profile.birth_year, profile.allergies) == \
        ("Grandpa Joe", "grandparent", None, "penicillin, sulfa")

    # Saving again from the refreshed form keeps tab A's version.
    again = re.search(r'name="shown_version" type="hidden" value="([0-9a-f]+)"', form).group(1)
    assert again != tab_a
    assert logged_in_client.post(url, data={**typed_a, "shown_version": again}).status_code == 302
    profile = load(app, MedProfile, pid)
    assert (profile.name, profile.relation, profile.birth_year, profile.allergies) == \
        ("Joseph", "parent", 1941, "latex <b>hives</b>")


def test_a_medicine_saved_in_another_tab_is_not_overwritten(logged_in_client, app, reference):
    pid = me_profile_id(logged_in_client)
    mid = add_medicine(logged_in_client, app, pid, "warfarin", strength="5 mg")
    url = f"/my-medicine/medicines/{mid}/edit"
    tab_a, tab_b = shown_version(logged_in_client, url), shown_version(logged_in_client, url)

    assert logged_in_client.post(url, data={"strength": "2.5 mg", "how_taken": "evening",
                                            "shown_version": tab_b}).status_code == 302
    typed_a = {"strength": "10 mg", "how_taken": "morning", "started_on": "2024-03-01", "notes": "check INR"}
    refused = logged_in_client.post(url, data={**typed_a, "shown_version": tab_a})
    assert refused.status_code == 409
    page = text_of(refused)
    box = conflict_box(page)
    assert html.escape(conflict_message("This medicine"), quote=False) in box
    assert "2.5 mg" in box and "evening" in box and "10 mg" not in box
    form = form_part(page)
    assert 'value="10 mg"' in form and 'value="morning"' in form and 'value="2024-03-01"' in form and "check INR" in form
    medicine = load(app, SavedMedicine, mid)
    assert (medicine.strength, medicine.how_taken, medicine.started_on, medicine.notes) == ("2.5 mg", "evening", None, "")

    again = re.search(r'name="shown_version" type="hidden" value="([0-9a-f]+)"', form).group(1)
    assert logged_in_client.post(url, data={**typed_a, "shown_version": again}).status_code == 302
    medicine = load(app, SavedMedicine, mid)
    assert (medicine.strength, medicine.how_taken, str(medicine.started_on), medicine.notes) == \
        ("10 mg", "morning", "2024-03-01", "check INR")


def test_renaming_a_medicine_saved_under_a_typed_name_counts_as_an_edit(logged_in_client, app, reference):
    pid = me_profile_id(logged_in_client)
    mid = add_medicine(logged_in_client, app, pid, "Grandma's tonic", save_unrecognised="y")
    url = f"/my-medicine/medicines/{mid}/edit"
    tab_a, tab_b = shown_version(logged_in_client, url), shown_version(logged_in_client, url)
    assert logged_in_client.post(url, data={"name": "Herbal tonic", "shown_version": tab_b}).status_code == 302
    refused = logged_in_client.post(url, data={"name": "Grandma's tonic", "strength": "5 ml", "shown_version": tab_a})
    assert refused.status_code == 409 and "Herbal tonic" in conflict_box(text_of(refused))
    assert load(app, SavedMedicine, mid).name == "Herbal tonic"


@pytest.mark.parametrize("hidden", [None, "", "0" * 32, "<script>alert(1)</script>", "x" * 5000])
def test_a_post_without_a_valid_fingerprint_overwrites_nothing(logged_in_client, app, reference, hidden):
    pid = new_profile(logged_in_client, name="Sam", allergies="penicillin")
    mid = add_medicine(logged_in_client, app, pid, "ibuprofen", strength="200 mg")
    extra = {} if hidden is None else {"shown_version": hidden}
    response = logged_in_client.post(f"/my-medicine/profiles/{pid}/edit", data={"name": "Hijack", "relation": "child", **extra})
    assert response.status_code == 409 and "<script>alert(1)" not in text_of(response)
    response = logged_in_client.post(f"/my-medicine/medicines/{mid}/edit", data={"strength": "1 mg", **extra})
    assert response.status_code == 409
    assert load(app, MedProfile, pid).name == "Sam" and load(app, SavedMedicine, mid).strength == "200 mg"


def test_changes_the_form_does_not_edit_are_no_conflict(logged_in_client, app, reference):
    pid = me_profile_id(logged_in_client)
    mid = add_medicine(logged_in_client, app, pid, "warfarin")
    url = f"/my-medicine/medicines/{mid}/edit"
    shown = shown_version(logged_in_client, url)
    logged_in_client.post(f"/my-medicine/medicines/{mid}/status", data={"action": "stop"})  # another tab
    assert logged_in_client.post(url, data={"strength": "5 mg", "shown_version": shown}).status_code == 302
    assert load(app, SavedMedicine, mid).strength == "5 mg"


def test_the_me_profile_edits_normally_and_other_members_still_get_404(logged_in_client, app, make_user):
    pid = me_profile_id(logged_in_client)
    url = f"/my-medicine/profiles/{pid}/edit"
    response = logged_in_client.post(url, data={"name": "Morgan", "relation": "self", "shown_version": shown_version(
        logged_in_client, url)})
    assert response.status_code == 302 and load(app, MedProfile, pid).name == "Morgan"

    shown = shown_version(logged_in_client, url)
    make_user("mallory@example.com")
    other = app.test_client()
    other.post("/login", data={"email": "mallory@example.com", "password": PASSWORD})
    assert other.get(url).status_code == 404
    assert other.post(url, data={"name": "Hijack", "relation": "self", "shown_version": shown}).status_code == 404
    assert load(app, MedProfile, pid).name == "Morgan"


def test_a_profile_removed_in_another_tab_gives_404_on_save(logged_in_client, app):
    pid = new_profile(logged_in_client, name="Sam")
    url = f"/my-medicine/profiles/{pid}/edit"
    shown = shown_version(logged_in_client, url)
    assert logged_in_client.post(f"/my-medicine/profiles/{pid}/delete").status_code == 302
    assert logged_in_client.post(url, data={"name": "Sam", "relation": "child", "shown_version": shown}).status_code == 404


# --- double submits: the second of two requests at once waits for the first, then finds its row ---------


def _second_request_at_once(engine, first: Session, second_step) -> str:
    """Run second_step in another session while `first` has done the same step but not committed
    yet: the second waits, then says how it ended."""

    def run() -> str:
        with Session(engine) as second:
            try:
                second_step(second)
                second.commit()
                return "saved"
            except MyMedsError as exc:
                return exc.message

    return waits_for(first, run)


def test_adding_the_same_medicine_twice_at_once_keeps_one(logged_in_client, app, reference):
    pid = me_profile_id(logged_in_client)
    with app.app_context():
        engine = db.engine
        (found,) = profiles_service.resolve_names(db.session, ["warfarin"])
    source = found.found

    def add(session):
        profiles_service.add_medicine(session, session.get(MedProfile, pid), source, MedicineDetails(strength="5 mg"))

    first = Session(engine)
    add(first)
    assert _second_request_at_once(engine, first, add) == "Warfarin 5 mg is already on the list of Me."
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(SavedMedicine)).scalar_one() == 1


def test_creating_the_same_profile_twice_at_once_keeps_one(logged_in_client, app, user):
    with app.app_context():
        engine = db.engine

    def create(session):
        profiles_service.create_profile(session, user.id, ProfileData(name="Sam", relation="child"), ())

    first = Session(engine)
    create(first)
    assert _second_request_at_once(engine, first, create) == "You already have a profile called Sam."
    with app.app_context():
        names = db.session.execute(select(MedProfile.name).where(MedProfile.user_id == user.id)).scalars().all()
        assert names == ["Sam"]


def test_two_first_visits_at_once_make_one_me_profile(app, user):
    with app.app_context():
        engine = db.engine

    def visit(session):
        profiles_service.ensure_me_profile(session, user.id)

    first = Session(engine)
    visit(first)
    assert _second_request_at_once(engine, first, visit) == "saved"
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(MedProfile)).scalar_one() == 1


def _save_while_another_save_is_running(app, client, url, data, other_save) -> int:
    """POST the edit form while another transaction holds the record (loaded for update, changed,
    not yet committed): the POST has to wait for it, and then sees its change."""
    with app.app_context():
        engine = db.engine
    first = Session(engine)
    other_save(first)
    return waits_for(first, lambda: client.post(url, data=data).status_code)


def test_two_profile_saves_at_once_take_turns(logged_in_client, app, user):
    pid = new_profile(logged_in_client, name="Sam")
    url = f"/my-medicine/profiles/{pid}/edit"
    shown = shown_version(logged_in_client, url)

    def other_save(session):
        profiles_service.get_profile(session, user.id, pid, for_update=True).allergies = "penicillin"
        session.flush()

    status = _save_while_another_save_is_running(app, logged_in_client, url, {
        "name": "Sam", "relation": "child", "allergies": "latex", "shown_version": shown}, other_save)
    assert status == 409 and load(app, MedProfile, pid).allergies == "penicillin"


def test_two_medicine_saves_at_once_take_turns(logged_in_client, app, user, reference):
    mid = add_medicine(logged_in_client, app, me_profile_id(logged_in_client), "warfarin")
    url = f"/my-medicine/medicines/{mid}/edit"
    shown = shown_version(logged_in_client, url)

    def other_save(session):
        profiles_service.get_medicine(session, user.id, mid, for_update=True).strength = "5 mg"
        session.flush()

    status = _save_while_another_save_is_running(app, logged_in_client, url, {"strength": "1 mg", "shown_version": shown},
                                                 other_save)
    assert status == 409 and load(app, SavedMedicine, mid).strength == "5 mg"
