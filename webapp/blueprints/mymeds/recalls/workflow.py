"""One FDA recall file, start to finish: import it, match it to saved medicines, notify.

`flask import recalls FILE` calls this; its progress lines go to the `progress` callable
(the command passes click.echo). The caller commits: the three steps are one transaction,
so a file that fails halfway leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from webapp.blueprints.mymeds.recalls import alerts, fda_import, match


@dataclass(frozen=True)
class RecallRun:
    report: fda_import.RecallImportReport
    matches: int  # new matches to saved medicines
    notifications: int
    emails: int  # alert emails queued in the outbox

    def summary(self) -> str:
        return (f"  matched to saved medicines: {self.matches} new; notifications: {self.notifications}; "
                f"alert emails queued: {self.emails}")


def import_match_notify(session: Session, path: Path, alerts_url: str,
                        progress: Callable[[str], None] = lambda _m: None) -> RecallRun:
    """Import a recall file, match its recalls to saved medicines and notify subscribers
    (alerts_url: the address the emails link to). Raises fda_import.RecallFileError,
    UnicodeDecodeError or OSError for a file it cannot read."""
    report = fda_import.import_file(session, path, progress)
    matches = match.match_recalls(session, report.recall_ids)
    created, emailed = alerts.notify(session, report.recall_ids, alerts_url)
    return RecallRun(report, len(matches), created, emailed)
