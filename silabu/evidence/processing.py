"""Turn uploaded bytes into what SILABU keeps: a clean photo or an unchanged document.

The type is decided by the bytes themselves, never by the file name or the browser's content type.
Photos are fully decoded (so bombs and truncated files are refused here), turned upright, flattened,
downscaled and re-encoded as JPEG without any metadata; the time and place they were taken are read
from EXIF first. Documents are kept byte for byte and always served as downloads.
"""
from __future__ import annotations

import hashlib
import io
import math
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PIL import Image, ImageFile

from silabu.core.errors import FileRejected, FileTooLarge, ServiceError, UnsupportedFile

try:
    import pillow_heif

    pillow_heif.register_heif_opener()
except ImportError:  # pragma: no cover - HEIC is then refused as unsupported
    pillow_heif = None

UNSUPPORTED_MESSAGE = ("Jenis berkas tidak didukung. Unggah foto (JPEG, PNG, WebP, HEIC) atau dokumen "
                       "(PDF, DOCX, XLSX, ODT, ODS).")
EMPTY_MESSAGE = "Berkas kosong (0 byte). Pilih ulang berkasnya lalu unggah kembali."
CORRUPT_IMAGE_MESSAGE = "Gambar rusak atau tidak lengkap. Ambil ulang fotonya atau unggah berkas aslinya."
CORRUPT_DOCUMENT_MESSAGE = "Dokumen rusak atau tidak dapat dibaca. Simpan ulang dokumennya lalu unggah kembali."
ENCRYPTED_MESSAGE = "Dokumen dilindungi kata sandi. Unggah versi tanpa kata sandi."
MACRO_MESSAGE = ("Dokumen berisi makro dan tidak diterima. Simpan ulang sebagai dokumen biasa "
                 "(.docx, .xlsx, atau .pptx) lalu unggah kembali.")
ARCHIVE_BOMB_MESSAGE = "Isi dokumen tidak wajar (terlalu besar setelah dibuka). Periksa dokumennya lalu unggah ulang."

JPEG_QUALITY = 85
# The served photo's long side may exceed SILABU_IMAGE_LONG_SIDE by this much, never fall below it: a
# DCT-scaled decode or an integer reduction that lands there is kept instead of resampled.
LONG_SIDE_TOLERANCE = 0.05
THUMBNAIL_QUALITY = 75

# Office files are ZIP archives: refuse ones that would expand absurdly when opened.
ZIP_MAX_UNCOMPRESSED = 200 * 1024 * 1024
ZIP_MAX_RATIO = 100
ZIP_RATIO_FLOOR = 20 * 1024 * 1024  # below this much content, a high ratio is harmless
ZIP_MAX_MEMBERS = 10_000

OOXML_TYPES = {  # main part -> (content type, extension)
    "word/document.xml": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
    "xl/workbook.xml": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
    "ppt/presentation.xml": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", ".pptx"),
}
ODF_TYPES = {
    "application/vnd.oasis.opendocument.text": ".odt",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
    "application/vnd.oasis.opendocument.presentation": ".odp",
}
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
OLE2_TYPES = (  # a stream name (UTF-16LE in the directory) -> (content type, extension)
    ("WordDocument", "application/msword", ".doc"),
    ("Workbook", "application/vnd.ms-excel", ".xls"),
    ("Book", "application/vnd.ms-excel", ".xls"),
    ("PowerPoint Document", "application/vnd.ms-powerpoint", ".ppt"),
)
HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1"}
AVIF_BRANDS = {b"avif", b"avis"}

# EXIF Orientation -> the transpose that makes the pixels upright (same table as ImageOps.exif_transpose).
ORIENTATION_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
TAG_ORIENTATION, TAG_DATETIME, IFD_EXIF, IFD_GPS = 0x0112, 0x0132, 0x8769, 0x8825
TAG_DATETIME_ORIGINAL, TAG_DATETIME_DIGITIZED = 0x9003, 0x9004
_EXIF_DATETIME = re.compile(r"(\d{4})[:\-/.](\d{1,2})[:\-/.](\d{1,2})[ T]+(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?")


@dataclass(frozen=True)
class ProcessedFile:
    kind: str  # "photo" | "document"
    content_type: str
    data: bytes  # the bytes to store and serve
    sha256: str  # of ``data``
    original_sha256: str  # of the upload as received
    thumbnail: bytes | None
    width: int | None
    height: int | None
    taken_at: datetime | None  # camera's local time, naive
    gps_lat: float | None
    gps_lon: float | None
    extension: str

    @property
    def size(self) -> int:
        return len(self.data)


