"""What a drug page costs to build (#20): its monograph Markdown is rendered once per text,
yet an edit shows at once; a bounded number of SQL statements; the same page either way."""

from __future__ import annotations

import re

from sqlalchemy import event, func, select, update

from webapp.blueprints.drugs.models import Drug, Product, Review
from webapp.extensions import db


def statements_for(app, client, path: str) -> list[str]:
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        if statement.split()[0].upper() == "SELECT":  # not BEGIN / SAVEPOINT bookkeeping
            seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 200
    return seen


def test_an_edited_monograph_shows_on_the_next_request(drugs, client):
    first = client.get("/drugs/atorvastatin").get_data(as_text=True)
    assert "Take it with **care**" not in first
    with drugs.app_context():
        db.session.execute(update(Drug).where(Drug.slug == "atorvastatin")
                           .values(uses="Lowers cholesterol.\n\nTake it with **care** and *water*."))
        db.session.commit()
    page = client.get("/drugs/atorvastatin").get_data(as_text=True)
    assert "<p>Take it with <strong>care</strong> and <em>water</em>.</p>" in page
    section = re.search(r'<section id="uses".*?</section>', page, re.S).group(0)
    assert section.count("<p>") == 2  # the new text only, none of the old section left
    # Another drug with the same words renders the same, from its own row.
    with drugs.app_context():
        db.session.execute(update(Drug).where(Drug.slug == "ibuprofen").values(uses="Take it with **care**."))
        db.session.commit()
    assert "<p>Take it with <strong>care</strong>.</p>" in client.get("/drugs/ibuprofen").get_data(as_text=True)


def test_a_drug_page_runs_a_bounded_number_of_queries(drugs, client, auth, make_user):
    client.get("/drugs/atorvastatin")  # first-request work out of the way
    without_reviews = statements_for(drugs, client, "/drugs/atorvastatin")
    # The drug and its names, forms, ingredients, conditions; classes; pills; products;
    # the review averages; the footer. Was 15 before #20's origin work.
    assert len(without_reviews) <= 11, "\n".join(without_reviews)

    for n in range(4):
        author = make_user(f"reviewer{n}@example.com")
        auth.login(author.email)
        client.post("/drugs/atorvastatin/reviews/new", data={
            "effectiveness": "4", "ease_of_use": "4", "satisfaction": "4", "condition_id": "", "body": f"Review {n}"})
        auth.logout()
    with_reviews = statements_for(drugs, client, "/drugs/atorvastatin")
    assert len(with_reviews) <= len(without_reviews) + 4, "\n".join(with_reviews)


def test_the_drug_page_shows_the_three_most_helpful_reviews_and_the_product_total(drugs, client, auth, make_user):
    for n, helpful in enumerate((0, 7, 2, 5)):
        author = make_user(f"writer{n}@example.com")
        auth.login(author.email)
        client.post("/drugs/atorvastatin/reviews/new", data={
            "effectiveness": "4", "ease_of_use": "4", "satisfaction": "4", "condition_id": "",
            "body": f"Helpful to {helpful} readers"})
        auth.logout()
        with drugs.app_context():
            db.session.execute(update(Review).where(Review.body == f"Helpful to {helpful} readers")
                               .values(helpful_count=helpful))
            db.session.commit()
    page = client.get("/drugs/atorvastatin").get_data(as_text=True)
    shown = re.findall(r"Helpful to (\d) readers", page)
    assert shown == ["7", "5", "2"]
    assert "(4 reviews)" in page
    with drugs.app_context():
        total = db.session.execute(select(func.count()).select_from(Product).join(Drug, Drug.id == Product.drug_id)
                                   .where(Drug.slug == "atorvastatin")).scalar_one()
    assert total > 1
    assert f"{total} approved products with this active ingredient" in page
