"""`flask seed`'s interaction step: strict validation, a report, and a note on unknown names."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from webapp.blueprints.drugs.models import Ingredient
from webapp.blueprints.mymeds.kb import interaction_loader
from webapp.blueprints.mymeds.kb.knowledge import KnowledgeBaseError
from webapp.extensions import db


def test_seed_step_reports_the_knowledge_base(app_ctx):
    db.session.add(Ingredient(name="warfarin"))
    db.session.commit()
    lines: list[str] = []
    interaction_loader.seed(db.session, lines.append)
    assert "interaction rules" in lines[0] and "ONC high-priority" in lines[0]
    # Only warfarin is in this reference, so the rest are reported for a person to look at.
    assert "not in the drug reference" in lines[1] and "ibuprofen" in lines[1]


def test_invalid_data_stops_the_seed_with_the_entry_named(app_ctx, tmp_path):
    for name in interaction_loader.FILES:
        shutil.copy(interaction_loader.DATA_DIR / name, tmp_path / name)
    broken = (tmp_path / "interactions.yaml").read_text().replace("severity: major", "severity: catastrophic", 1)
    (tmp_path / "interactions.yaml").write_text(broken)
    with pytest.raises(KnowledgeBaseError, match="interactions entry 1: severity"):
        interaction_loader.seed(db.session, lambda _m: None, data_dir=tmp_path)


def test_not_yaml_is_refused(tmp_path):
    for name in interaction_loader.FILES:
        (tmp_path / name).write_text("[]\n")
    (tmp_path / "drug_classes.yaml").write_text("- slug: [unclosed\n")
    with pytest.raises(KnowledgeBaseError, match="not valid YAML"):
        interaction_loader.read_knowledge_base(tmp_path)


def test_the_cached_knowledge_base_is_read_again_when_a_file_changes(tmp_path: Path):
    for name in interaction_loader.FILES:
        (tmp_path / name).write_text("[]\n")
    first = interaction_loader.knowledge_base(tmp_path)
    assert interaction_loader.knowledge_base(tmp_path) is first
    (tmp_path / "drug_classes.yaml").write_text('- {slug: x, name: "X", members: [a, b]}\n')
    assert interaction_loader.knowledge_base(tmp_path) is not first
    assert "x" in interaction_loader.knowledge_base(tmp_path).classes
