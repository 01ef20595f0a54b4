"""What an area of the site can plug into: each area's hooks.py builds one `Area`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from flask import Blueprint, current_app
from flask.cli import AppGroup
from sqlalchemy.orm import Session

SeedStep = Callable[[Session, Callable[[str], None]], None]
ExportSection = Callable[[Session, Any], Any]
HeaderCounter = Callable[[Any], int]
EmailChangeHook = Callable[[Session, Any, str], None]
RegisterCli = Callable[[Any, AppGroup], None]


@dataclass(frozen=True)
class Area:
    """One area's connections to the shared parts of the site.

    blueprints: registered in the order the areas are listed;
    models: the module whose tables the schema (Alembic, create_all) must know;
    seed_steps: `flask seed` steps (label, function(session, echo));
    export_sections: "Export my data" sections (name, function(session, user));
    header_counters: header badges (label, endpoint, function(user) -> int);
    email_change_hooks: function(session, user, new_email), run when a new address takes effect;
    cli: register(app, import_group) adding the area's commands.
    """

    name: str
    blueprints: tuple[Blueprint, ...] = ()
    models: ModuleType | None = None
    seed_steps: tuple[tuple[str, SeedStep], ...] = ()
    export_sections: tuple[tuple[str, ExportSection], ...] = ()
    header_counters: tuple[tuple[str, str, HeaderCounter], ...] = ()
    email_change_hooks: tuple[EmailChangeHook, ...] = ()
    cli: RegisterCli | None = None


@dataclass(frozen=True)
class Registry:
    """Every area's hooks, gathered once by create_app (see webapp/areas.py)."""

    areas: tuple[Area, ...]

    def _all(self, attribute: str) -> list:
        return [item for area in self.areas for item in getattr(area, attribute)]

    @property
    def blueprints(self) -> list[Blueprint]:
        return self._all("blueprints")

    @property
    def seed_steps(self) -> list[tuple[str, SeedStep]]:
        return self._all("seed_steps")

    @property
    def export_sections(self) -> list[tuple[str, ExportSection]]:
        return self._all("export_sections")

    @property
    def header_counters(self) -> list[tuple[str, str, HeaderCounter]]:
        return self._all("header_counters")

    @property
    def email_change_hooks(self) -> list[EmailChangeHook]:
        return self._all("email_change_hooks")

    @property
    def cli(self) -> list[RegisterCli]:
        return [area.cli for area in self.areas if area.cli is not None]


EXTENSION_KEY = "healthdesk.areas"


def registry() -> Registry:
    """The running app's areas (for views and commands; domain code gets what it needs passed in)."""
    return current_app.extensions[EXTENSION_KEY]
