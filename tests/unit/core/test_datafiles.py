"""The one YAML reader and its field checks: what reads, and bad files refused with the
file, the record and the field in the message."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from webapp.core import datafiles
from webapp.core.datafiles import DataFileError, Fields, item_key_lines, key_lines, read_once, read_yaml, records


class AreaError(DataFileError):
    """What an area passes as `error` to get its own type."""


def write(tmp_path: Path, text: str | bytes, name: str = "things.yaml") -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def test_reads_a_file_with_the_safe_loader(tmp_path):
    assert read_yaml(write(tmp_path, "- slug: a\n  updated: 2026-11-28\n")) == [{"slug": "a", "updated": date(2026, 11, 28)}]
    assert read_yaml(write(tmp_path, "")) is None
    assert datafiles._LOADER is getattr(datafiles.yaml, "CSafeLoader", datafiles.yaml.SafeLoader)


def test_a_file_that_is_not_yaml_names_the_file_and_line(tmp_path):
    with pytest.raises(DataFileError) as info:
        read_yaml(write(tmp_path, "- slug: a\n- slug: [unclosed\n"))
    assert str(info.value).startswith("things.yaml:") and "not valid YAML" in str(info.value)
    assert info.value.file == "things.yaml" and info.value.line in (2, 3)


def test_python_objects_are_refused(tmp_path):
    with pytest.raises(DataFileError, match="not valid YAML"):
        read_yaml(write(tmp_path, "!!python/object/apply:os.system ['true']\n"))


def test_text_that_is_not_utf8_names_the_line(tmp_path):
    with pytest.raises(AreaError) as info:
        read_yaml(write(tmp_path, b"a: 1\nb: \xff\n"), "data/things.yaml", error=AreaError)
    assert str(info.value) == "data/things.yaml:2: not valid UTF-8"


def test_key_lines_point_at_the_keys():
    assert key_lines("a: 1\n\nb: 2\n", first_line=2) == {"a": 2, "b": 4}
    assert item_key_lines("- a: 1\n  b: 2\n- a: 3\n") == [(1, {"a": 1, "b": 2}), (3, {"a": 3})]


def test_the_message_names_file_record_and_field():
    fields = Fields({"kind": "herbal"}, "drugs/x.yaml", "drug 3", error=AreaError)
    error = fields.fail("kind", "is wrong")
    assert isinstance(error, AreaError) and isinstance(error, ValueError)
    assert str(error) == "drugs/x.yaml: drug 3: kind: is wrong"
    assert (error.file, error.record, error.field, error.reason, error.line) == ("drugs/x.yaml", "drug 3", "kind", "is wrong", None)
    lined = Fields({"kind": "x"}, "a.md", key_lines={"kind": 7}, line=2).fail("kind", "is wrong")
    assert str(lined) == "a.md:7: kind: is wrong"


def test_a_bad_file_fails_with_file_record_and_field(tmp_path):
    path = write(tmp_path, "- {slug: good, kind: otc}\n- {slug: bad, kind: herbal}\n")
    with pytest.raises(AreaError) as info:
        for number, entry in enumerate(records(read_yaml(path), path.name, "a list of things"), 1):
            Fields(entry, path.name, f"thing #{number}", error=AreaError).choice("kind", ("otc", "prescription"))
    assert str(info.value) == "things.yaml: thing #2: kind: 'herbal' is not one of otc, prescription"


def test_required_and_unknown_keys():
    with pytest.raises(DataFileError, match=r"^f.yaml: r: missing field\(s\): name$"):
        Fields({"slug": "a"}, "f.yaml", "r", required=("slug", "name"))
    with pytest.raises(DataFileError, match=r"^f.yaml: r: unknown field 'colour' \(allowed: name, slug\)$"):
        Fields({"slug": "a", "colour": "blue"}, "f.yaml", "r", allowed={"slug", "name"})
    with pytest.raises(DataFileError, match="^f.yaml: r: expected a mapping"):
        Fields(["not", "a", "mapping"], "f.yaml", "r")


@pytest.mark.parametrize(("data", "check", "message"), [
    ({}, lambda f: f.text("name"), "name: is required"),
    ({"name": "  "}, lambda f: f.text("name"), "name: must not be empty"),
    ({"name": 3}, lambda f: f.text("name"), "name: must be text, not int"),
    ({"name": "abcdef"}, lambda f: f.text("name", max_len=3), "name: is 6 characters; at most 3"),
    ({"slug": "Not A Slug"}, lambda f: f.slug("slug"), "slug: 'Not A Slug' is not a slug"),
    ({"url": "javascript:alert(1)"}, lambda f: f.url("url"), "url: 'javascript:alert(1)' is not an https:// address"),
    ({"n": 9}, lambda f: f.integer("n", minimum=1, maximum=5), "n: must be a whole number from 1 to 5"),
    ({"n": True}, lambda f: f.integer("n"), "n: must be a whole number"),
    ({}, lambda f: f.integer("n", required=True), "n: is required"),
    ({"b": "yes"}, lambda f: f.boolean("b"), "b: must be true or false"),
    ({"d": "last week"}, lambda f: f.date("d", allow_text=True), "d: 'last week' is not a date (YYYY-MM-DD)"),
    ({"d": "2026-11-28"}, lambda f: f.date("d"), "d: '2026-11-28' is not a date"),
    ({"l": "a"}, lambda f: f.text_list("l"), "l: must be a list"),
    ({"l": ["Upper"]}, lambda f: f.text_list("l", lowercase=True), "l: entry 'Upper' must be lowercase"),
    ({"l": []}, lambda f: f.text_list("l", allow_empty=False), "l: must not be empty"),
    ({"l": ["a", None]}, lambda f: f.text_list("l"), "l: entry None must be non-empty text"),
    ({"s": ["a", "a"]}, lambda f: f.slug_list("s"), "s: lists a slug twice"),
    ({"m": [1]}, lambda f: f.mapping("m"), "m: must be a mapping"),
    ({"i": []}, lambda f: f.items("i", allow_empty=False), "i: must be a non-empty list"),
    ({"src": {"url": 1}}, lambda f: f.nested("src", allowed={"url"}).url("url"), "rec: src: url: must be text"),
    ({"src": {"x": 1}}, lambda f: f.nested("src", allowed={"url"}), "rec: src: unknown field 'x'"),
])
def test_each_check_refuses_with_the_field_named(data, check, message):
    with pytest.raises(DataFileError) as info:
        check(Fields(data, "f.yaml", "rec"))
    assert str(info.value).startswith("f.yaml: rec: ") and message in str(info.value)


def test_the_checks_return_tidy_values():
    fields = Fields({"name": "  two   words ", "body": " line one\nline two ", "kind": " otc ", "n": 3, "d": "2026-11-28",
                     "l": ["a", 10, "a"], "url": "https://example.org/x"}, "f.yaml")
    assert fields.text("name") == "two words"
    assert fields.text("body", multiline=True) == "line one\nline two"
    assert fields.text("missing", required=False) is None
    assert fields.choice("kind", ("otc",)) == "otc"
    assert fields.integer("n") == 3 and fields.integer("missing", default=100) == 100
    assert fields.boolean("missing") is False
    assert fields.date("d", allow_text=True) == date(2026, 11, 28)
    assert fields.text_list("l") == ("a", "10")
    assert fields.url("url") == "https://example.org/x"
    assert fields.nested("missing").data == {}


def test_records_is_the_list_a_file_holds():
    assert records(None, "f.yaml", "a list") == []
    assert records([1], "f.yaml", "a list") == [1]
    with pytest.raises(AreaError, match="^f.yaml: expected a list of things$"):
        records({"a": 1}, "f.yaml", "a list of things", error=AreaError)


def test_read_once_builds_again_only_when_a_file_changes(tmp_path):
    path = write(tmp_path, "a: 1\n")
    builds = []

    def build():
        builds.append(1)
        return read_yaml(path)

    key = ("test", tmp_path)
    first = read_once(key, [path], build)
    assert read_once(key, [path], build) is first and len(builds) == 1
    path.write_text("a: 22\n")
    os.utime(path, ns=(1, 1))  # a different stamp even on a coarse clock
    assert read_once(key, [path], build) == {"a": 22} and len(builds) == 2
    datafiles.forget(key)
    read_once(key, [path], build)
    assert len(builds) == 3
    assert read_once(("test", "missing"), [tmp_path / "nothing.yaml"], lambda: "built") == "built"
