"""All models. Every module in this package is imported so that Alembic and
create_all see the whole schema; one module per domain area."""

from importlib import import_module
from pkgutil import iter_modules

from webapp.core.outbox_models import OutboxMessage
from webapp.models.accounts import ROLES, User

for _module in iter_modules(__path__):
    if not _module.name.startswith("_"):
        import_module(f"{__name__}.{_module.name}")

__all__ = ["ROLES", "OutboxMessage", "User"]
