"""Find the SPL labels in what an operator downloads from DailyMed, one label at a time.

Layouts read:

- a release or update zip (full release parts, monthly and weekly updates): a zip of zips,
  one inner zip per label (`prescription/<date>_<setid>.zip`), each holding the label's XML
  and its images;
- a single label zip (the XML and its images), or any zip holding XML files;
- a folder of any of these (searched recursively), and plain XML files (images are looked
  for beside the XML file).

Nothing is read whole: a release zip is read through its directory, each inner zip is
copied to a spooled temporary file (in memory while small, on disk past that), and only
one label's zip is open at a time. Sizes come from the zip directories, so a label that
would unpack to something huge (a zip bomb) is refused before a byte is unpacked, and every
read is capped again in case a directory lies.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

MB = 1024 * 1024
MAX_XML_BYTES = 50 * MB  # SPL documents are a few MB at most
MAX_IMAGE_BYTES = 20 * MB  # label images are a few hundred KB
MAX_LABEL_ZIP_BYTES = 500 * MB  # one label's zip (XML + images); DailyMed's are under 20 MB
MAX_RATIO = 200  # XML packs 5-20:1, images about 1:1; a member past this is refused as a bomb
RATIO_CHECK_FROM = 1 * MB  # tiny members may pack well past the ratio without harm
SPOOL_IN_MEMORY_BYTES = 8 * MB
LABEL_SUFFIXES = {".xml", ".zip"}


class UnsafeMember(ValueError):
    """A zip member we refuse to unpack; the message says why."""


ImageReader = Callable[[str], bytes | None]


def _no_images(_name: str) -> bytes | None:
    return None


@dataclass
class LabelFile:
    """One label as found: its XML, or the reason it cannot be read; read_image(file name)
    gives the bytes of an image shipped with it (None when it has no such image)."""

    name: str
    xml: bytes | None = None
    problem: str | None = None
    read_image: ImageReader = field(default=_no_images, repr=False)
    position: int = 1  # labels of its source done once this one is: where a resumed import starts


@dataclass
class Source:
    """One file given to the import (a release zip, a label zip, an XML file), or a path we
    could not use (problem). `count` is how many labels it holds; labels(start) yields them
    from the start-th on, which is how an interrupted import resumes."""

    name: str
    path: Path | None
    count: int = 0
    problem: str | None = None
    kind: str = "xml"  # "xml" file, "zip" of labels
    fingerprint: str = ""

    def labels(self, start: int = 0) -> Iterator[LabelFile]:
        if self.problem is not None or self.path is None:
            yield LabelFile(self.name, problem=self.problem or "not readable")
        elif self.kind == "zip":
            yield from _zip_labels(self, start)
        elif start == 0:
            yield _xml_file_label(self.path)


# --- finding the sources ------------------------------------------------------------------


def find_sources(paths: list[str | Path]) -> list[Source]:
    """Every file to import under paths, in a stable order, each with its label count."""
    found: list[Source] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in LABEL_SUFFIXES)
            if not files:
                found.append(Source(str(path), None, problem="no .xml or .zip files in this folder"))
            found += [_source(p) for p in files]
        elif not path.exists():
            found.append(Source(str(path), None, problem="no such file or folder"))
        else:
            found.append(_source(path))
    return found


def _fingerprint(path: Path) -> str:
    stat = path.stat()
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def _source(path: Path) -> Source:
    try:
        fingerprint = _fingerprint(path)
    except OSError as exc:
        return Source(str(path), None, problem=f"could not be read ({exc.strerror or exc})")
    if path.suffix.lower() != ".zip":
        return Source(str(path), path, count=1, kind="xml", fingerprint=fingerprint)
    try:
        with zipfile.ZipFile(path) as archive:
            count = len(_label_members(archive))
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        return Source(str(path), None, problem=f"not a readable zip file ({exc})")
    if count == 0:
        return Source(str(path), None, problem="the zip file holds no SPL .xml file and no label .zip file")
    return Source(str(path), path, count=count, kind="zip", fingerprint=fingerprint)


def _label_members(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The members that are labels: inner label zips, or XML files, in directory order."""
    return [m for m in archive.infolist()
            if not m.is_dir() and PurePosixPath(m.filename).suffix.lower() in LABEL_SUFFIXES
            and not PurePosixPath(m.filename).name.startswith("._")]  # macOS resource forks


# --- reading members safely -----------------------------------------------------------------


