"""Evidence uploads through the API with the real-world corpus: good files accepted as described,
bad files refused with nothing left behind, and only those who may see the entry get the bytes."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
import time_machine
from PIL import Image

from tests.conftest import CODE, UPLOADS

GOOD = sorted((UPLOADS / "good").iterdir())
BAD = sorted((UPLOADS / "bad").iterdir())


@pytest.fixture(autouse=True)
def _wednesday():
    with time_machine.travel("2026-11-18 09:00 +07:00", tick=False):
        yield


def stored(app) -> list[str]:
    root = Path(app.config["UPLOAD_DIR"])
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.fixture()
def draft(client, make_asn, api_token):
    asn = make_asn()
    h = api_token(asn)
    r = client.post("/api/v1/entries", headers=h, json=dict(entry_date="2026-11-18", output_code=CODE,
                                                             activity="Rapat koordinasi", output="Notula",
                                                             quantity=1, unit="Dokumen"))
    return r.json["id"], h


def upload(client, eid, h, path: Path, name: str | None = None):
    return client.post(f"/api/v1/entries/{eid}/evidence", headers=h,
                       data={"file": (io.BytesIO(path.read_bytes()), name or path.name)},
                       content_type="multipart/form-data")


@pytest.mark.parametrize("path", GOOD, ids=[p.name for p in GOOD])
def test_good_file_is_accepted(client, draft, path):
    eid, h = draft
    r = upload(client, eid, h, path)
    assert r.status_code == 201, r.json
    ev = r.json
    assert {"id", "kind", "content_type", "size", "sha256", "taken_at", "original_name", "url",
            "thumbnail_url"} <= set(ev)
    assert ev["original_name"] == path.name
    got = client.get(ev["url"], headers=h)
    assert got.status_code == 200
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    import hashlib

    assert hashlib.sha256(got.data).hexdigest() == ev["sha256"] and len(got.data) == ev["size"]
    if path.suffix.lower() in (".pdf", ".docx", ".xlsx"):
        assert ev["kind"] == "document"
        assert got.headers["Content-Disposition"].startswith("attachment")
        assert got.data == path.read_bytes()
        assert ev["thumbnail_url"] is None
        return
    assert ev["kind"] == "photo" and got.mimetype == "image/jpeg"
    im = Image.open(io.BytesIO(got.data))
    exif = im.getexif()
    assert not dict(exif.get_ifd(0x8825)), "served copy carries no GPS"
    assert exif.get(0x0112, 1) == 1, "served copy needs no rotation"
    thumb = client.get(ev["thumbnail_url"], headers=h)
    assert thumb.status_code == 200 and Image.open(io.BytesIO(thumb.data)).size[0] <= 400
    if "orient6" in path.name:
        assert im.height > im.width
    if path.name in ("phone_12mp_gps.jpg", "phone_orient3_nogps.jpg", "iphone.heic"):
        assert ev["taken_at"]
    if path.name == "browser_compressed_1600.jpg":
        assert ev["taken_at"] is None
    assert not any("gps" in key.lower() for key in ev), "GPS stays private"


@pytest.mark.parametrize("path", BAD, ids=[p.name for p in BAD])
def test_bad_file_is_refused_and_leaves_nothing(app, client, draft, path, db):
    from silabu.entries.models import Evidence

    eid, h = draft
    before = stored(app)
    r = upload(client, eid, h, path)
    assert r.status_code in (413, 415, 422), (r.status_code, r.json)
    assert r.json["error"]["message"]
    assert stored(app) == before
    assert db.session.scalar(db.select(db.func.count()).select_from(Evidence)) == 0


def test_bad_content_under_a_good_name_is_refused(client, draft):
    eid, h = draft
    html = UPLOADS / "bad" / "html_named.jpg"
    r = upload(client, eid, h, html, name="laporan.pdf")
    assert r.status_code == 415


def test_request_over_the_size_limit_gets_413(app, client, draft):
    eid, h = draft
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    try:
        r = client.post(f"/api/v1/entries/{eid}/evidence", headers=h,
                        data={"file": (io.BytesIO(b"\xff\xd8" + b"0" * (2 * 1024 * 1024)), "big.jpg")},
                        content_type="multipart/form-data")
    finally:
        app.config["MAX_CONTENT_LENGTH"] = 25 * 1024 * 1024
    assert r.status_code == 413 and r.json["error"]["message"]


def test_other_asn_cannot_download_or_upload(client, draft, make_asn, api_token):
    eid, h = draft
    ev = upload(client, eid, h, UPLOADS / "good" / "nota_dinas.pdf").json
    other = api_token(make_asn())
    assert client.get(ev["url"], headers=other).status_code == 404
    assert client.get(f"/api/v1/evidence/{ev['id']}", headers=other).status_code == 404
    assert client.delete(f"/api/v1/evidence/{ev['id']}", headers=other).status_code == 404
    assert upload(client, eid, other, UPLOADS / "good" / "nota_dinas.pdf").status_code == 404


def test_submitted_entry_takes_no_more_evidence(client, draft):
    eid, h = draft
    ev = upload(client, eid, h, UPLOADS / "good" / "nota_dinas.pdf").json
    assert client.post(f"/api/v1/entries/{eid}/submit", headers=h).status_code == 200
    assert upload(client, eid, h, UPLOADS / "good" / "photo.webp").status_code == 409
    assert client.delete(f"/api/v1/evidence/{ev['id']}", headers=h).status_code == 409


def test_deleting_evidence_removes_the_file_when_no_one_else_uses_it(app, client, draft):
    eid, h = draft
    before = stored(app)
    ev = upload(client, eid, h, UPLOADS / "good" / "photo.webp").json
    assert len(stored(app)) == len(before) + 2  # served copy + thumbnail
    assert client.delete(f"/api/v1/evidence/{ev['id']}", headers=h).status_code == 204
    assert stored(app) == before
    assert client.get(ev["url"], headers=h).status_code == 404


def test_same_photo_in_two_entries_is_stored_once(app, client, draft):
    eid, h = draft
    eid2 = client.post("/api/v1/entries", headers=h, json=dict(entry_date="2026-11-17", output_code=CODE,
                                                                activity="Rapat", output="Notula", quantity=1,
                                                                unit="Dokumen")).json["id"]
    a = upload(client, eid, h, UPLOADS / "good" / "photo.webp").json
    b = upload(client, eid2, h, UPLOADS / "good" / "photo.webp").json
    assert a["sha256"] == b["sha256"] and a["id"] != b["id"]
    assert len(stored(app)) == 2
    client.delete(f"/api/v1/evidence/{a['id']}", headers=h)
    assert client.get(b["url"], headers=h).status_code == 200


def test_the_same_file_sent_twice_to_one_entry_stays_one_evidence(client, draft):
    eid, h = draft
    a = upload(client, eid, h, UPLOADS / "good" / "photo.webp").json
    b = upload(client, eid, h, UPLOADS / "good" / "photo.webp").json
    assert a["id"] == b["id"]
    assert len(client.get(f"/api/v1/entries/{eid}", headers=h).json["evidence"]) == 1
