"""Drug name search without the app: normalisation, typo keys and ranking over an
in-memory SQLite database holding only the search tables."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from webapp.blueprints.drugs import search as drug_search
from webapp.blueprints.drugs.models import DrugSearchTerm, DrugSearchTypoKey
from webapp.blueprints.drugs.search import normalize, skeleton


@pytest.mark.parametrize(("raw", "expected"), [
    ("Lipitor", "lipitor"),
    ("  St. John's Wort  ", "st johns wort"),
    ("ST JOHN\u2019S WORT", "st johns wort"),
    ("Tylenol®  Extra-Strength", "tylenol extra strength"),
    ("Cold & Flu", "cold and flu"),
    ("Vitamin D3", "vitamin d3"),
    ("Café Crème", "cafe creme"),
    ("<script>alert(1)</script>", "script alert 1 script"),
    ("' OR 1=1 --", "or 1 1"),
    ("\U0001F48A pill", "pill"),
    ("a\x00b", "a b"),
    ("", ""),
    ("   ", ""),
    (None, ""),
])
def test_normalize(raw, expected):
    assert normalize(raw) == expected


def test_normalize_cuts_very_long_input():
    assert len(normalize("ab " * 5000)) <= drug_search.MAX_QUERY_CHARS


def test_sound_alike_spellings_share_a_skeleton():
    assert skeleton("acetaminofen") == skeleton("acetaminophen")
    assert skeleton("amoxicilin") == skeleton("amoxicillin")
    assert skeleton("cetirisine") == skeleton("cetirizine")
    assert skeleton("lipitor") != skeleton("lisinopril")


@pytest.mark.parametrize(("a", "b", "distance"), [
    ("ibuprofin", "ibuprofen", 1),
    ("lipator", "lipitor", 1),
    ("lipitro", "lipitor", 1),  # adjacent letters swapped
    ("metformin", "metformin", 0),
    ("aspirin", "zyrtec", 4),  # stops counting past the limit
])
def test_edit_distance(a, b, distance):
    assert drug_search.edit_distance(a, b, limit=3) == min(distance, 4)


def test_word_suffixes_and_prefix_bound():
    assert drug_search.word_suffixes("tylenol extra strength") == ["extra strength", "strength"]
    assert drug_search.prefix_upper_bound("lip") == "liq"
    assert "lipitor" < drug_search.prefix_upper_bound("lip") <= "liq"


# --- ranking over a small index ---------------------------------------------------------


@pytest.fixture
def session():
    engine = create_engine("sqlite://")
    DrugSearchTerm.__table__.create(engine)
    DrugSearchTypoKey.__table__.create(engine)
    with Session(engine) as session:
        rows = []
        drugs = [
            ("atorvastatin", "Atorvastatin", 5, [("generic", "atorvastatin"), ("brand", "Lipitor")]),
            ("acetaminophen", "Acetaminophen", 5, [("brand", "Tylenol"), ("synonym", "paracetamol"), ("synonym", "APAP")]),
            ("ibuprofen", "Ibuprofen", 5, [("brand", "Advil"), ("brand", "Motrin IB")]),
            ("lisinopril", "Lisinopril", 5, [("brand", "Zestril")]),
            ("ivermectin-sample", "Ivermectin", 1, []),
            ("vitamin-d3", "Vitamin D3", 4, [("synonym", "vitamin D"), ("ingredient", "cholecalciferol")]),
        ]
        for slug, name, popularity, names in drugs:
            rows += drug_search.terms_for("drug", slug, name, drug_search.drug_weight(popularity),
                                          [("name", name)] + names)
        rows += drug_search.terms_for("condition", "hypertension", "High blood pressure (hypertension)",
                                      drug_search.CONDITION_WEIGHT,
                                      [("condition", "High blood pressure (hypertension)"),
                                       ("condition", "high blood pressure"), ("condition", "HBP")])
        rows += drug_search.terms_for("product", "lipitor", "Lipitor", drug_search.product_weight(4, True),
                                      [("brand", "LIPITOR"), ("ingredient", "ATORVASTATIN CALCIUM")])
        rows += drug_search.terms_for("product", "tylenol-w-codeine", "Tylenol W/ Codeine",
                                      drug_search.product_weight(2, False),
                                      [("brand", "TYLENOL W/ CODEINE"), ("ingredient", "ACETAMINOPHEN")])
        drug_search.sync_terms(session, ("drug", "condition", "product"), rows)
        drug_search.sync_typo_keys(session)
        session.commit()
        yield session
    engine.dispose()


def top(session, text, n=1, **kwargs):
    return [(h.target_type, h.target_key) for h in drug_search.search(session, text, **kwargs).hits[:n]]


def test_generic_name_ranks_the_drug_first(session):
    assert top(session, "atorvastatin") == [("drug", "atorvastatin")]


def test_brand_name_finds_the_generic_drug_before_the_catalogue_product(session):
    assert top(session, "lipitor", 2) == [("drug", "atorvastatin"), ("product", "lipitor")]
    assert top(session, "Tylenol") == [("drug", "acetaminophen")]
    assert top(session, "motrin") == [("drug", "ibuprofen")]


def test_synonym_finds_the_drug(session):
    assert top(session, "paracetamol") == [("drug", "acetaminophen")]
    assert top(session, "cholecalciferol") == [("drug", "vitamin-d3")]


def test_prefix_matches_rank_common_drugs_first(session):
    assert top(session, "li", 2) == [("drug", "atorvastatin"), ("drug", "lisinopril")] or \
        top(session, "li", 2) == [("drug", "lisinopril"), ("drug", "atorvastatin")]
    assert top(session, "ibu") == [("drug", "ibuprofen")]
    # Ivermectin (rarely used) comes after Ibuprofen for "i".
    keys = [k for _t, k in top(session, "i", 10)]
    assert keys.index("ibuprofen") < keys.index("ivermectin-sample")


@pytest.mark.parametrize(("typed", "expected"), [
    ("ibuprofin", "ibuprofen"),
    ("lipator", "atorvastatin"),
    ("tylenal", "acetaminophen"),
    ("acetaminofen", "acetaminophen"),
    ("asetaminophen", "acetaminophen"),
    ("atorvastaton", "atorvastatin"),
])
def test_typos_are_corrected(session, typed, expected):
    outcome = drug_search.search(session, typed)
    assert outcome.hits and outcome.hits[0].target_key == expected
    assert outcome.hits[0].typo and outcome.corrected


def test_exact_spelling_is_not_reported_as_a_correction(session):
    outcome = drug_search.search(session, "ibuprofen")
    assert outcome.corrected is None and not outcome.hits[0].typo


def test_condition_synonyms(session):
    assert top(session, "high blood pressure") == [("condition", "hypertension")]
    assert top(session, "hbp") == [("condition", "hypertension")]


def test_word_inside_a_name(session):
    assert ("product", "tylenol-w-codeine") in top(session, "codeine", 5)


def test_words_in_any_order(session):
    assert ("drug", "vitamin-d3") in top(session, "d3 vitamin", 5)


def test_target_type_filter(session):
    assert all(t == "drug" for t, _k in top(session, "lip", 10, target_types=("drug",)))


@pytest.mark.parametrize("junk", ["", "   ", "zzzzqqq", "x" * 2000, "<script>", "' OR 1=1 --", "\U0001F48A", "a\x00"])
def test_junk_queries_do_not_fail(session, junk):
    drug_search.search(session, junk)


def test_sync_is_idempotent(session):
    rows = drug_search.terms_for("drug", "ibuprofen", "Ibuprofen", 1500, [("name", "Ibuprofen"), ("brand", "Advil")])
    # Re-syncing only the drug rows would remove the others; use a separate type set.
    before = session.query(DrugSearchTerm).filter_by(target_type="drug").count()
    existing = [drug_search.TermRow(*r) for r in session.query(
        DrugSearchTerm.key, DrugSearchTerm.target_type, DrugSearchTerm.target_key, DrugSearchTerm.label,
        DrugSearchTerm.matched, DrugSearchTerm.match_kind, DrugSearchTerm.weight).filter_by(target_type="drug")]
    assert drug_search.sync_terms(session, ("drug",), existing) == (0, 0)
    assert session.query(DrugSearchTerm).filter_by(target_type="drug").count() == before
    added, removed = drug_search.sync_terms(session, ("drug",), rows)
    assert removed > 0 and added == 0
    assert drug_search.sync_typo_keys(session) != (0, 0)
    assert drug_search.sync_typo_keys(session) == (0, 0)