def check_member(info: zipfile.ZipInfo, limit: int) -> None:
    """Refuse a member before unpacking it when its directory entry says it is too big or
    packs too well to be what a label holds."""
    if info.file_size > limit:
        raise UnsafeMember(f"unpacks to {info.file_size / MB:.0f} MB, more than the {limit // MB} MB "
                           "a label file can be; refused (possible zip bomb)")
    if info.file_size > RATIO_CHECK_FROM and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        raise UnsafeMember(f"packs {info.file_size // max(info.compress_size, 1)}:1, more than any label file; "
                           "refused as a possible zip bomb")


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    check_member(info, limit)
    with archive.open(info) as stream:
        data = stream.read(limit + 1)
    if len(data) > limit:  # the directory understated the size
        raise UnsafeMember(f"unpacks to more than {limit // MB} MB; refused (possible zip bomb)")
    return data


_UNPACK_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError, NotImplementedError)


def _images_in(archive: zipfile.ZipFile, members: list[zipfile.ZipInfo]) -> ImageReader:
    by_name = {PurePosixPath(m.filename).name.lower(): m for m in members if not m.is_dir()}

    def read_image(name: str) -> bytes | None:
        info = by_name.get(PurePosixPath(name.replace("\\", "/")).name.lower())
        if info is None:
            return None
        return read_member(archive, info, MAX_IMAGE_BYTES)

    return read_image


def _xml_members(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    return [m for m in archive.infolist()
            if not m.is_dir() and m.filename.lower().endswith(".xml")
            and not PurePosixPath(m.filename).name.startswith("._")]


def _zip_labels(source: Source, start: int) -> Iterator[LabelFile]:
    try:
        archive = zipfile.ZipFile(source.path)
    except (zipfile.BadZipFile, OSError) as exc:
        yield LabelFile(source.name, problem=f"not a readable zip file ({exc})")
        return
    with archive:
        members = archive.infolist()
        outer_images = _images_in(archive, members)
        for position, info in enumerate(_label_members(archive)[start:], start=start + 1):
            name = f"{source.name}::{info.filename}"
            if info.filename.lower().endswith(".xml"):
                label = LabelFile(name, read_image=outer_images, position=position)
                try:
                    label.xml = read_member(archive, info, MAX_XML_BYTES)
                except UnsafeMember as exc:
                    label.problem = str(exc)
                except _UNPACK_ERRORS as exc:
                    label.problem = f"could not be unpacked ({exc})"
                yield label
            else:
                for label in _inner_zip_labels(archive, info, name):
                    label.position = position
                    yield label


def _inner_zip_labels(outer: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> Iterator[LabelFile]:
    """The label(s) in one inner zip of a release: copied out to a spooled file, then read."""
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES) as spool:
        try:
            check_member(info, MAX_LABEL_ZIP_BYTES)
            with outer.open(info) as stream:
                shutil.copyfileobj(stream, spool, 1024 * 1024)
            spool.seek(0)
            inner = zipfile.ZipFile(spool)
        except UnsafeMember as exc:
            yield LabelFile(name, problem=str(exc))
            return
        except _UNPACK_ERRORS as exc:
            yield LabelFile(name, problem=f"not a readable zip file ({exc})")
            return
        with inner:
            xml_members = _xml_members(inner)
            if not xml_members:
                yield LabelFile(name, problem="the label zip holds no SPL .xml file")
                return
            images = _images_in(inner, inner.infolist())
            for member in xml_members:
                label_name = name if len(xml_members) == 1 else f"{name}::{member.filename}"
                try:
                    yield LabelFile(label_name, xml=read_member(inner, member, MAX_XML_BYTES), read_image=images)
                except UnsafeMember as exc:
                    yield LabelFile(label_name, problem=str(exc))
                except _UNPACK_ERRORS as exc:
                    yield LabelFile(label_name, problem=f"could not be unpacked ({exc})")


def _xml_file_label(path: Path) -> LabelFile:
    def read_image(name: str) -> bytes | None:
        # Only a file directly beside the label, never a path the label names elsewhere.
        candidate = path.parent / PurePosixPath(name.replace("\\", "/")).name
        try:
            if not candidate.is_file():
                return None
            if candidate.stat().st_size > MAX_IMAGE_BYTES:
                raise UnsafeMember(f"larger than {MAX_IMAGE_BYTES // MB} MB; not a label image")
            return candidate.read_bytes()
        except OSError:
            return None

    try:
        if path.stat().st_size > MAX_XML_BYTES:
            return LabelFile(str(path), problem=f"larger than {MAX_XML_BYTES // MB} MB; not an SPL label")
        return LabelFile(str(path), xml=path.read_bytes(), read_image=read_image)
    except OSError as exc:
        return LabelFile(str(path), problem=f"could not be read ({exc.strerror or exc})")