def process_upload(data: bytes, filename: str, *, max_bytes: int, max_pixels: int, long_side: int,
                   thumb_side: int) -> ProcessedFile:
    """Check and convert one uploaded file; raises FileRejected (or its 413/415 kinds) with a user message."""
    # ``filename`` is deliberately not used to decide anything: the bytes say what the file is.
    del filename
    if not data:
        raise FileRejected(EMPTY_MESSAGE)
    if len(data) > max_bytes:
        raise FileTooLarge(f"Berkas terlalu besar ({_mb(len(data))} MB). Ukuran maksimal {_mb(max_bytes)} MB; "
                           "kecilkan foto atau pisahkan dokumennya.")
    data = bytes(data)
    original_sha256 = hashlib.sha256(data).hexdigest()
    image_formats = _image_formats(data)
    if image_formats:
        return _process_image(data, image_formats, original_sha256, max_pixels=max_pixels, long_side=long_side,
                              thumb_side=thumb_side)
    content_type, extension = _document_type(data)
    return ProcessedFile(kind="document", content_type=content_type, data=data, sha256=original_sha256,
                         original_sha256=original_sha256, thumbnail=None, width=None, height=None, taken_at=None,
                         gps_lat=None, gps_lon=None, extension=extension)


def _image_formats(data: bytes) -> list[str]:
    """The Pillow format(s) the magic bytes point at, or [] when the bytes are not a photo we take."""
    head = data[:32]
    if head.startswith(b"\xff\xd8\xff"):
        return ["JPEG"]  # phones' multi-picture JPEGs come back as "MPO", still a JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return ["PNG"]
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return ["WEBP"]
    if head.startswith((b"GIF87a", b"GIF89a")):
        return ["GIF"]
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return ["TIFF"]
    if head.startswith(b"BM") and len(data) >= 26 and int.from_bytes(head[14:18], "little") in (
            12, 40, 52, 56, 64, 108, 124):
        return ["BMP"]
    if head[4:8] == b"ftyp":
        box_size = int.from_bytes(head[:4], "big")
        brands = {data[8:12]} | {data[i:i + 4] for i in range(16, min(box_size, 64), 4)}
        if data[8:12] in AVIF_BRANDS:
            return [f for f in ("AVIF", "HEIF") if f in Image.OPEN]
        if brands & (HEIF_BRANDS | AVIF_BRANDS):
            return [f for f in ("HEIF", "AVIF") if f in Image.OPEN]
    return []


def _document_type(data: bytes) -> tuple[str, str]:
    if data.startswith(b"%PDF-"):
        _check_pdf(data)
        return "application/pdf", ".pdf"
    if data.startswith(b"PK\x03\x04"):
        return _zip_document_type(data)
    if data.startswith(OLE2_MAGIC):
        return _ole2_document_type(data)
    raise UnsupportedFile(UNSUPPORTED_MESSAGE)


def _zip_document_type(data: bytes) -> tuple[str, str]:
    """OOXML (docx/xlsx/pptx) or ODF (odt/ods/odp) — checked as a whole, sound archive."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except Exception:
        raise FileRejected(CORRUPT_DOCUMENT_MESSAGE) from None
    with zf:
        names = {info.filename.lower(): info for info in infos}
        found = _odf_type(zf, names) or _ooxml_type(names)
        if found is None:
            raise UnsupportedFile(UNSUPPORTED_MESSAGE)
        if any(info.flag_bits & 0x1 for info in infos):
            raise FileRejected(ENCRYPTED_MESSAGE)
        if any(name.endswith("vbaproject.bin") for name in names):
            raise FileRejected(MACRO_MESSAGE)
        total = sum(info.file_size for info in infos)
        if (len(infos) > ZIP_MAX_MEMBERS or total > ZIP_MAX_UNCOMPRESSED
                or (total > ZIP_RATIO_FLOOR and total > ZIP_MAX_RATIO * len(data))):
            raise FileRejected(ARCHIVE_BOMB_MESSAGE)
        _verify_members(zf, infos)
        _check_main_part(zf, names, found)
    return found


PDF_NO_PAGES_MESSAGE = ("PDF ini tidak memiliki halaman yang dapat dibaca. Simpan ulang atau cetak ulang ke PDF "
                        "lalu unggah kembali.")
MAIN_PARTS = {".docx": "word/document.xml", ".xlsx": "xl/workbook.xml", ".pptx": "ppt/presentation.xml"}


def _check_pdf(data: bytes) -> None:
    """A PDF a reader can open: its structure parses and it has at least one page (not only the magic bytes)."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise FileRejected(ENCRYPTED_MESSAGE)
        pages = len(reader.pages)
    except FileRejected:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError, OSError):
        raise FileRejected(CORRUPT_DOCUMENT_MESSAGE) from None
    except Exception:
        raise FileRejected(CORRUPT_DOCUMENT_MESSAGE) from None
    if pages < 1:
        raise FileRejected(PDF_NO_PAGES_MESSAGE)


