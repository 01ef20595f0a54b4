"""The Pill Identifier pages, picture and API against a real database (SQLite or PostgreSQL)."""

from __future__ import annotations

import pytest

from webapp.blueprints.pills.models import Pill
from webapp.blueprints.pills.search import refresh_facet_counts, set_imprint_keys
from webapp.extensions import db


@pytest.fixture
def make_pill(app):
    def factory(**values) -> int:
        defaults = {"setid": f"test-{values.get('product_ndc', 'x')}", "product_ndc": "00000-000", "name": "Sample",
                    "strength": "10 mg", "labeler": "Sample Labs", "dosage_form": "TABLET", "spl_version": 1}
        with app.app_context():
            pill = Pill(**{**defaults, **values})
            set_imprint_keys(pill)
            db.session.add(pill)
            db.session.flush()
            refresh_facet_counts(db.session)
            db.session.commit()
            return pill.id
    return factory


@pytest.fixture
def pills(make_pill):
    return {
        "lipitor": make_pill(product_ndc="0071-0155", name="Lipitor", imprint="PD;155;10", color1="C48325",
                             shape="C48345", size_mm=10.0, score=1),
        "baclofen": make_pill(product_ndc="33261-010", name="Baclofen", imprint="2265;V", color1="C48325",
                              shape="C48345", size_mm=11.0, score=2),
        "capsule": make_pill(product_ndc="55315-225", name="Sleep Aid", imprint="A41", color1="C48327",
                             color2="C48325", shape="C48336", size_mm=15.0, score=1),
        "liquid": make_pill(product_ndc="42507-759", name="Pain relief suspension", color1="C48326"),
    }


def test_form_without_javascript_and_named_colours(client):
    page = client.get("/pill-identifier").get_data(as_text=True)
    assert "<h1>Pill Identifier</h1>" in page
    assert 'method="get"' in page
    for name in ("White", "Turquoise", "Gray", "Pentagon (5 sides)", "Double circle", "Freeform"):
        assert f"{name}</label>" in page
    assert "No pill matches" not in page


def test_search_by_imprint_colour_and_shape_explains_the_match(client, pills):
    page = client.get("/pill-identifier?imprint=10+pd-155&color=white&shape=oval").get_data(as_text=True)
    assert "1 pill found" in page
    assert "100% match:</strong> imprint matches exactly (PD · 155 · 10); colour white; shape oval." in page
    assert f'/pill-identifier/pills/{pills["lipitor"]}/image.svg' in page
    assert 'alt="Drawing of a white oval pill, 10 mm long' in page


def test_misread_imprint_is_found_and_says_which_reading(client, pills):
    page = client.get("/pill-identifier?imprint=2Z65V").get_data(as_text=True)
    assert "Baclofen" in page
    assert "you typed Z (letter), the pill has 2 (two)" in page


def test_two_tone_capsule_found_by_either_colour(client, pills):
    assert "Sleep Aid" in client.get("/pill-identifier?color=white&shape=capsule").get_data(as_text=True)
    assert "Sleep Aid" in client.get("/pill-identifier?color=purple").get_data(as_text=True)


def test_near_colour_listed_after_exact(client, pills, make_pill):
    make_pill(product_ndc="11111-111", name="Greyish", imprint="G1", color1="C48324", shape="C48345", size_mm=10.0,
              score=1)
    page = client.get("/pill-identifier?color=white&shape=oval").get_data(as_text=True)
    assert "4 pills found" in page  # two white ovals, a gray oval, a white-and-purple capsule (near oval)
    assert page.index("Lipitor") < page.index("Greyish") and page.index("Baclofen") < page.index("Sleep Aid")
    assert "colour gray is close to white" in page


def test_no_match_says_so_and_suggests_what_to_loosen(client, pills):
    page = client.get("/pill-identifier?imprint=QQ999&color=white&size_mm=9").get_data(as_text=True)
    assert "No pill matches" in page
    assert "Leave out the size" in page and "Leave out the colour" in page


