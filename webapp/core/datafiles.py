"""Where the embedded default data set lives (see webapp/data/README.md), and the one way
its YAML files are read and their records checked.

    data = read_yaml(DATA_DIR / "allergy_classes.yaml")
    for n, raw in enumerate(data["classes"], 1):
        entry = Fields(raw, "allergy_classes.yaml", f"class {n}", allowed={"slug", "name"})
        slug = entry.slug("slug")
        entry.text("name", max_len=200)

Every refusal is a DataFileError naming the file, the record and the field (and the line,
where it is known), so whoever edits the data finds the mistake without reading the loader.
An area subclasses it (ContentError, DrugDataError …) and passes its class as `error`, so
its callers catch their own area's refusals. What a record must say beyond these checks
(a slug matching its file name, a condition that exists) stays in the area's reader.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Collection, Hashable, Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import yaml

WEBAPP_DIR = Path(__file__).resolve().parents[1]
DATA_DIR = WEBAPP_DIR / "data"
CONTENT_DIR = WEBAPP_DIR / "content"

# The C loader when PyYAML was built with libyaml (about ten times faster); same results.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
T = TypeVar("T")


class DataFileError(ValueError):
    """A data file we refuse to load: which file, record and field, and why.

    str() reads "file[:line]: [record: ][field: ]reason"."""

    def __init__(self, file: str, reason: str, *, record: str | None = None, field: str | None = None,
                 line: int | None = None):
        self.file, self.reason, self.record, self.field, self.line = file, reason, record, field, line
        where = f"{file}:{line}" if line is not None else file
        super().__init__(": ".join(part for part in (where, record, field, reason) if part))


def _decode(raw: bytes, name: str, error: type[DataFileError]) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(name, "not valid UTF-8", line=raw[: exc.start].count(b"\n") + 1) from None


def read_text(path: Path, name: str | None = None, *, error: type[DataFileError] = DataFileError) -> str:
    """The file's text; `name` is how errors call the file (default: its file name)."""
    return _decode(Path(path).read_bytes(), name or Path(path).name, error)


def parse_yaml(text: str, name: str, *, first_line: int = 1, error: type[DataFileError] = DataFileError) -> Any:
    """One YAML document from text (safe loader); `first_line` is where the text starts in
    its file, so a syntax error names the file's line."""
    try:
        return yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise error(name, f"not valid YAML: {reason}", line=first_line + (mark.line if mark else 0)) from None


def read_yaml(path: Path, name: str | None = None, *, error: type[DataFileError] = DataFileError) -> Any:
    """The YAML document in a file (None for an empty file)."""
    name = name or Path(path).name
    return parse_yaml(read_text(path, name, error=error), name, error=error)


def _lines_of(node: Any, first_line: int) -> dict[str, int]:
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {k.value: first_line + k.start_mark.line for k, _v in node.value if isinstance(k, yaml.ScalarNode)}


def key_lines(text: str, first_line: int = 1) -> dict[str, int]:
    """The line in the file of each top-level key of a YAML mapping, so a check can point at
    the line a person has to change."""
    return _lines_of(yaml.compose(text, Loader=_LOADER), first_line)


def item_key_lines(text: str, first_line: int = 1) -> list[tuple[int, dict[str, int]]]:
    """For a YAML list of mappings: each item's first line and the lines of its keys."""
    node = yaml.compose(text, Loader=_LOADER)
    items = node.value if isinstance(node, yaml.SequenceNode) else []
    return [(first_line + item.start_mark.line, _lines_of(item, first_line)) for item in items]