def _check_main_part(zf: zipfile.ZipFile, names: dict[str, zipfile.ZipInfo], found: tuple[str, str]) -> None:
    """An office file whose main part (the document, the workbook, the ODF content) is well-formed XML."""
    from xml.etree import ElementTree

    extension = found[1]
    part = MAIN_PARTS.get(extension, "content.xml")
    info = names.get(part)
    if info is None:
        raise FileRejected(CORRUPT_DOCUMENT_MESSAGE)
    try:
        ElementTree.fromstring(zf.read(info))
        if extension in MAIN_PARTS:
            ElementTree.fromstring(zf.read(names["[content_types].xml"]))
    except (ElementTree.ParseError, KeyError, ValueError, zipfile.BadZipFile):
        raise FileRejected(CORRUPT_DOCUMENT_MESSAGE) from None


def extension_for(content_type: str) -> str:
    """The file extension of a content type SILABU accepts (what a download's name ends with)."""
    known = {"application/pdf": ".pdf", "image/jpeg": ".jpg"}
    known.update(dict(OOXML_TYPES.values()))
    known.update(ODF_TYPES)
    known.update({ct: ext for _, ct, ext in OLE2_TYPES})
    return known.get(content_type, "")


def _odf_type(zf: zipfile.ZipFile, names: dict[str, zipfile.ZipInfo]) -> tuple[str, str] | None:
    info = names.get("mimetype")
    if info is None or info.file_size > 200:
        return None
    try:
        mimetype = zf.read(info).decode("ascii", "replace").strip()
    except Exception:
        raise FileRejected(CORRUPT_DOCUMENT_MESSAGE) from None
    return (mimetype, ODF_TYPES[mimetype]) if mimetype in ODF_TYPES else None


def _ooxml_type(names: dict[str, zipfile.ZipInfo]) -> tuple[str, str] | None:
    if "[content_types].xml" not in names:
        return None
    for part, found in OOXML_TYPES.items():
        if part in names:
            return found
    return None


def _verify_members(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> None:
    """Inflate every member (CRC-checked by zipfile) with a hard cap, whatever the headers claim."""
    budget = ZIP_MAX_UNCOMPRESSED
    try:
        for info in infos:
            if info.is_dir():
                continue
            with zf.open(info) as member:
                while chunk := member.read(1 << 20):
                    budget -= len(chunk)
                    if budget < 0:
                        raise FileRejected(ARCHIVE_BOMB_MESSAGE)
    except FileRejected:
        raise
    except Exception:
        raise FileRejected(CORRUPT_DOCUMENT_MESSAGE) from None


def _ole2_document_type(data: bytes) -> tuple[str, str]:
    """Legacy .doc/.xls/.ppt; other OLE2 files (installers, password-wrapped Office files) are refused."""
    if "EncryptedPackage".encode("utf-16-le") in data:
        raise FileRejected(ENCRYPTED_MESSAGE)
    for stream, content_type, extension in OLE2_TYPES:
        if (stream.encode("utf-16-le") + b"\x00\x00") in data:
            return content_type, extension
    raise UnsupportedFile(UNSUPPORTED_MESSAGE)


def _process_image(data: bytes, formats: list[str], original_sha256: str, *, max_pixels: int, long_side: int,
                   thumb_side: int) -> ProcessedFile:
    too_big = FileRejected(f"Resolusi gambar terlalu besar (maksimal {max_pixels / 1_000_000:g} megapiksel). "
                           "Kecilkan gambarnya lalu unggah kembali.")
    # A truncated upload must fail here, not be stored half grey.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        im = Image.open(io.BytesIO(data), formats=formats)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_big from None
    except Exception:
        raise FileRejected(CORRUPT_IMAGE_MESSAGE) from None
    try:
        width, height = im.size
        if width < 1 or height < 1:
            raise FileRejected(CORRUPT_IMAGE_MESSAGE)
        if width * height > max_pixels:  # decided from the header, before any pixel is decoded
            raise too_big
        exif = _read_exif(im)
        taken_at = _taken_at(exif)
        gps_lat, gps_lon = _gps(exif)
        orientation = _orientation(exif)
        if im.format in ("JPEG", "MPO") and max(width, height) > long_side:
            # Let libjpeg decode at 1/2, 1/4 or 1/8 scale while the long side stays >= long_side.
            im.draft("RGB", (long_side, 1) if width >= height else (1, long_side))
        im.load()
        photo = _downscale(_to_rgb(im), long_side)
        if orientation in ORIENTATION_TRANSPOSE:
            photo = photo.transpose(ORIENTATION_TRANSPOSE[orientation])
        served = _encode_jpeg(photo, JPEG_QUALITY, progressive=False)  # 5x cheaper to encode than progressive
        thumbnail = _encode_jpeg(_thumbnail(photo, thumb_side), THUMBNAIL_QUALITY, progressive=False)
    except ServiceError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning, MemoryError):
        raise too_big from None
    except Exception:
        # Pillow signals bad input with many exception types (OSError, SyntaxError, ValueError, struct.error...).
        raise FileRejected(CORRUPT_IMAGE_MESSAGE) from None
    return ProcessedFile(kind="photo", content_type="image/jpeg", data=served,
                         sha256=hashlib.sha256(served).hexdigest(), original_sha256=original_sha256,
                         thumbnail=thumbnail, width=photo.width, height=photo.height, taken_at=taken_at,
                         gps_lat=gps_lat, gps_lon=gps_lon, extension=".jpg")


