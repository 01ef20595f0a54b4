"""webapp.core.slugs: one slugify whose parameters give each caller the slugs it always made."""

import re

import pytest

from webapp.blueprints.drugs import search as drug_search
from webapp.blueprints.mymeds.profiles import normalize_name
from webapp.core.slugs import slugify

# Names that tell the old functions apart: accents, marks, ligatures, "&", apostrophes,
# separators at the ends, runs of separators, nothing usable at all.
AWKWARD = [
    "Heart Health", "  Café au lait  ", "St. John's Wort®", "Advil®Plus", "ﬁbre ＡＢＣ", "Salt & Pepper",
    "---", "", "ß straße", "日本語", "a\x00b", "Crème brûlée — 2nd edition!", "x" * 400, "a-" * 80,
]


def _old_plain(text):  # content/render.py, community/posts.py, community/routes.py
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _old_catalogue(text):  # drugs/drugsatfda_import.py
    return re.sub(r"[^a-z0-9]+", "-", drug_search.normalize(text)).strip("-")[:300] or "product"


@pytest.mark.parametrize("text", AWKWARD)
def test_plain_slugs_are_unchanged(text):
    assert slugify(text) == _old_plain(text)
    assert slugify(text, default="section") == (_old_plain(text) or "section")
    assert slugify(text, max_length=70, default="group") == (_old_plain(text)[:70] or "group")
    assert slugify(text, max_length=120) == _old_plain(text)[:120]


def _old_medicine(text):  # mymeds/profiles.py (NFKC, ®™© dropped, cut to 100 characters first)
    return re.sub(r"[^a-z0-9]+", "-", normalize_name(text)).strip("-")


@pytest.mark.parametrize("text", AWKWARD)
def test_catalogue_slugs_are_unchanged(text):
    assert slugify(text, normalize=drug_search.normalize, max_length=300, default="product") == _old_catalogue(text)


@pytest.mark.parametrize("text", AWKWARD)
def test_medicine_slugs_are_unchanged(text):
    assert slugify(text, normalize=normalize_name) == _old_medicine(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("Heart Health", "heart-health"),
    ("  Type 2 diabetes: the basics ", "type-2-diabetes-the-basics"),
    ("Café", "caf"),  # plain slugs never folded accents; addresses made so stay valid
    ("!!!", ""),
    (None, ""),
])
def test_plain(text, expected):
    assert slugify(text) == expected


def test_normalizer_decides_about_accents_and_marks():
    assert slugify("Crème Brûlée & Co.", normalize=drug_search.normalize) == "creme-brulee-and-co"
    assert slugify("St. John's Wort®", normalize=drug_search.normalize) == "st-johns-wort"


def test_the_cut_is_not_trimmed_again():
    # Slugs already stored were cut this way; trimming the cut would change them.
    assert slugify("abc def", max_length=4) == "abc-"


def test_default_only_when_nothing_is_left():
    assert slugify("---", default="group") == "group"
    assert slugify("Group 1", default="group") == "group-1"
