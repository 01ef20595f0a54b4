import pytest

from config import ProductionConfig
from webapp import create_app


def test_production_refuses_the_default_secret(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://x@127.0.0.1/none")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig)


def test_production_refuses_to_start_without_database_url(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "a-long-random-production-secret-value")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(RuntimeError, match="DATABASE_URL"):
        create_app(ProductionConfig)


def test_unknown_environment_name_is_refused(monkeypatch):
    from config import config_for_env

    monkeypatch.setenv("HEALTHDESK_ENV", "staging-ish")
    with pytest.raises(RuntimeError, match="HEALTHDESK_ENV"):
        config_for_env()
