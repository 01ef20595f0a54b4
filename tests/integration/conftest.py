"""Fixtures shared by the integration tests of several areas."""

from __future__ import annotations

import pytest

from tests.integration._community import ask, client_as, setup_people, thread_id_from
from tests.integration.drugs_helpers import load_sample
from webapp.extensions import db

# --- community: an asker, another member, an expert and a moderator, each logged in ---

@pytest.fixture
def people(app, make_user):
    return setup_people(app, make_user)


@pytest.fixture
def asker(app, people):
    return client_as(app, people.asker.email)


@pytest.fixture
def other(app, people):
    return client_as(app, people.other.email)


@pytest.fixture
def expert(app, people):
    return client_as(app, people.expert.email)


@pytest.fixture
def mod(app, people):
    return client_as(app, people.moderator.email)


@pytest.fixture
def thread_id(asker):
    return thread_id_from(ask(asker))


# --- drugs: the sample reference (tests/integration/drugs_helpers.py), without Drugs@FDA products ---

@pytest.fixture
def drugs(app, tmp_path):
    with app.app_context():
        load_sample(tmp_path, with_products=False)
        db.session.remove()
    return app
