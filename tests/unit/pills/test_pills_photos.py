"""Label photos are re-made with Pillow (fixed size, no metadata) and image bombs refused;
zip members that would unpack to far more than a label holds are refused unread."""

from __future__ import annotations

import io
import zipfile

import pytest
from PIL import Image

from webapp.blueprints.pills import photos
from webapp.blueprints.pills.importers.spl_sources import MAX_XML_BYTES, UnsafeMember, check_member, read_member


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def test_a_large_photo_becomes_a_web_sized_jpeg_without_its_metadata():
    original = encoded(Image.new("RGB", (3000, 1000), (20, 120, 40)), "JPEG", comment=b"private camera notes")
    copy = photos.web_copy(original)
    image = Image.open(io.BytesIO(copy))
    assert (image.format, image.size) == ("JPEG", (photos.PHOTO_WIDTH, photos.PHOTO_HEIGHT))
    assert b"private camera notes" not in copy
    # Fitted, not stretched: the photo keeps its shape with white above and below.
    assert image.getpixel((240, 5)) == pytest.approx((255, 255, 255), abs=8)
    assert image.getpixel((240, 180)) == pytest.approx((20, 120, 40), abs=12)


def test_a_transparent_png_is_flattened_onto_white():
    image = Image.new("RGBA", (400, 300), (0, 0, 0, 0))
    image.paste((200, 30, 30, 255), (100, 75, 300, 225))
    copy = Image.open(io.BytesIO(photos.web_copy(encoded(image, "PNG"))))
    assert copy.getpixel((10, 10)) == pytest.approx((255, 255, 255), abs=8)
    assert copy.getpixel((240, 180)) == pytest.approx((200, 30, 30), abs=12)


@pytest.mark.parametrize(("data", "reason"), [
    (b"GIF89a not really", "not a readable image"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "not a readable image"),
    (encoded(Image.new("1", (9000, 6000)), "PNG"), "image bomb"),
])
def test_unusable_images_say_why(data, reason):
    with pytest.raises(photos.PhotoError, match=reason):
        photos.web_copy(data)


def test_photos_are_stored_once_by_their_hash(tmp_path):
    copy = photos.web_copy(encoded(Image.new("RGB", (100, 100), "red"), "PNG"))
    name = photos.store(tmp_path, copy)
    assert photos.is_photo_name(name) and (tmp_path / name).read_bytes() == copy
    assert photos.store(tmp_path, copy) == name and sorted(p.name for p in tmp_path.iterdir()) == [name]
    assert not photos.is_photo_name("../" + name) and not photos.is_photo_name("x.jpg")


def zip_info(file_size: int, compress_size: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo("label.xml")
    info.file_size, info.compress_size = file_size, compress_size
    return info


@pytest.mark.parametrize(("file_size", "compress_size", "reason"), [
    (MAX_XML_BYTES + 1, MAX_XML_BYTES, "more than the 50 MB"),
    (40 * 1024 * 1024, 40 * 1024, "packs 1024:1"),
])
def test_members_that_unpack_to_too_much_are_refused_before_unpacking(file_size, compress_size, reason):
    with pytest.raises(UnsafeMember, match=reason):
        check_member(zip_info(file_size, compress_size), MAX_XML_BYTES)


def test_ordinary_members_pass_and_reads_are_capped():
    check_member(zip_info(300_000, 30_000), MAX_XML_BYTES)  # a real label packs about 10:1
    check_member(zip_info(500_000, 1_000), MAX_XML_BYTES)  # small members may pack well
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("label.xml", b"x" * 5000)
    with zipfile.ZipFile(buffer) as archive:
        (info,) = archive.infolist()
        assert read_member(archive, info, 10_000) == b"x" * 5000
        with pytest.raises(UnsafeMember):
            read_member(archive, info, 4096)
