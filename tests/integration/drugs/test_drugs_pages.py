"""Drug pages and the drug API on a small copy of the embedded data."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from webapp.blueprints.drugs.models import Drug, Product
from webapp.extensions import db


def text(response) -> str:
    return response.get_data(as_text=True)


def test_a_to_z_lists_drugs_with_letters_kinds_and_paging(client, drugs):
    page = text(client.get("/drugs"))
    assert "Atorvastatin" in page and "Vitamin D3" in page
    only_a = text(client.get("/drugs?letter=A"))
    assert "Atorvastatin" in only_a and "Ibuprofen" not in only_a
    otc = text(client.get("/drugs?kind=otc"))
    assert "Ibuprofen" in otc and "Atorvastatin" not in otc
    assert "No drugs match" in text(client.get("/drugs?page=99"))
    # Hostile paging and filter values are ignored, not errors.
    for query in ("page=abc", "page=-5", "kind=%3Cscript%3E", "letter=%F0%9F%92%8A", "page=99999999999999999999"):
        assert client.get(f"/drugs?{query}").status_code == 200


@pytest.mark.parametrize("blank", ["", "   ", "%09"])
def test_an_empty_search_shows_the_list_with_a_hint(client, drugs, blank):
    for url in (f"/drugs/search?q={blank}", f"/drugs?q={blank}"):
        response = client.get(url)
        assert response.status_code == 200
        assert "Type the name of a drug" in text(response) and "Atorvastatin" in text(response)


def test_search_corrects_typos_and_finds_brands(client, drugs):
    page = text(client.get("/drugs/search?q=ibuprofin"))
    assert "Showing results for <strong>ibuprofen</strong>" in page
    assert page.index("/drugs/ibuprofen") < page.index("Advil") or "/drugs/ibuprofen" in page
    tylenol = text(client.get("/drugs/search?q=tylenol"))
    assert tylenol.index('href="/drugs/acetaminophen"') < tylenol.index('href="/drugs/products/tylenol"')
    lipator = text(client.get("/drugs/search?q=lipator"))
    assert 'href="/drugs/atorvastatin"' in lipator


def test_search_by_condition_leads_to_the_condition_page(client, drugs):
    page = text(client.get("/drugs/search?q=high+blood+pressure"))
    assert 'href="/conditions/hypertension"' in page
    condition = text(client.get("/conditions/hypertension"))
    assert "Drugs for High blood pressure" in condition and "Lisinopril" in condition
    assert client.get("/conditions/no-such-thing").status_code == 404
    assert "High blood pressure" in text(client.get("/conditions"))


@pytest.mark.parametrize("query", [
    "x" * 2000, "<script>alert(1)</script>", "' OR 1=1; DROP TABLE drugs; --", "\U0001F48A\U0001F600",
    "%FF%FE%FD", "a%00b", "%25", "vitamin%20d%20%20%20",
])
def test_hostile_queries_are_just_searched(client, drugs, query):
    for url in (f"/drugs/search?q={query}", f"/drugs/autocomplete?q={query}", f"/api/v1/drugs?q={query}"):
        response = client.get(url)
        assert response.status_code in (200, 400), url
        if response.mimetype == "text/html":
            assert "<script>alert(1)</script>" not in text(response)


def test_drug_page_has_the_monograph_sections_and_links(client, drugs):
    page = text(client.get("/drugs/atorvastatin"))
    for heading in ("On this page", "Uses", "How to take it", "Side effects", "Warnings and precautions",
                    "Who should not take it", "Overdose", "Storage", "Forms and strengths", "Sources"):
        assert f">{heading}</h2>" in page, heading
    assert 'href="#side-effects"' in page
    assert "Lipitor" in page and 'href="/conditions/high-cholesterol"' in page
    assert 'href="/drugs/products/lipitor"' in page  # catalogue products of this drug
    assert "No one has reviewed Atorvastatin yet" in page
    assert client.get("/drugs/no-such-drug").status_code == 404


def test_product_pages_by_name_and_by_id(client, drugs, app):
    page = text(client.get("/drugs/products/lipitor"))
    assert "Lipitor" in page and "EQ 20MG BASE" in page and "PFIZER IRELAND" in page
    assert 'href="/drugs/atorvastatin"' in page  # the monograph of its ingredient
    with app.app_context():
        product_id = db.session.execute(select(Product.id).where(Product.brand_name == "TYLENOL")).scalar_one()
    single = text(client.get(f"/drugs/products/{product_id}"))
    assert "Over the counter" in single and 'href="/drugs/acetaminophen"' in single
    assert client.get("/drugs/products/999999").status_code == 404
    assert client.get("/drugs/products/nothing-here").status_code == 404


def test_autocomplete_suggests_drugs_first(client, drugs):
    data = client.get("/drugs/autocomplete?q=lip").get_json()
    assert data["suggestions"][0] == {"type": "drug", "name": "Atorvastatin", "kind": "Prescription",
                                      "matched": "Lipitor", "url": "/drugs/atorvastatin"}
    assert client.get("/drugs/autocomplete?q=").get_json()["suggestions"] == []


def test_api_lists_searches_and_describes(client, drugs):
    everything = client.get("/api/v1/drugs").get_json()
    assert everything["total"] == 6 and everything["page"] == 1
    assert [r["slug"] for r in everything["results"]][:2] == ["acetaminophen", "atorvastatin"]
    first = everything["results"][0]
    assert set(first) == {"type", "slug", "name", "kind", "generic_name", "brand_names", "url"}
    assert first["url"].endswith("/drugs/acetaminophen")

    found = client.get("/api/v1/drugs?q=tylenol").get_json()
    assert found["results"][0]["slug"] == "acetaminophen"
    assert {"drug", "product"} <= {r["type"] for r in found["results"]}
    assert client.get("/api/v1/drugs?kind=vitamin").get_json()["total"] == 1
    by_condition = client.get("/api/v1/drugs?condition=hypertension").get_json()
    assert [r["slug"] for r in by_condition["results"]] == ["lisinopril"]
    assert client.get("/api/v1/drugs?page=2").get_json()["results"] == []

    detail = client.get("/api/v1/drugs/octreotide").get_json()
    assert detail["kind"] == "prescription" and detail["monograph"]["summary"]
    assert detail["reviews"]["count"] == 0

    for url, status in (("/api/v1/drugs/nope", 404), ("/api/v1/drugs?page=abc", 400), ("/api/v1/drugs?kind=x", 400),
                        ("/api/v1/drugs?condition=nope", 404)):
        response = client.get(url)
        assert response.status_code == status and response.is_json and response.get_json()["error"]["message"]


def test_seed_twice_changes_nothing(app, tmp_path):
    from tests.integration.drugs_helpers import sample_data_dir
    from webapp.blueprints.drugs import loader as drug_loader

    with app.app_context():
        folder = sample_data_dir(tmp_path)
        drug_loader.load(db.session, folder)
        db.session.commit()
        updated = db.session.execute(select(func.max(Drug.updated_at))).scalar_one()
        second = drug_loader.load(db.session, folder)
        db.session.commit()
        assert (second["drugs"].created, second["drugs"].updated) == (0, 0)
        assert (second["terms_added"], second["terms_removed"]) == (0, 0)
        assert db.session.execute(select(func.max(Drug.updated_at))).scalar_one() == updated


def test_drug_and_condition_pages_are_in_the_site_search(app, drugs):
    from webapp.core.search import index as site_search

    with app.app_context():
        found = site_search.search(db.session, "Lipitor", kinds=["drug"])
        assert [h.url for h in found.hits][:1] == ["/drugs/atorvastatin"]
        conditions = site_search.search(db.session, "hypertension", kinds=["condition"])
        assert "/conditions/hypertension" in [h.url for h in conditions.hits]
