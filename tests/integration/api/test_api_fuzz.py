"""A short schemathesis run inside the test suite, through Flask's test client: a change that
makes the API and its document disagree shows in `make test`, not only in CI's longer
.ci/api-fuzz run. A few examples per operation and mode, derandomized (the same ones every run)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.integration.drugs_helpers import load_sample
from webapp.blueprints.pills.models import Pill
from webapp.blueprints.pills.search import refresh_facet_counts, set_imprint_keys
from webapp.extensions import db

EXAMPLES = 15


@pytest.fixture
def fuzzed_app(app, tmp_path):
    """The sample drugs with their catalogue products, and two pills to find."""
    with app.app_context():
        load_sample(tmp_path)
        for ndc, imprint, colour, shape in (("11111-111", "L227", "C48325", "C48345"), ("22222-222", "PD;155;10", "C48330", "C48348")):
            pill = Pill(setid=f"fuzz-{ndc}", product_ndc=ndc, name="Sample", strength="10 mg", labeler="Sample Labs",
                        dosage_form="TABLET", spl_version=1, imprint=imprint, color1=colour, shape=shape, size_mm=10.0, score=2)
            set_imprint_keys(pill)
            db.session.add(pill)
        db.session.flush()
        refresh_facet_counts(db.session)
        db.session.commit()
        db.session.remove()
    return app


def test_every_operation_answers_as_documented(fuzzed_app):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzzed_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 4
    unsatisfiable = []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
                      suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(mode))
            def run(case):
                case.call_and_validate()

            try:
                run()
            except Unsatisfiable:
                # Nothing invalid can be written for it (GET /drugs/{slug} takes any text).
                unsatisfiable.append((operation.label, mode.value))
    assert unsatisfiable == [("GET /drugs/{slug}", "negative")]
