"""With the real Drugs@FDA catalogue loaded (`flask import drugsatfda`), the brand and generic
names people type resolve to their active moieties, and every catalogue product resolves to
at least one moiety (the count bench/moiety_coverage.py prints)."""

from __future__ import annotations

import pytest

from tests.integration.drugs_helpers import DRUGSATFDA, SHARED, sample_data_dir
from webapp.blueprints.drugs import loader as drug_loader
from webapp.blueprints.drugs.moieties import coverage, read_products
from webapp.blueprints.mymeds.profiles import resolve_names
from webapp.extensions import db

needs_files = pytest.mark.skipif(not DRUGSATFDA.is_dir(), reason=f"the Drugs@FDA files are not here ({SHARED} is absent)")

EXPECTED = {
    "Nexium": {"esomeprazole"},
    "Lyrica": {"pregabalin"},
    "Celebrex": {"celecoxib"},
    "Zetia": {"ezetimibe"},
    "Depakote": {"valproic acid"},
    "Suboxone": {"buprenorphine", "naloxone"},
    "morphine": {"morphine"},
    "fentanyl": {"fentanyl"},
    "verapamil": {"verapamil"},
    "tamoxifen": {"tamoxifen"},
    "Vimovo": {"naproxen", "esomeprazole"},
    "hydrocodone bitartrate and acetaminophen": {"hydrocodone", "acetaminophen"},
}


@needs_files
def test_every_catalogue_product_resolves_to_a_moiety():
    report = coverage(read_products(DRUGSATFDA / "Products.txt"))
    assert report.products == 39_473
    assert report.unresolved == 0, report.lines()


@needs_files
def test_names_people_type_are_recognised_with_the_catalogue_loaded(app, runner, tmp_path):
    with app.app_context():
        drug_loader.load(db.session, sample_data_dir(tmp_path))
        db.session.commit()
    result = runner.invoke(args=["import", "drugsatfda", str(DRUGSATFDA)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        found = {r.input: r.found for r in resolve_names(db.session, list(EXPECTED))}
        for name, moieties in EXPECTED.items():
            assert found[name] is not None, f"{name} was not recognised"
            assert set(found[name].ingredients) == moieties, (name, found[name].ingredients)
