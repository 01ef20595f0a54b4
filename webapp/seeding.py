"""`flask seed`: load the embedded default data set, area by area. Idempotent.

Each step is a function (session, echo) -> None that upserts its part of webapp/data/
and reports what it did through echo. Steps run in the areas' order (drugs before the
pills that point at them) and each commits its own work.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from webapp.areas import REGISTRY


def run_seed(session: Session, echo: Callable[[str], None]) -> None:
    for label, step in REGISTRY.seed_steps:
        echo(f"== {label}")
        step(session, echo)
        session.commit()
