"""Evidence files: what is accepted, what is refused, and how the bytes are stored. No app, no database."""
from __future__ import annotations

import errno
import hashlib
import io
import os
import struct
import time
import zipfile
import zlib
from datetime import datetime
from pathlib import Path

import pytest
from conftest import PDF
from PIL import Image

from silabu.core.errors import FileRejected, FileTooLarge, StorageFull, UnsupportedFile
from silabu.evidence import processing
from silabu.evidence import storage as storage_mod
from silabu.evidence.processing import ProcessedFile, process_upload
from silabu.evidence.storage import FileSystemStorage, Storage, key_for, validate_key

UPLOADS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "uploads"
GOOD = UPLOADS / "good"
BAD = UPLOADS / "bad"
LIMITS = dict(max_bytes=20 * 1024 * 1024, max_pixels=60_000_000, long_side=2560, thumb_side=320)

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def process(data: bytes, name: str = "upload.bin", **overrides) -> ProcessedFile:
    return process_upload(data, name, **{**LIMITS, **overrides})


def process_file(name: str) -> ProcessedFile:
    path = GOOD / name
    return process(path.read_bytes(), path.name)


def opened(data: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(data))
    im.load()
    return im


def image_bytes(im: Image.Image, fmt: str, **params) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **params)
    return buf.getvalue()


