"""flask users, flask seed."""

from __future__ import annotations

from sqlalchemy import select

from webapp.blueprints.accounts.models import User
from webapp.extensions import db


def _role(app, email):
    with app.app_context():
        return db.session.execute(select(User.role).where(User.email == email)).scalar_one_or_none()


def test_users_create_and_set_role(app, runner):
    result = runner.invoke(args=["users", "create", "Admin@Example.com", "--role", "admin", "--password", "a strong admin passphrase"])
    assert result.exit_code == 0, result.output
    assert "Created admin@example.com with role admin" in result.output
    assert _role(app, "admin@example.com") == "admin"

    result = runner.invoke(args=["users", "set-role", "admin@example.com", "moderator"])
    assert result.exit_code == 0 and _role(app, "admin@example.com") == "moderator"


def test_users_commands_explain_mistakes(app, runner, make_user):
    make_user("taken@example.com")
    cases = [
        (["users", "create", "taken@example.com", "--password", "a strong admin passphrase"], "already exists"),
        (["users", "create", "new@example.com", "--role", "king", "--password", "a strong admin passphrase"], "Role must be one of"),
        (["users", "create", "new@example.com", "--password", "short"], "at least 12"),
        (["users", "set-role", "ghost@example.com", "admin"], "No account"),
        (["users", "set-role", "taken@example.com", "wizard"], "Role must be one of"),
    ]
    for args, message in cases:
        result = runner.invoke(args=args)
        assert result.exit_code != 0 and message in result.output, (args, result.output)
    assert _role(app, "new@example.com") is None


def test_created_admin_can_log_in(app, runner, auth):
    runner.invoke(args=["users", "create", "boss@example.com", "--role", "admin", "--password", "a strong admin passphrase"])
    assert auth.login("boss@example.com", "a strong admin passphrase").status_code == 302


def test_seed_is_idempotent(app, runner):
    from sqlalchemy import func

    def counts():
        with app.app_context():
            return {t.name: db.session.execute(select(func.count()).select_from(t)).scalar_one() for t in db.metadata.sorted_tables}

    first = runner.invoke(args=["seed"])
    assert first.exit_code == 0, first.output
    after_first = counts()
    second = runner.invoke(args=["seed"])
    assert second.exit_code == 0, second.output
    assert counts() == after_first
