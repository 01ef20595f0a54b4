"""Fixtures shared by the drugs area's integration tests."""

import pytest

from tests.integration.drugs_helpers import load_sample
from webapp.extensions import db


@pytest.fixture
def drugs(app, tmp_path):
    """The app with the sample drug reference loaded."""
    with app.app_context():
        load_sample(tmp_path)
        db.session.remove()
    return app