def zip_bytes(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return buf.getvalue()


def minimal_docx(**extra: bytes) -> dict[str, bytes]:
    return {"[Content_Types].xml": b'<?xml version="1.0"?><Types/>',
            "word/document.xml": b'<?xml version="1.0"?><w:document/>', **extra}


def assert_clean_photo(result: ProcessedFile) -> Image.Image:
    """A served photo is a JPEG that carries nothing from the upload but pixels."""
    assert result.kind == "photo" and result.content_type == "image/jpeg" and result.extension == ".jpg"
    im = opened(result.data)
    assert im.format == "JPEG" and im.mode == "RGB"
    exif = im.getexif()
    assert not dict(exif) and not dict(exif.get_ifd(0x8825))
    assert "exif" not in im.info and "icc_profile" not in im.info
    assert (im.width, im.height) == (result.width, result.height)
    assert max(im.size) <= LIMITS["long_side"] * (1 + processing.LONG_SIDE_TOLERANCE)
    assert result.thumbnail is not None
    thumb = opened(result.thumbnail)
    assert thumb.format == "JPEG" and max(thumb.size) <= LIMITS["thumb_side"] and not dict(thumb.getexif())
    assert (thumb.width > thumb.height) == (im.width > im.height)
    assert result.sha256 == hashlib.sha256(result.data).hexdigest()
    return im


@pytest.mark.parametrize("name", ["phone_12mp_gps.jpg", "phone_portrait_orient6.jpg", "phone_orient3_nogps.jpg",
                                  "browser_compressed_1600.jpg", "screenshot_alpha.png", "photo.webp",
                                  "iphone.heic"])
def test_every_good_photo_is_served_as_a_clean_jpeg_with_a_thumbnail(name):
    result = process_file(name)
    assert_clean_photo(result)
    assert result.original_sha256 != result.sha256


def test_phone_photo_keeps_its_time_and_place_but_serves_neither():
    result = process_file("phone_12mp_gps.jpg")
    assert result.taken_at == datetime(2026, 11, 3, 9, 15, 22)
    # 6° 48' 17.28" S, 110° 50' 25.8" E (Kudus)
    assert result.gps_lat == pytest.approx(-6.8048, abs=1e-4)
    assert result.gps_lon == pytest.approx(110.8405, abs=1e-4)
    im = assert_clean_photo(result)
    assert im.size == (2560, 1920)
    assert b"SM-A546E" not in result.data and b"samsung" not in result.data


def test_orientation_6_photo_is_served_upright_portrait():
    with Image.open(GOOD / "phone_portrait_orient6.jpg") as raw:
        assert raw.width > raw.height and raw.getexif().get(0x0112) == 6
    result = process_file("phone_portrait_orient6.jpg")
    im = assert_clean_photo(result)
    assert im.height > im.width and im.size == (1920, 2560)
    assert opened(result.thumbnail).size == (240, 320)


def test_orientation_3_photo_is_turned_upright_and_keeps_its_time():
    result = process_file("phone_orient3_nogps.jpg")
    with Image.open(GOOD / "phone_orient3_nogps.jpg") as raw:
        expected = raw.convert("RGB").rotate(180).resize(opened(result.data).size)
    served = opened(result.data)
    assert _mean_abs_diff(served, expected) < 12
    assert result.taken_at == datetime(2026, 11, 5, 10, 30)
    assert result.gps_lat is None and result.gps_lon is None


def test_browser_compressed_photo_has_no_taken_at():
    result = process_file("browser_compressed_1600.jpg")
    assert assert_clean_photo(result).size == (1600, 1200)  # smaller than the limit: not resized
    assert result.taken_at is None and result.gps_lat is None


def test_transparent_png_is_flattened_on_white():
    with Image.open(GOOD / "screenshot_alpha.png") as raw:
        assert raw.mode == "RGBA" and raw.getpixel((540, 60))[3] == 0
        raw_size = raw.size
    result = process_file("screenshot_alpha.png")
    im = assert_clean_photo(result)
    assert im.size == raw_size
    assert min(im.getpixel((540, 60))) >= 245


def test_iphone_heic_is_converted_with_its_exif_time_and_gps():
    result = process_file("iphone.heic")
    assert assert_clean_photo(result).size == (2560, 1920)
    assert result.taken_at == datetime(2026, 11, 3, 9, 15, 22)
    assert result.gps_lat == pytest.approx(-6.8048, abs=1e-4)


@pytest.mark.parametrize("name, content_type, extension", [
    ("nota_dinas.pdf", "application/pdf", ".pdf"),
    ("laporan_kegiatan.docx", DOCX, ".docx"),
    ("daftar_hadir.xlsx", XLSX, ".xlsx"),
])
def test_documents_are_kept_byte_for_byte_and_typed_by_content(name, content_type, extension):
    data = (GOOD / name).read_bytes()
    result = process(data, "nama_apa_saja.bin")
    assert result.kind == "document" and result.content_type == content_type and result.extension == extension
    assert result.data == data and result.sha256 == result.original_sha256
    assert result.thumbnail is None and result.taken_at is None and result.gps_lat is None


def test_every_good_file_in_the_corpus_is_accepted():
    names = sorted(p.name for p in GOOD.iterdir())
    assert names, "corpus missing"
    for name in names:
        assert process_file(name).kind in ("photo", "document")


@pytest.mark.parametrize("name, error", [
    ("bomb_400mpx.png", FileRejected),
    ("truncated.jpg", FileRejected),
    ("empty.jpg", FileRejected),
    ("html_named.jpg", UnsupportedFile),
    ("script.svg", UnsupportedFile),
    ("exe_named.pdf", UnsupportedFile),
])
def test_bad_corpus_file_is_refused_with_the_right_error(name, error):
    with pytest.raises(FileRejected) as caught:
        process((BAD / name).read_bytes(), name)
    assert type(caught.value) is error
    assert 400 <= caught.value.status < 500 and caught.value.message


def test_every_bad_file_in_the_corpus_is_refused():
    for path in sorted(BAD.iterdir()):
        with pytest.raises(FileRejected):
            process(path.read_bytes(), path.name)


def test_pixel_bomb_is_refused_cheaply_as_422_not_415():
    started = time.perf_counter()
    with pytest.raises(FileRejected) as caught:
        process((BAD / "bomb_400mpx.png").read_bytes(), "bomb.png")
    assert time.perf_counter() - started < 0.5
    assert caught.value.status == 422 and "Resolusi gambar terlalu besar" in caught.value.message


def test_messages_are_for_the_user_in_indonesian():
    cases = {"empty.jpg": "Berkas kosong", "truncated.jpg": "Gambar rusak atau tidak lengkap",
             "script.svg": "Jenis berkas tidak didukung"}
    for name, words in cases.items():
        with pytest.raises(FileRejected) as caught:
            process((BAD / name).read_bytes(), name)
        assert words in caught.value.message
    with pytest.raises(UnsupportedFile) as caught:
        process(b"<html></html>", "x.pdf")
    assert "JPEG, PNG, WebP, HEIC" in caught.value.message and "PDF, DOCX, XLSX, ODT, ODS" in caught.value.message


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def test_png_header_claiming_a_huge_canvas_is_refused_before_decoding():
    ihdr = struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 4096)
    bomb = b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")
    started = time.perf_counter()
    with pytest.raises(FileRejected) as caught:
        process(bomb, "kecil.png")
    assert time.perf_counter() - started < 0.5
    assert type(caught.value) is FileRejected and "Resolusi" in caught.value.message


