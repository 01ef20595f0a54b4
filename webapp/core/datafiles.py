"""Where the embedded default data set lives (see webapp/data/README.md)."""

from __future__ import annotations

from pathlib import Path

WEBAPP_DIR = Path(__file__).resolve().parents[1]
DATA_DIR = WEBAPP_DIR / "data"
CONTENT_DIR = WEBAPP_DIR / "content"