def _to_rgb(im: Image.Image) -> Image.Image:
    """RGB pixels in sRGB: transparency flattened on white, colour profiles applied, high bit depths scaled."""
    icc = im.info.get("icc_profile")
    if im.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        im = im.convert("I")
        hi = im.getextrema()[1]
        im = (im.point(lambda v: v * (1 / 256)) if hi > 255 else im).convert("L")
    elif im.mode == "F":
        lo, hi = im.getextrema()
        if lo >= 0.0 and hi <= 1.0:
            lo, hi = 0.0, 1.0
        scale = 255.0 / (hi - lo) if hi > lo else 1.0
        im = im.point(lambda v: (v - lo) * scale).convert("L")
    if im.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in im.info:
        rgba = im.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    if icc and im.mode in ("RGB", "CMYK"):
        converted = _to_srgb(im, icc)
        if converted is not None:
            return converted
    return im if im.mode == "RGB" else im.convert("RGB")


def _to_srgb(im: Image.Image, icc: bytes) -> Image.Image | None:
    """Apply an embedded ICC profile (Display P3, CMYK press profiles...) so the untagged JPEG looks right."""
    try:
        from PIL import ImageCms

        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        return ImageCms.profileToProfile(im, source, ImageCms.createProfile("sRGB"), outputMode="RGB")
    except Exception:
        return None


def served_long_side_fits(size: int, long_side: int) -> bool:
    """A decoded long side that is served as it is: at least the configured one and at most a few percent over."""
    return long_side <= size <= long_side * (1 + LONG_SIDE_TOLERANCE)


def _downscale(im: Image.Image, long_side: int) -> Image.Image:
    width, height = im.size
    longest = max(width, height)
    if longest <= long_side * (1 + LONG_SIDE_TOLERANCE):
        # Smaller than the limit, or libjpeg's 1/2-1/8 scale already landed on it (4032 px -> 2016 for 2000):
        # resampling 16 pixels away would cost a 12 MP photo ~50 ms and change nothing a person sees.
        return im
    factor = longest // long_side
    if factor >= 2 and served_long_side_fits(-(-longest // factor), long_side):
        # Formats without a reduced decode (HEIC, PNG, WebP): an integer box reduction is exact and cheap.
        return im.reduce(factor)
    scale = long_side / longest
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    # Bicubic: as sharp as Lanczos to the eye at these ratios, and a third faster on a 12 MP photo.
    return im.resize(size, Image.Resampling.BICUBIC, reducing_gap=3.0)


def _thumbnail(photo: Image.Image, thumb_side: int) -> Image.Image:
    """The thumbnail, resampled from the already reduced photo (no copy of it first)."""
    width, height = photo.size
    if max(width, height) <= thumb_side:
        return photo
    scale = thumb_side / max(width, height)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return photo.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)


def _encode_jpeg(im: Image.Image, quality: int, *, progressive: bool) -> bytes:
    """JPEG with no EXIF, no ICC, no comments: nothing from the upload but its pixels."""
    clean = im if im.mode == "RGB" else im.convert("RGB")
    clean.info = {}
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=quality, optimize=True, progressive=progressive, subsampling="4:2:0")
    return out.getvalue()