def test_png_over_the_configured_pixel_limit_is_refused():
    png = image_bytes(Image.new("L", (2000, 1000)), "PNG")
    assert len(png) < 20_000
    with pytest.raises(FileRejected, match="Resolusi"):
        process(png, "a.png", max_pixels=1_000_000)
    assert process(png, "a.png", max_pixels=2_000_000).kind == "photo"


def test_truncated_png_is_refused():
    png = image_bytes(Image.effect_noise((400, 300), 60).convert("RGB"), "PNG")
    with pytest.raises(FileRejected, match="rusak"):
        process(png[: len(png) // 2], "potong.png")


def test_oversize_upload_is_413():
    with pytest.raises(FileTooLarge) as caught:
        process((GOOD / "nota_dinas.pdf").read_bytes(), "nota.pdf", max_bytes=1000)
    assert caught.value.status == 413 and "terlalu besar" in caught.value.message


@pytest.mark.parametrize("data", [
    b"<!DOCTYPE html><html><script>alert(1)</script></html>",
    b'<html>%PDF-1.4\n<script>alert(1)</script>\n%%EOF',  # a polyglot that only pretends to be a PDF
    b"  %PDF-1.4\n%%EOF",
    b"MZ\x90\x00" + b"\x00" * 200,
    b"\x7fELF\x02\x01\x01" + b"\x00" * 100,
    b"#!/bin/sh\nrm -rf /\n",
    b"<?php echo 1; ?>",
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64,
    b"BMW 320i, laporan perjalanan dinas",
    b"just some text",
])
def test_content_that_is_neither_photo_nor_document_is_415_whatever_its_name(data):
    for name in ("bukti.pdf", "bukti.jpg", "bukti.docx"):
        with pytest.raises(UnsupportedFile):
            process(data, name)


def test_a_plain_zip_renamed_docx_is_415():
    data = zip_bytes({"readme.txt": b"hello", "word.txt": b"not ooxml"})
    with pytest.raises(UnsupportedFile):
        process(data, "laporan.docx")


def test_zip_with_office_parts_but_no_content_types_is_415():
    with pytest.raises(UnsupportedFile):
        process(zip_bytes({"word/document.xml": b"<w/>"}), "laporan.docx")


def test_damaged_docx_is_422_not_415():
    data = (GOOD / "laporan_kegiatan.docx").read_bytes()
    with pytest.raises(FileRejected) as caught:
        process(data[: len(data) // 2], "laporan.docx")
    assert type(caught.value) is FileRejected and "rusak" in caught.value.message


def test_docx_whose_member_fails_its_crc_is_refused():
    data = bytearray(zip_bytes(minimal_docx(**{"word/media/a.txt": b"A" * 5000}), zipfile.ZIP_STORED))
    at = bytes(data).index(b"AAAA")
    data[at] = ord("B")
    with pytest.raises(FileRejected, match="rusak"):
        process(bytes(data), "laporan.docx")


def test_zip_bomb_docx_is_refused():
    bomb = zip_bytes(minimal_docx(**{"word/media/image1.bin": b"\x00" * (24 * 1024 * 1024)}))
    assert len(bomb) < 100_000
    with pytest.raises(FileRejected) as caught:
        process(bomb, "laporan.docx")
    assert type(caught.value) is FileRejected and "tidak wajar" in caught.value.message


def test_inflating_past_the_cap_is_refused_whatever_the_headers_claim(monkeypatch):
    data = zip_bytes(minimal_docx(**{"word/media/a.bin": os.urandom(300_000)}))
    monkeypatch.setattr(processing, "ZIP_MAX_UNCOMPRESSED", 200_000)
    with pytest.raises(FileRejected, match="tidak wajar"):
        processing._verify_members(zipfile.ZipFile(io.BytesIO(data)), zipfile.ZipFile(io.BytesIO(data)).infolist())


def test_encrypted_office_zip_is_refused():
    data = bytearray(zip_bytes(minimal_docx()))
    # Set the "encrypted" flag in every local and central header.
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (at := bytes(data).find(signature, start)) != -1:
            data[at + flag_offset] |= 0x01
            start = at + 4
    with pytest.raises(FileRejected, match="kata sandi"):
        process(bytes(data), "rahasia.docx")


def test_macro_enabled_office_file_is_refused():
    data = zip_bytes(minimal_docx(**{"word/vbaProject.bin": b"\x00" * 64}))
    with pytest.raises(FileRejected, match="makro"):
        process(data, "laporan.docx")


ODF_CONTENT = b'<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"/>'


@pytest.mark.parametrize("mimetype, extension", [
    ("application/vnd.oasis.opendocument.text", ".odt"),
    ("application/vnd.oasis.opendocument.spreadsheet", ".ods"),
    ("application/vnd.oasis.opendocument.presentation", ".odp"),
])
def test_opendocument_files_are_accepted_by_their_mimetype_entry(mimetype, extension):
    data = zip_bytes({"mimetype": mimetype.encode(), "content.xml": ODF_CONTENT,
                      "META-INF/manifest.xml": b"<manifest/>"}, zipfile.ZIP_STORED)
    result = process(data, "apa.zip")
    assert (result.kind, result.content_type, result.extension, result.data) == ("document", mimetype, extension, data)


def test_opendocument_of_another_kind_is_415():
    data = zip_bytes({"mimetype": b"application/vnd.oasis.opendocument.graphics", "content.xml": b"<x/>"})
    with pytest.raises(UnsupportedFile):
        process(data, "gambar.odt")


def _ole2(*streams: str) -> bytes:
    body = b"".join(s.encode("utf-16-le") + b"\x00\x00" + b"\x00" * 30 for s in streams)
    return processing.OLE2_MAGIC + b"\x00" * 504 + body + b"\x00" * 512


def test_legacy_word_and_excel_files_are_documents():
    assert process(_ole2("Root Entry", "WordDocument"), "lama.doc").content_type == "application/msword"
    assert process(_ole2("Root Entry", "Workbook"), "lama.xls").content_type == "application/vnd.ms-excel"


def test_other_ole2_files_such_as_installers_are_415():
    with pytest.raises(UnsupportedFile):
        process(_ole2("Root Entry", "SummaryInformation"), "setup.doc")


def test_password_protected_office_file_is_refused():
    with pytest.raises(FileRejected, match="kata sandi"):
        process(_ole2("Root Entry", "EncryptionInfo", "EncryptedPackage"), "rahasia.docx")


def test_pdf_is_recognised_by_its_header_whatever_its_name():
    result = process(PDF, "scan.jpg")
    assert (result.kind, result.content_type, result.extension) == ("document", "application/pdf", ".pdf")


def test_gif_is_accepted_and_converted_with_transparency_on_white():
    gif = Image.new("P", (60, 40), 0)
    gif.putpalette([0, 0, 0, 200, 0, 0])
    gif.paste(1, (30, 0, 60, 40))
    result = process(image_bytes(gif, "GIF", transparency=0), "animasi.gif")
    im = assert_clean_photo(result)
    assert min(im.getpixel((5, 20))) >= 245  # the transparent half
    assert im.getpixel((50, 20))[0] > 150 and im.getpixel((50, 20))[1] < 60


@pytest.mark.parametrize("fmt, mode", [("BMP", "RGB"), ("TIFF", "RGB"), ("TIFF", "CMYK"), ("PNG", "I;16"),
                                       ("PNG", "LA"), ("PNG", "P"), ("PNG", "1"), ("WEBP", "RGBA"),
                                       ("JPEG", "L"), ("JPEG", "CMYK")])
def test_other_decodable_images_become_rgb_jpegs(fmt, mode):
    im = Image.new(mode, (64, 48))
    assert_clean_photo(process(image_bytes(im, fmt), "gambar"))


def test_small_photo_is_not_upscaled_and_large_one_is_limited_to_the_long_side():
    small = process(image_bytes(Image.new("RGB", (300, 200), (10, 120, 200)), "JPEG"))
    assert (small.width, small.height) == (300, 200)
    large = process(image_bytes(Image.new("RGB", (5000, 1000), (10, 120, 200)), "PNG"))
    assert (large.width, large.height) == (2560, 512)
    assert opened(large.thumbnail).size == (320, 64)


def test_drafted_jpeg_still_reaches_the_long_side():
    big = image_bytes(Image.new("RGB", (6000, 4000), (30, 60, 90)), "JPEG", quality=70)
    result = process(big, "besar.jpg", long_side=1000)
    assert (result.width, result.height) == (1000, 667)


def test_12mp_photo_keeps_the_dct_scaled_size_a_few_percent_over_the_long_side():
    """4032 x 3024 decoded at 1/2 is 2016 px: within the tolerance of 2000, served as decoded, not resampled."""
    result = process_file_with("phone_12mp_gps.jpg", long_side=2000)
    im = assert_clean_photo(result)
    assert im.size == (2016, 1512)
    assert opened(result.thumbnail).size == (320, 240)
    assert result.taken_at == datetime(2026, 11, 3, 9, 15, 22) and result.gps_lat == pytest.approx(-6.8048, abs=1e-4)
    assert b"SM-A546E" not in result.data


def test_portrait_12mp_photo_at_the_dct_size_is_still_turned_upright():
    exif = Image.Exif()
    exif[0x0112] = 6
    raw = Image.new("RGB", (4032, 3024), (200, 200, 200))
    raw.paste((0, 0, 255), (0, 0, 400, 400))  # blue in the stored top-left corner
    result = process(image_bytes(raw, "JPEG", exif=exif.tobytes()), "tegak.jpg", long_side=2000)
    im = assert_clean_photo(result)
    assert im.size == (1512, 2016)
    r, g, b = im.getpixel((im.width - 10, 10))  # orientation 6: the stored top-left ends top-right
    assert b > 200 and r < 60
    assert opened(result.thumbnail).size == (240, 320)


def test_a_size_further_off_than_the_tolerance_is_resampled_to_the_long_side():
    result = process(image_bytes(Image.new("RGB", (4400, 3300), (30, 60, 90)), "JPEG"), "foto.jpg",
                     long_side=2000)
    assert (result.width, result.height) == (2000, 1500)  # 1/2 would be 2200: 10 % over, so resampled


def test_a_heic_sized_png_is_reduced_by_an_integer_factor_within_the_tolerance():
    result = process(image_bytes(Image.new("RGB", (2016, 1512), (10, 120, 200)), "PNG"), "besar.png",
                     long_side=500)
    assert (result.width, result.height) == (504, 378)  # 1/4: 504 px is 0.8 % over 500
    assert opened(result.data).getpixel((250, 180)) == pytest.approx((10, 120, 200), abs=3)


def test_the_served_side_is_never_below_the_long_side():
    for long_side in (1990, 2000, 2016):
        assert processing.served_long_side_fits(2016, long_side)
    assert not processing.served_long_side_fits(2016, 2017)
    assert not processing.served_long_side_fits(2200, 2000)


def process_file_with(name: str, **overrides) -> ProcessedFile:
    path = GOOD / name
    return process(path.read_bytes(), path.name, **overrides)


def _jpeg_with_exif(exif: Image.Exif, size=(120, 80)) -> bytes:
    im = Image.new("RGB", size, (200, 30, 30))
    im.paste((30, 30, 200), (0, 0, 20, 20))  # a blue mark at the top-left
    return image_bytes(im, "JPEG", exif=exif.tobytes())


def test_taken_at_falls_back_to_datetime_when_there_is_no_datetimeoriginal():
    exif = Image.Exif()
    exif[0x0132] = "2025:12:31 23:59:58"
    assert process(_jpeg_with_exif(exif)).taken_at == datetime(2025, 12, 31, 23, 59, 58)


def test_placeholder_or_nonsense_exif_dates_give_no_taken_at():
    for value in ("0000:00:00 00:00:00", "2025:13:45 99:99:99", "kemarin", ""):
        exif = Image.Exif()
        exif[0x0132] = value
        assert process(_jpeg_with_exif(exif)).taken_at is None


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
def test_garbage_exif_does_not_crash_and_is_not_served():
    jpeg = image_bytes(Image.new("RGB", (50, 50), (0, 128, 0)), "JPEG")
    app1 = b"Exif\x00\x00" + b"MM\x00*\x00\x00\x00\x08\xff\xff" + os.urandom(200)
    broken = jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + jpeg[2:]
    result = process(broken, "aneh.jpg")
    assert_clean_photo(result)
    assert result.taken_at is None and result.gps_lat is None


def test_invalid_gps_values_are_ignored():
    exif = Image.Exif()
    exif[0x0132] = "2025:01:02 03:04:05"
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (999.0, 0.0, 0.0), 3: "E", 4: (110.0, 50.0, 25.8)})
    result = process(_jpeg_with_exif(exif))
    assert result.gps_lat is None and result.gps_lon is None and result.taken_at == datetime(2025, 1, 2, 3, 4, 5)


def test_gps_in_the_western_and_northern_hemispheres():
    exif = Image.Exif()
    exif.get_ifd(0x8825).update({1: "N", 2: (40.0, 30.0, 0.0), 3: "W", 4: (73.0, 15.0, 0.0)})
    result = process(_jpeg_with_exif(exif))
    assert (result.gps_lat, result.gps_lon) == (pytest.approx(40.5), pytest.approx(-73.25))


@pytest.mark.parametrize("orientation, expected_size, blue_corner", [
    (1, (120, 80), (0, 0)), (3, (120, 80), (119, 79)), (6, (80, 120), (79, 0)), (8, (80, 120), (0, 119)),
])
def test_every_orientation_is_turned_upright(orientation, expected_size, blue_corner):
    exif = Image.Exif()
    exif[0x0112] = orientation
    im = opened(process(_jpeg_with_exif(exif)).data)
    assert im.size == expected_size
    # Look a little inside the corner, away from JPEG ringing at the very edge.
    x = 2 if blue_corner[0] == 0 else im.width - 3
    y = 2 if blue_corner[1] == 0 else im.height - 3
    r, g, b = im.getpixel((x, y))
    assert b > 150 and r < 100


def test_heic_with_orientation_is_not_turned_twice():
    pytest.importorskip("pillow_heif")
    if not Image.registered_extensions().get(".heic"):
        pytest.skip("no HEIF support")
    exif = Image.Exif()
    exif[0x0112] = 6
    im = Image.new("RGB", (120, 80), (200, 30, 30))
    im.paste((30, 30, 200), (0, 0, 20, 20))
    try:
        heic = image_bytes(im, "HEIF", exif=exif.tobytes())
    except Exception:
        pytest.skip("no HEIF encoder")
    served = opened(process(heic, "foto.heic").data)
    assert served.size == (80, 120)
    r, g, b = served.getpixel((77, 2))
    assert b > 150 and r < 100


def test_payload_hidden_in_a_photo_does_not_reach_the_served_copy():
    exif = Image.Exif()
    exif[0x010E] = "<?php system($_GET['c']); ?>"  # ImageDescription
    exif[0x0132] = "2025:01:02 03:04:05"
    jpeg = _jpeg_with_exif(exif) + b"<script>alert(1)</script><?php echo 1; ?>"
    result = process(jpeg, "foto.jpg")
    assert b"<?php" not in result.data and b"<script" not in result.data
    assert b"<?php" not in result.thumbnail and b"<script" not in result.thumbnail


def test_icc_profile_is_applied_not_kept():
    from PIL import ImageCms

    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    result = process(image_bytes(Image.new("RGB", (40, 30), (10, 200, 30)), "JPEG", icc_profile=srgb))
    im = assert_clean_photo(result)
    assert im.getpixel((20, 15))[1] > 180


def test_filename_never_decides_the_type():
    data = (GOOD / "nota_dinas.pdf").read_bytes()
    assert {process(data, name).content_type for name in ("a.jpg", "a.exe", "", "a.html")} == {"application/pdf"}


def test_12_megapixel_photo_is_processed_quickly():
    data = (GOOD / "phone_12mp_gps.jpg").read_bytes()
    process(data)  # warm up the decoders
    started = time.perf_counter()
    process(data)
    # Well under a second on a normal machine; the generous bound keeps slow CI runners green.
    assert time.perf_counter() - started < 3


def _mean_abs_diff(a: Image.Image, b: Image.Image) -> float:
    from PIL import ImageChops, ImageStat

    return sum(ImageStat.Stat(ImageChops.difference(a.convert("RGB"), b.convert("RGB"))).mean) / 3


SHA = "ab" * 32


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


@pytest.fixture()
def store(tmp_path) -> FileSystemStorage:
    return FileSystemStorage(tmp_path / "uploads")


def test_key_is_content_addressed():
    assert key_for(SHA) == f"ab/ab/{SHA}"
    assert key_for(SHA.upper(), ".thumb.jpg") == f"ab/ab/{SHA}.thumb.jpg"
    for bad in ("xyz", "ab" * 31, "../" + "a" * 61):
        with pytest.raises(ValueError):
            key_for(bad)
    with pytest.raises(ValueError):
        key_for(SHA, "/../x")


@pytest.mark.parametrize("key", ["../etc/passwd", "/etc/passwd", "ab/../../x", ".tmp/abc", "ab//cd", "",
                                 "ab/cd/x.part", "ab\\cd", "ab/.hidden"])
def test_unsafe_keys_are_refused(store, key):
    with pytest.raises(ValueError):
        validate_key(key)
    with pytest.raises(ValueError):
        store.store(key, b"x")


def test_store_open_size_exists_delete(store):
    key = key_for(SHA, ".jpg")
    assert not store.exists(key)
    store.store(key, b"isi berkas")
    assert store.exists(key) and store.size(key) == 10
    with store.open(key) as fh:
        assert fh.read() == b"isi berkas"
    assert store.local_path(key) == store.root / "ab" / "ab" / f"{SHA}.jpg"
    assert store.local_path(key).read_bytes() == b"isi berkas"
    assert files_under(store.root) == [store.local_path(key)]  # no temp file left behind
    store.delete(key)
    assert not store.exists(key)
    store.delete(key)  # deleting what is gone is fine
    assert files_under(store.root) == []


def test_storing_an_existing_key_is_a_no_op(store):
    key = key_for(SHA)
    store.store(key, b"pertama")
    path = store.local_path(key)
    os.utime(path, (1_000_000, 1_000_000))
    store.store(key, b"kedua")
    assert path.read_bytes() == b"pertama" and path.stat().st_mtime == 1_000_000


def test_filesystem_storage_satisfies_the_interface(store):
    assert isinstance(store, Storage)


@pytest.mark.parametrize("call, code", [("write", errno.ENOSPC), ("fsync", errno.ENOSPC),
                                        ("write", getattr(errno, "EDQUOT", errno.ENOSPC)),
                                        ("replace", errno.ENOSPC)])
def test_full_disk_becomes_storage_full_and_leaves_nothing(store, monkeypatch, call, code):
    store.store(key_for("cd" * 32), b"sudah ada")
    before = files_under(store.root)

    def fail(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(storage_mod.os, call, fail)
    with pytest.raises(StorageFull) as caught:
        store.store(key_for(SHA, ".jpg"), b"x" * 100_000)
    monkeypatch.undo()
    assert caught.value.status == 507
    assert caught.value.message == "Ruang penyimpanan server penuh; berkas tidak tersimpan. Hubungi admin."
    assert files_under(store.root) == before
    assert not store.exists(key_for(SHA, ".jpg"))


def test_full_disk_on_an_empty_root_leaves_no_file(store, monkeypatch):
    monkeypatch.setattr(storage_mod.os, "write", lambda *a: (_ for _ in ()).throw(OSError(errno.ENOSPC, "full")))
    with pytest.raises(StorageFull):
        store.store(key_for(SHA), b"data")
    assert files_under(store.root) == []


def test_other_write_errors_propagate_and_clean_up(store, monkeypatch):
    monkeypatch.setattr(storage_mod.os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(errno.EIO, "io")))
    with pytest.raises(OSError) as caught:
        store.store(key_for(SHA), b"data")
    assert not isinstance(caught.value, StorageFull) and caught.value.errno == errno.EIO
    assert files_under(store.root) == []


def test_iter_keys_lists_blobs_and_skips_temp_files(store):
    keys = sorted([key_for(SHA, ".jpg"), key_for(SHA, ".thumb.jpg"), key_for("0f" * 32, ".pdf")])
    for key in keys:
        store.store(key, b"x")
    (store.root / ".tmp").mkdir(exist_ok=True)
    (store.root / ".tmp" / "a1b2.part").write_bytes(b"separuh")
    (store.root / "ab" / "ab" / f"{SHA}.png.part").write_bytes(b"separuh")
    (store.root / "ab" / ".DS_Store").write_bytes(b"")
    assert sorted(store.iter_keys()) == keys


def test_iter_keys_on_a_missing_root_is_empty(tmp_path):
    assert list(FileSystemStorage(tmp_path / "belum-ada").iter_keys()) == []


def test_clean_temp_removes_only_stale_temp_files(store):
    store.store(key_for(SHA), b"x")
    old = store.root / ".tmp" / "old.part"
    fresh = store.root / ".tmp" / "fresh.part"
    old.write_bytes(b"1")
    fresh.write_bytes(b"2")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    assert store.clean_temp(3600) == 1
    assert not old.exists() and fresh.exists() and store.exists(key_for(SHA))
    assert store.modified_at(key_for(SHA)) <= time.time()
