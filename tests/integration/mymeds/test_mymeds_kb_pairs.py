"""Issue 19's list of misses and grading errors: the checker page and POST
/api/v1/interactions flag every pair at the right level, naming a source with its date."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from webapp.blueprints.drugs.models import Ingredient
from webapp.extensions import db

MAJOR = [
    ("linezolid", "bupropion"),
    ("fluconazole", "oxycodone"), ("fluconazole", "hydrocodone"),
    ("potassium chloride", "cyclosporine"), ("potassium chloride", "tacrolimus"),
    ("spironolactone", "cyclosporine"), ("spironolactone", "tacrolimus"),
    ("duloxetine", "ciprofloxacin"),
    ("rifampin", "atorvastatin"), ("rifampin", "simvastatin"),
    ("rifampin", "fluconazole"), ("rifampin", "itraconazole"), ("rifampin", "ketoconazole"),
    ("rifampin", "amlodipine"), ("rifampin", "diltiazem"), ("rifampin", "quetiapine"),
    ("st. john's wort", "phenytoin"), ("st. john's wort", "carbamazepine"), ("st. john's wort", "lamotrigine"),
    ("st. john's wort", "topiramate"), ("st. john's wort", "itraconazole"),
    ("carbamazepine", "quetiapine"), ("carbamazepine", "lithium"),
    ("hydroxyzine", "citalopram"), ("hydroxyzine", "escitalopram"), ("hydroxyzine", "amiodarone"),
    ("hydroxyzine", "hydroxychloroquine"),
    ("clopidogrel", "omeprazole"),  # the advice says avoid: major, not moderate
    ("erythromycin", "simvastatin"), ("esomeprazole", "clopidogrel"),
]
MODERATE = [
    # Labels and the thesaurus ask for monitoring or a dose change here, not avoidance.
    ("rifampin", "buspirone"), ("rifampin", "prednisone"),
    ("carbamazepine", "clarithromycin"), ("carbamazepine", "aripiprazole"), ("carbamazepine", "lamotrigine"),
    ("warfarin", "tramadol"), ("warfarin", "prednisone"), ("warfarin", "azithromycin"),
]
CASES = [(a, b, "major") for a, b in MAJOR] + [(a, b, "moderate") for a, b in MODERATE]


@pytest.fixture
def moieties(app):
    """Each medicine as a bare ingredient of the reference (as the catalogue import leaves them)."""
    with app.app_context():
        for name in sorted({n for a, b, _ in CASES for n in (a, b)}):
            db.session.add(Ingredient(name=name))
        db.session.commit()


def test_the_api_flags_every_pair_at_its_level(client, moieties):
    wrong = []
    for a, b, severity in CASES:
        data = client.post("/api/v1/interactions", json={"drugs": [a, b]}).get_json()
        found = [(f["severity"], f["source"]) for f in data["interactions"]]
        if data["unrecognized"] or len(found) != 1 or found[0][0] != severity:
            wrong.append((a, b, severity, found, data["unrecognized"]))
        elif not re.search(r"\b(19|20)\d\d\b|DailyMed", found[0][1]):
            wrong.append((a, b, "source without a date", found))
    assert wrong == []


def _drug_findings(page: str) -> list[tuple[str, str]]:
    """(severity, text) of each medicine-interaction finding on the page."""
    items = re.findall(r'<li class="finding finding-(major|moderate|minor)">(.*?)</li>', page, re.S)
    return [(sev, html.unescape(body)) for sev, body in items if "Medicine interaction" in body]


def test_the_checker_page_shows_every_pair_at_its_level(client, moieties):
    wrong = []
    for a, b, severity in CASES:
        page = client.get("/interaction-checker", query_string={"medicines": f"{a}\n{b}"}).get_data(as_text=True)
        found = _drug_findings(page)
        if [sev for sev, _ in found] != [severity] or "Source:" not in found[0][1]:
            wrong.append((a, b, severity, [sev for sev, _ in found]))
    assert wrong == []


def test_a_generated_finding_reads_in_our_words_with_its_list_and_year(client, moieties):
    page = client.get("/interaction-checker", query_string={"medicines": "hydroxyzine\ncitalopram"}).get_data(
        as_text=True)
    ((severity, text),) = _drug_findings(page)
    assert severity == "major" and "QT interval" in text and "Do not combine" in text
    assert "ANSM drug interaction thesaurus" in text and "2016" in text


SOURCES = Path(__file__).parents[3].parent / "shared" / "data" / "ddi-public-sources"


@pytest.mark.skipif(not (SOURCES / "SOURCE.md").exists(), reason="../shared/data/ddi-public-sources is not here")
def test_flask_kb_report_measures_recall_false_majors_and_lists_conflicts(runner, moieties):
    result = runner.invoke(args=["kb", "report", str(SOURCES)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Moieties recognised" in out and "with at least one interaction rule" in out
    ci = re.search(r"ANSM contraindications, in the knowledge base: [\d,]+ pairs; flagged [\d,]+ \(([\d.]+)%\)", out)
    nr = re.search(r"ANSM not recommended, in the knowledge base: [\d,]+ pairs; flagged [\d,]+ \(([\d.]+)%\)", out)
    assert float(ci.group(1)) >= 95 and float(nr.group(1)) >= 90
    assert re.search(r"False-major rate on 200 random pairs no list names \(seed 19\): \d+ major", out)
    # A pair no list names can only be major through a reviewed hand rule, which the line names.
    assert all("hand rule" in line for line in out.splitlines() if line.startswith("  major, to review:"))
    assert "Pairs graded major:" in out and "Review list:" in out
    assert "aspirin + clopidogrel: hand moderate" in out or "more (flask kb report --all)" in out


def test_flask_kb_build_refuses_a_folder_without_the_lists(runner, tmp_path):
    result = runner.invoke(args=["kb", "build", str(tmp_path)])
    assert result.exit_code != 0 and "does not hold" in result.output