class Fields:
    """Checked access to one record (a YAML mapping) of a data file.

    `allowed` refuses any other key, `required` names keys that must be present (whatever
    their value); each getter checks one field's type and returns it tidied. `key_lines`
    (from key_lines()) and `line` make errors name the line of the key."""

    def __init__(self, data: Any, file: str, record: str | None = None, *, allowed: Collection[str] | None = None,
                 required: Iterable[str] = (), key_lines: dict[str, int] | None = None, line: int | None = None,
                 error: type[DataFileError] = DataFileError):
        self.file, self.record, self.error = file, record, error
        self.key_lines, self.first_line = key_lines or {}, line
        if not isinstance(data, dict):
            raise error(file, "expected a mapping of field: value", record=record, line=line)
        self.data = data
        if allowed is not None:
            for key in data:
                if key not in allowed:
                    raise error(file, f"unknown field {key!r} (allowed: {', '.join(sorted(allowed))})",
                                record=record, line=self.line(key))
        missing = [key for key in required if key not in data]
        if missing:
            raise error(file, f"missing field(s): {', '.join(missing)}", record=record, line=line)

    def line(self, key: str) -> int | None:
        return self.key_lines.get(key, self.first_line)

    def fail(self, key: str, reason: str) -> DataFileError:
        """The error for this field (raise it)."""
        return self.error(self.file, reason, record=self.record, field=key, line=self.line(key))

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def text(self, key: str, *, required: bool = True, max_len: int = 10_000, multiline: bool = False) -> str | None:
        """Text with its white space folded (kept inside, for `multiline`); None when absent
        and not required."""
        value = self.data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                raise self.fail(key, "is required" if key not in self.data else "must not be empty")
            return None
        if not isinstance(value, str):
            raise self.fail(key, f"must be text, not {type(value).__name__}")
        value = value.strip() if multiline else " ".join(value.split())
        if len(value) > max_len:
            raise self.fail(key, f"is {len(value)} characters; at most {max_len}")
        return value

    def choice(self, key: str, options: Collection[str]) -> str:
        value = self.data.get(key)
        if value is None:
            raise self.fail(key, "is required")
        if isinstance(value, str):
            value = " ".join(value.split())
        if value not in options:
            raise self.fail(key, f"{value!r} is not one of {', '.join(options)}")
        return value

    def slug(self, key: str, *, required: bool = True) -> str | None:
        value = self.text(key, required=required, max_len=120)
        if value is not None and not SLUG.fullmatch(value):
            raise self.fail(key, f"{value!r} is not a slug (lowercase letters, digits and single hyphens)")
        return value

    def url(self, key: str, *, required: bool = False, schemes: tuple[str, ...] = ("https://",)) -> str | None:
        value = self.text(key, required=required, max_len=1000)
        if value is not None and not (value.startswith(schemes) and not any(c in value for c in " <>\"'")):
            raise self.fail(key, f"{value!r} is not an {' or '.join(schemes)} address")
        return value

    def integer(self, key: str, *, default: int | None = None, minimum: int = 0, maximum: int = 10_000,
                required: bool = False) -> int | None:
        value = self.data.get(key, default)
        if value is None:
            if required:
                raise self.fail(key, "is required")
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
            raise self.fail(key, f"must be a whole number from {minimum} to {maximum}")
        return value

    def boolean(self, key: str, *, default: bool = False) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(key, "must be true or false")
        return value

    def date(self, key: str, *, required: bool = True, allow_text: bool = False) -> date | None:
        """A YAML date (2026-11-28 unquoted); with `allow_text` also the same written as text."""
        value = self.data.get(key)
        if value is None:
            if required:
                raise self.fail(key, "is required (YYYY-MM-DD)")
            return None
        if allow_text and isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                pass
        if not isinstance(value, date):
            raise self.fail(key, f"{value!r} is not a date (YYYY-MM-DD)")
        return value

    def text_list(self, key: str, *, lowercase: bool = False, allow_empty: bool = True, max_len: int = 300) -> tuple[str, ...]:
        """A list of short texts (numbers read as text), repeats dropped, order kept."""
        value = self.data.get(key)
        value = [] if value is None else value
        if not isinstance(value, list):
            raise self.fail(key, "must be a list")
        items: list[str] = []
        for item in value:
            if isinstance(item, (int, float)) and not isinstance(item, bool):
                item = str(item)
            if not isinstance(item, str) or not item.strip():
                raise self.fail(key, f"entry {item!r} must be non-empty text")
            text = item.strip()
            if len(text) > max_len:
                raise self.fail(key, f"entry {text[:40]!r}… is longer than {max_len} characters")
            if lowercase and text != text.lower():
                raise self.fail(key, f"entry {text!r} must be lowercase")
            if text not in items:
                items.append(text)
        if not items and not allow_empty:
            raise self.fail(key, "must not be empty")
        return tuple(items)

    def slug_list(self, key: str) -> list[str]:
        value = self.data.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) and SLUG.fullmatch(v) for v in value):
            raise self.fail(key, "must be a list of slugs, e.g. [whipple-procedure]")
        if len(set(value)) != len(value):
            raise self.fail(key, "lists a slug twice")
        return list(value)

    def mapping(self, key: str) -> dict:
        value = self.data.get(key) or {}
        if not isinstance(value, dict):
            raise self.fail(key, "must be a mapping of field: value")
        return value

    def items(self, key: str, *, allow_empty: bool = True) -> list:
        value = self.data.get(key) or []
        if not isinstance(value, list):
            raise self.fail(key, "must be a list")
        if not value and not allow_empty:
            raise self.fail(key, "must be a non-empty list")
        return value

    def nested(self, key: str, record: str | None = None, **checks: Any) -> Fields:
        """The Fields of a mapping inside this record (`source: {author: …}`)."""
        value = self.data.get(key) or {}
        where = record or (f"{self.record}: {key}" if self.record else key)
        line = self.line(key)
        return Fields(value, self.file, where, line=line, error=self.error,
                      key_lines=dict.fromkeys(value, line) if isinstance(value, dict) else None, **checks)


def records(document: Any, file: str, what: str, *, error: type[DataFileError] = DataFileError) -> list:
    """The list of records a file holds (`what` names them in errors: "a list of conditions").
    An empty file holds none."""
    if document is None:
        return []
    if not isinstance(document, list):
        raise error(file, f"expected {what}")
    return document


# --- read once per process ----------------------------------------------------------------------

_cache_lock = threading.Lock()
_cache: dict[Hashable, tuple[tuple, Any]] = {}


def _stamp(paths: Sequence[Path]) -> tuple:
    stamp = []
    for path in paths:
        try:
            stat = Path(path).stat()
        except FileNotFoundError:
            stamp.append(None)
        else:
            stamp.append((stat.st_mtime_ns, stat.st_size))
    return tuple(stamp)


def read_once(key: Hashable, paths: Sequence[Path], build: Callable[[], T]) -> T:
    """build()'s result, kept for this process until one of `paths` changes (is written,
    appears or goes away): the data files are parsed once, not on every request. What
    build returns is shared by every caller, so it must not be changed by them."""
    stamp = _stamp(paths)
    cached = _cache.get(key)
    if cached and cached[0] == stamp:
        return cached[1]
    with _cache_lock:
        cached = _cache.get(key)
        if cached and cached[0] == stamp:
            return cached[1]
        value = build()
        _cache[key] = (stamp, value)
        return value


def forget(key: Hashable) -> None:
    """Drop what read_once keeps under `key` (the next call builds it again)."""
    _cache.pop(key, None)
