"""`flask content sync`: idempotent, reports added / changed / removed, refuses broken files whole."""

from __future__ import annotations

import shutil

from sqlalchemy import func, select

from webapp.blueprints.content import loader as content_loader
from webapp.blueprints.content.models import Article, HealthCenter
from webapp.core.search import index as site_search
from webapp.extensions import db


def _copy_content(tmp_path):
    folder = tmp_path / "content"
    shutil.copytree(content_loader.CONTENT_DIR, folder)
    return folder


def test_cli_sync_loads_then_changes_nothing(runner, app):
    first = runner.invoke(args=["content", "sync"])
    assert first.exit_code == 0, first.output
    assert "Articles: added 4, changed 0, removed 0, unchanged 0" in first.output
    assert "added: pnet-treatment-option-overview" in first.output
    second = runner.invoke(args=["content", "sync"])
    assert second.exit_code == 0, second.output
    assert "Articles: added 0, changed 0, removed 0, unchanged 4" in second.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Article)) == 4
        assert db.session.scalar(select(func.count()).select_from(HealthCenter)) == 1
        assert site_search.search(db.session, "radioembolization").hits[0].key == "pnet-treatment-option-overview"


def test_sync_reports_changed_and_removed_and_updates_search(app_ctx, tmp_path):
    folder = _copy_content(tmp_path)
    content_loader.sync(db.session, folder, echo=lambda _m: None)
    db.session.commit()
    whipple = folder / "pancreatic-cancer" / "whipple-procedure.md"
    whipple.write_text(whipple.read_text().replace("several hours", "several hours (a zanzibarish detail)"))
    (folder / "pancreatic-cancer" / "pnet-systemic-therapy.md").unlink()
    for path in folder.rglob("*.md"):  # nothing may still point at the removed article
        path.write_text(path.read_text().replace("next: pnet-systemic-therapy\n", ""))
    messages: list[str] = []
    _centers, articles = content_loader.sync(db.session, folder, echo=messages.append)
    db.session.commit()
    assert articles.removed == ["pnet-systemic-therapy"]
    assert set(articles.changed) == {"whipple-procedure", "pnet-treatment-option-overview"}
    assert "  removed: pnet-systemic-therapy" in messages
    assert db.session.scalar(select(Article).where(Article.slug == "pnet-systemic-therapy")) is None
    assert [h.key for h in site_search.search(db.session, "zanzibarish").hits] == ["whipple-procedure"]
    assert site_search.search(db.session, "everolimus lanreotide", kinds=["article"]).total == 0


def test_a_broken_file_loads_nothing(runner, app, tmp_path):
    folder = _copy_content(tmp_path)
    bad = folder / "pancreatic-cancer" / "whipple-procedure.md"
    bad.write_text(bad.read_text().replace("kind: feature", "kind: rumour"))
    result = runner.invoke(args=["content", "sync", "--folder", str(folder)])
    assert result.exit_code != 0
    assert "nothing was loaded" in result.output and "whipple-procedure.md:5: kind: 'rumour'" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Article)) == 0
        assert db.session.scalar(select(func.count()).select_from(HealthCenter)) == 0


def test_seed_step_loads_the_articles(app_ctx):
    messages: list[str] = []
    content_loader.seed(db.session, messages.append)
    db.session.commit()
    assert any(m.startswith("Articles: added 4") for m in messages)