@pytest.mark.parametrize("query, message", [
    ("imprint=%3Cscript%3Ealert(1)%3C%2Fscript%3E", "remove these characters: &lt; &gt;"),
    ("imprint=" + "A" * 500, "at most 100 characters"),
    ("imprint=%F0%9F%92%8A", "remove these characters"),
    ("imprint=-.-%3B", "separators such as"),
    ("color=mauve", "We don&#39;t know the colour"),
    ("shape=blob", "We don&#39;t know the shape"),
    ("size_mm=-5", "Pills measure between 1 and 50 mm"),
    ("size_mm=99999", "Pills measure between 1 and 50 mm"),
    ("score=abc", "number of pieces"),
    ("imprint=%FF%FE%00", "remove these characters"),
    ("submit=Find+pill", "Enter at least one thing you can see"),
])
def test_bad_input_gets_a_clear_message_and_is_kept(client, query, message):
    response = client.get(f"/pill-identifier?{query}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page
    assert 'class="error"' in page and "Please correct the following" in page
    if query.startswith("imprint=%3Cscript"):
        assert 'value="&lt;script&gt;alert(1)&lt;/script&gt;"' in page  # kept as typed, escaped
        assert "<script>alert" not in page


def test_paging_with_count(client, make_pill):
    for n in range(25):
        make_pill(product_ndc=f"22222-{n:03d}", name=f"Round {n:02d}", imprint=f"RD{n}", color1="C48330",
                  shape="C48348", size_mm=8.0, score=1)
    first = client.get("/pill-identifier?color=yellow&shape=round").get_data(as_text=True)
    assert "25 pills found" in first and "Page 1 of 2" in first
    assert 'href="/pill-identifier?color=yellow&amp;shape=round&amp;page=2" rel="next">Next<span class="visually-hidden"> page</span>' in first
    second = client.get("/pill-identifier?color=yellow&shape=round&page=2").get_data(as_text=True)
    assert second.count('class="pill-card"') == 5
    beyond = client.get("/pill-identifier?color=yellow&shape=round&page=9").get_data(as_text=True)
    assert "Go to the first page" in beyond
    assert client.get("/pill-identifier?color=yellow&page=-1").status_code == 200


def test_detail_page(client, pills):
    page = client.get(f"/pill-identifier/pills/{pills['lipitor']}").get_data(as_text=True)
    assert "<h1>Lipitor 10 mg</h1>" in page
    assert 'alt="Drawing of a white oval pill' in page
    assert "White</span>" in page  # colour named beside the swatch
    assert "0071-0155" in page
    assert client.get("/pill-identifier/pills/999999").status_code == 404


def test_picture_is_svg_with_caching_headers(client, pills):
    url = f"/pill-identifier/pills/{pills['capsule']}/image.svg"
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert "max-age=86400" in response.headers["Cache-Control"] and "public" in response.headers["Cache-Control"]
    svg = response.get_data(as_text=True)
    assert "purple and white (one half each) capsule pill, 15 mm long" in svg
    assert client.get(url, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
    placeholder = client.get(f"/pill-identifier/pills/{pills['liquid']}/image.svg").get_data(as_text=True)
    assert "No drawing" in placeholder


def test_api_contract(client, pills):
    response = client.get("/api/v1/pills?imprint=pd155&color=WHITE&shape=C48345&size_mm=10&score=1")
    assert response.status_code == 200
    data = response.get_json()
    assert data["total"] == 1 and data["page"] == 1
    result = data["results"][0]
    assert set(result) >= {"id", "name", "strength", "imprint", "colors", "shape", "size_mm", "score", "ndc",
                           "labeler", "drug", "image_url", "match"}
    assert result["colors"] == ["WHITE"] and result["shape"] == "OVAL" and result["ndc"] == "0071-0155"
    assert result["drug"] is None
    assert result["image_url"].endswith(f"/pill-identifier/pills/{pills['lipitor']}/image.svg")
    assert result["match"]["reasons"][0].startswith("imprint begins with")
    assert 0 < result["match"]["score"] < 100


def test_api_accepts_codes_names_and_two_colours(client, pills):
    assert client.get("/api/v1/pills?color=c48327").get_json()["total"] == 1
    assert client.get("/api/v1/pills?color=purple,white&shape=Capsule").get_json()["total"] == 1


@pytest.mark.parametrize("query, field", [
    ("", "imprint"), ("color=mauve", "color"), ("shape=C00000", "shape"), ("size_mm=-1", "size_mm"),
    ("score=0", "score"), ("imprint=%3Cb%3E", "imprint"), ("imprint=;;;", "imprint"), ("page=x&imprint=A", "page"),
    ("imprint=" + "9" * 500, "imprint"),
])
def test_api_errors_name_the_field(client, query, field):
    response = client.get(f"/api/v1/pills?{query}")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["field"] == field and error["message"]