def _read_exif(im: Image.Image) -> Image.Exif:
    """The image's EXIF, or an empty one; broken EXIF is ignored, never fatal."""
    try:
        exif = im.getexif()
        if len(exif) or not im.info.get("exif"):
            return exif
    except Exception:
        pass
    exif = Image.Exif()
    raw = im.info.get("exif")  # HEIC via pillow_heif, and some WebP/PNG, keep the raw block here
    if isinstance(raw, (bytes, bytearray)) and raw:
        try:
            exif.load(bytes(raw))
        except Exception:
            return Image.Exif()
    return exif


def _ifd(exif: Image.Exif, tag: int) -> dict[int, Any]:
    try:
        return dict(exif.get_ifd(tag))
    except Exception:
        return {}


def _orientation(exif: Image.Exif) -> int:
    try:
        value = exif.get(TAG_ORIENTATION, 1)
        if isinstance(value, (tuple, list)):
            value = value[0]
        return int(value)
    except Exception:
        return 1


def _taken_at(exif: Image.Exif) -> datetime | None:
    sub = _ifd(exif, IFD_EXIF)
    for value in (sub.get(TAG_DATETIME_ORIGINAL), sub.get(TAG_DATETIME_DIGITIZED), exif.get(TAG_DATETIME)):
        parsed = _parse_exif_datetime(value)
        if parsed is not None:
            return parsed
    return None


def _parse_exif_datetime(value: Any) -> datetime | None:
    if isinstance(value, (tuple, list)) and value:
        value = value[0]
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value).decode("ascii", "ignore")
    if not isinstance(value, str):
        return None
    match = _EXIF_DATETIME.search(value.replace("\x00", ""))
    if not match:
        return None
    year, month, day, hour, minute, second = (int(g) if g else 0 for g in match.groups())
    if year < 1970:  # "0000:00:00 00:00:00" and other placeholders
        return None
    try:
        return datetime(year, month, day, hour, minute, min(second, 59))
    except ValueError:
        return None


def _gps(exif: Image.Exif) -> tuple[float | None, float | None]:
    gps = _ifd(exif, IFD_GPS)
    if not gps:
        return None, None
    lat = _gps_coordinate(gps.get(2), gps.get(1), ("S",), 90.0)
    lon = _gps_coordinate(gps.get(4), gps.get(3), ("W",), 180.0)
    if lat is None or lon is None or (lat == 0.0 and lon == 0.0):  # 0,0 is what phones write without a fix
        return None, None
    return lat, lon


def _gps_coordinate(value: Any, ref: Any, negative: tuple[str, ...], limit: float) -> float | None:
    try:
        if isinstance(value, (tuple, list)):
            parts = [float(v) for v in value[:3]]
        else:
            parts = [float(value)]
        parts += [0.0] * (3 - len(parts))
        degrees = parts[0] + parts[1] / 60 + parts[2] / 3600
    except Exception:
        return None
    if not math.isfinite(degrees) or abs(degrees) > limit:
        return None
    if isinstance(ref, (bytes, bytearray)):
        ref = bytes(ref).decode("ascii", "ignore")
    if isinstance(ref, str) and ref.strip("\x00 ").upper() in negative:
        degrees = -abs(degrees)
    return round(degrees, 7)


def _mb(n: int) -> str:
    value = n / (1024 * 1024)
    text = f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"
    return text.replace(".", ",")


NAME_MAX = 255


def sanitize_filename(name: str | None, fallback_extension: str = "") -> str:
    """The name as the user knows it, safe to keep and show: basename only, no control characters, <= 255."""
    text = unicodedata.normalize("NFC", str(name or ""))
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    # Cc: control characters; Cf: invisible format marks such as the right-to-left override ("gpj.exe").
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf"))
    text = " ".join(text.split()).strip(" .")
    if not text:
        text = "bukti" + fallback_extension
    if len(text) > NAME_MAX:
        stem, dot, ext = text.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            text = stem[:NAME_MAX - len(ext) - 1].rstrip() + "." + ext
        else:
            text = text[:NAME_MAX]
    return text


def process_with_limits(data: bytes, filename: str) -> ProcessedFile:
    """``process_upload`` with the installation's limits (configuration): every upload of evidence comes here."""
    from flask import current_app

    config = current_app.config
    return process_upload(data, filename, max_bytes=config["EVIDENCE_MAX_BYTES"],
                          max_pixels=config["IMAGE_MAX_PIXELS"], long_side=config["IMAGE_SERVE_LONG_SIDE"],
                          thumb_side=config["THUMBNAIL_LONG_SIDE"])
