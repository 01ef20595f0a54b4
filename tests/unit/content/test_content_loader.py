"""Reading the content files: what loads, and malformed files refused with file, line and reason."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from webapp.blueprints.content.loader import CONTENT_DIR, ContentError, read_content

CENTERS = """\
- slug: demo
  name: Demo Health Center
  topic: Demo
  summary: A center for tests.
  intro: Some words.
"""

GOOD = """\
---
slug: {slug}
title: A good article
kind: feature
audience: patient
summary: Short summary.
reviewed: 2026-11-01
updated: 2026-11-02
reviewer: Test Editor
references:
  - number: 1
    text: "Author A. A study. Journal. 2020;1:1-2."
---
## Section

Text with a citation.[1] [Level of evidence: 2B]
"""


def make_folder(tmp_path: Path, files: dict[str, str], centers: str = CENTERS) -> Path:
    folder = tmp_path / "content"
    (folder / "demo").mkdir(parents=True)
    (folder / "centers.yaml").write_text(centers, encoding="utf-8")
    for name, text in files.items():
        (folder / "demo" / name).write_text(text, encoding="utf-8")
    return folder


def refused(folder: Path) -> ContentError:
    with pytest.raises(ContentError) as info:
        read_content(folder)
    return info.value


def test_the_shipped_content_loads():
    content = read_content(CONTENT_DIR)
    slugs = {a.slug for a in content.articles}
    assert {"pnet-treatment-option-overview", "whipple-procedure", "pnet-systemic-therapy"} <= slugs
    assert [c.slug for c in content.centers] == ["pancreatic-cancer"]
    whipple = next(a for a in content.articles if a.slug == "whipple-procedure")
    assert whipple.is_sample and whipple.sources, "sample content must be marked and sourced"
    seed = next(a for a in content.articles if a.slug == "pnet-treatment-option-overview")
    assert seed.next_slug == "pnet-systemic-therapy" and seed.related_slugs == ["whipple-procedure"]
    assert seed.source_url == "https://www.cancer.gov/types/pancreatic/hp/pnet-treatment-pdq"


def test_a_good_file_loads_with_its_references(tmp_path):
    content = read_content(make_folder(tmp_path, {"good.md": GOOD.format(slug="good")}))
    (article,) = content.articles
    assert article.references == [{"number": 1, "text": "Author A. A study. Journal. 2020;1:1-2.", "url": None, "backlinks": ["cite-1-1"]}]
    assert article.evidence_codes == ["2B"]
    assert article.toc == [{"id": "section", "title": "Section"}]


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("no front matter\n", 1, "must start with a front-matter block"),
        ("---\nslug: bad\ntitle: [unclosed\n---\nbody\n", 4, "not valid YAML"),
        (GOOD.format(slug="bad").replace("kind: feature", "kind: gossip"), 4, "kind: 'gossip' is not one of"),
        (GOOD.format(slug="bad").replace("audience: patient", "audience: patient\ncolour: blue"), 6, "unknown field 'colour'"),
        (GOOD.format(slug="bad").replace("reviewed: 2026-11-01", "reviewed: last week"), 7, "is not a date"),
        (GOOD.format(slug="bad").replace("[Level of evidence: 2B]", "[Level of evidence: 7Z]"), 16, "unknown level-of-evidence code '7Z'"),
        (GOOD.format(slug="bad").replace("citation.[1]", "citation.[1] and [2]"), 16, "cites [2] but the references list has no number 2"),
        (GOOD.format(slug="bad").replace("citation.[1]", "citation."), 10, "reference(s) [1] are never cited"),
        (GOOD.format(slug="bad") + "\n[[related: nowhere]]\n", 18, "related card for unknown article 'nowhere'"),
        (GOOD.format(slug="other"), 2, "must match the file name"),
        (GOOD.format(slug="bad").replace("summary: Short summary.\n", ""), 2, "summary: is required"),
        ("---\nslug: bad\n---\n", 2, "is required"),
    ],
)
def test_malformed_files_are_refused_with_file_line_and_reason(tmp_path, text, line, reason):
    error = refused(make_folder(tmp_path, {"good.md": GOOD.format(slug="good"), "bad.md": text}))
    assert error.file == "content/demo/bad.md"
    assert reason in str(error)
    assert error.line == line, str(error)
    assert str(error).startswith(f"content/demo/bad.md:{line}: ")


def test_citations_without_any_reference_list_are_refused(tmp_path):
    text = GOOD.format(slug="bad").split("references:")[0] + "---\nA claim.[1]\n"
    error = refused(make_folder(tmp_path, {"bad.md": text}))
    assert "neither references nor a reference_list_url" in error.reason and error.line == 11


def test_pointer_references_must_not_skip_numbers(tmp_path):
    text = GOOD.format(slug="bad").split("references:")[0] + "reference_list_url: https://example.org/summary\n---\nA.[1] B.[3]\n"
    error = refused(make_folder(tmp_path, {"bad.md": text}))
    assert "skip [2]" in error.reason


def test_invalid_utf8_and_unknown_next_are_refused(tmp_path):
    folder = make_folder(tmp_path, {})
    (folder / "demo" / "bad.md").write_bytes(GOOD.format(slug="bad").encode() + b"\n\xff\xfe broken\n")
    assert "not valid UTF-8" in refused(folder).reason
    folder = make_folder(tmp_path / "two", {"bad.md": GOOD.format(slug="bad").replace("reviewer:", "next: missing\nreviewer:")})
    assert "'missing' does not exist" in refused(folder).reason


def test_reserved_and_duplicate_center_slugs_are_refused(tmp_path):
    assert "reserved" in refused(make_folder(tmp_path, {}, CENTERS.replace("slug: demo", "slug: levels-of-evidence"))).reason
    error = refused(make_folder(tmp_path / "two", {}, CENTERS + CENTERS))
    assert "used by two centers" in error.reason and error.line == 6


def test_pdq_summaries_need_their_attribution(tmp_path):
    text = GOOD.format(slug="bad").replace("kind: feature", "kind: pdq-summary")
    assert "needs its source author and url" in refused(make_folder(tmp_path, {"bad.md": text})).reason


def test_copy_of_shipped_content_is_stable(tmp_path):
    shutil.copytree(CONTENT_DIR, tmp_path / "content")
    first = read_content(tmp_path / "content")
    second = read_content(tmp_path / "content")
    assert [a.content_hash for a in first.articles] == [a.content_hash for a in second.articles]
