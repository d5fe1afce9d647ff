"""Two requests at once, with real threads on the real database (SQLite or PostgreSQL): an upload that got 201 is
always served, a month that closes locks what is uploaded at the same moment, and a lost race answers 409 with the
entry as it is now — never 500, never a lost edit."""
from __future__ import annotations

import hashlib
import io
import threading
from collections.abc import Callable

import pytest
import time_machine
from PIL import Image

from tests.conftest import CODE

NOW = "2026-11-30 09:00 +07:00"  # Monday, the last working day of November: the month may be closed


@pytest.fixture(autouse=True)
def _last_working_day():
    with time_machine.travel(NOW, tick=False):
        yield


def photo(seed: int = 1) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (seed * 40 % 255, 90, 120)).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def new_entry(client, headers: dict, day: str = "2026-11-27", activity: str = "Rapat koordinasi") -> int:
    r = client.post("/api/v1/entries", headers=headers, json={"entry_date": day, "output_code": CODE,
                                                             "activity": activity, "output": "Notula",
                                                             "quantity": 1, "unit": "Dokumen"})
    assert r.status_code == 201, r.json
    return r.json["id"]


def upload(client, entry_id: int, headers: dict, data: bytes, name: str = "foto.jpg"):
    return client.post(f"/api/v1/entries/{entry_id}/evidence", headers=headers,
                       data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def run_together(*calls: Callable[[], object]) -> list[object]:
    """Start every call at the same instant, each on its own thread; their results (or exceptions) in order."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def worker(i: int, call: Callable[[], object]) -> None:
        barrier.wait()
        try:
            results[i] = call()
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


class Pause:
    """Stops one thread at a point inside a service until another thread says go (or a timeout passes)."""

    def __init__(self, thread_name: str, timeout: float = 2.0) -> None:
        self.thread_name, self.timeout = thread_name, timeout
        self.reached, self.go = threading.Event(), threading.Event()

    def __call__(self) -> None:
        if threading.current_thread().name == self.thread_name:
            self.reached.set()
            self.go.wait(self.timeout)


def test_an_upload_of_bytes_another_entry_is_deleting_at_that_moment_keeps_its_file(app, client, make_asn,
                                                                                   api_token, monkeypatch):
    """Y holds the only evidence with bytes P; its owner deletes it while another ASN uploads P to Z. The upload
    stops right after it found P's file present; the deletion runs; then the upload commits. Its file must be there."""
    from silabu.evidence.storage import FileSystemStorage

    owner, other = make_asn(), make_asn()
    ho, hb = api_token(owner), api_token(other)
    y, z = new_entry(client, ho), new_entry(client, hb)
    data = photo()
    first = upload(client, y, ho, data)
    assert first.status_code == 201
    pause = Pause("uploader")
    real_exists = FileSystemStorage.exists

    def exists(self, key):
        found = real_exists(self, key)
        pause()
        return found

    monkeypatch.setattr(FileSystemStorage, "exists", exists)
    results: dict[str, object] = {}

    def do_upload() -> None:
        results["upload"] = upload(app.test_client(), z, hb, data)

    def do_delete() -> None:
        pause.reached.wait(5)
        results["delete"] = app.test_client().delete(f"/api/v1/evidence/{first.json['id']}", headers=ho)
        pause.go.set()

    uploader = threading.Thread(target=do_upload, name="uploader")
    deleter = threading.Thread(target=do_delete, name="deleter")
    uploader.start()
    deleter.start()
    uploader.join(30)
    deleter.join(30)
    assert results["delete"].status_code == 204
    up = results["upload"]
    assert up.status_code == 201, up.json
    monkeypatch.undo()
    served = client.get(up.json["url"], headers=hb)
    assert served.status_code == 200, "an upload that got 201 must always be served"
    assert hashlib.sha256(served.data).hexdigest() == up.json["sha256"]
    assert client.get(up.json["thumbnail_url"], headers=hb).status_code == 200


def test_an_upload_in_flight_when_the_month_closes_is_refused_and_adds_nothing(app, client, db, make_asn,
                                                                              make_kasubag, api_token, monkeypatch):
    """The upload has checked that the entry may change and is processing the photo when the Kasubag closes the
    month: the upload must then answer 409, and the locked entry keeps no evidence."""
    import silabu.entries.evidence as evidence_module
    from silabu.entries.models import Evidence

    asn, kasubag = make_asn(), make_kasubag()
    ha, hk = api_token(asn), api_token(kasubag)
    entry_id = new_entry(client, ha)
    pause = Pause("uploader")
    real_process = evidence_module.process_with_limits

    def process(data, filename):
        processed = real_process(data, filename)
        pause()
        return processed

    monkeypatch.setattr(evidence_module, "process_with_limits", process)
    results: dict[str, object] = {}

    def do_upload() -> None:
        results["upload"] = upload(app.test_client(), entry_id, ha, photo(2))

    def do_close() -> None:
        pause.reached.wait(5)
        results["close"] = app.test_client().post("/api/v1/verification/KUL/2026-11/close", headers=hk)
        pause.go.set()

    uploader = threading.Thread(target=do_upload, name="uploader")
    closer = threading.Thread(target=do_close, name="closer")
    uploader.start()
    closer.start()
    uploader.join(30)
    closer.join(30)
    assert results["close"].status_code == 200, results["close"].json
    up = results["upload"]
    assert up.status_code == 409, up.json
    assert up.json["error"]["code"] in ("version_conflict", "entry_locked")
    db.session.expire_all()
    assert db.session.query(Evidence).filter_by(entry_id=entry_id).count() == 0


def test_parallel_edits_of_one_entry_answer_200_or_409_and_one_edit_wins(app, client, make_asn, api_token):
    asn = make_asn()
    h = api_token(asn)
    entry_id = new_entry(client, h)
    texts = [f"Rapat koordinasi versi {i}" for i in range(6)]
    responses = run_together(*[
        (lambda t=t: app.test_client().patch(f"/api/v1/entries/{entry_id}", headers=h, json={"activity": t}))
        for t in texts])
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {200, 409}, statuses
    assert 200 in statuses
    for r in responses:
        if r.status_code == 409:
            assert r.json["error"]["code"] == "version_conflict"
            assert r.json["error"]["entry"]["id"] == entry_id  # the entry as it is now
    final = client.get(f"/api/v1/entries/{entry_id}", headers=h).json
    assert final["activity"] in {r.json["activity"] for r in responses if r.status_code == 200}


def test_parallel_submits_submit_once_and_the_others_get_409(app, client, make_asn, api_token):
    from silabu.core.audit import AuditEvent
    from silabu.extensions import db

    asn = make_asn()
    h = api_token(asn)
    entry_id = new_entry(client, h)
    responses = run_together(*[
        (lambda: app.test_client().post(f"/api/v1/entries/{entry_id}/submit", headers=h)) for _ in range(4)])
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(200) >= 1 and set(statuses) <= {200, 409}, statuses
    db.session.expire_all()
    submits = db.session.query(AuditEvent).filter_by(object_type="entries", object_id=entry_id,
                                                     action="entry.submit").count()
    assert submits == statuses.count(200) == 1


def test_edits_during_a_month_close_answer_200_or_409_never_500(app, client, make_asn, make_kasubag, api_token):
    asn, kasubag = make_asn(), make_kasubag()
    ha, hk = api_token(asn), api_token(kasubag)
    ids = [new_entry(client, ha, activity=f"Kegiatan {i}") for i in range(4)]
    calls = [(lambda i=i: app.test_client().patch(f"/api/v1/entries/{i}", headers=ha, json={"output": "Diubah"}))
             for i in ids]
    calls.append(lambda: app.test_client().post("/api/v1/verification/KUL/2026-11/close", headers=hk))
    responses = run_together(*calls)
    statuses = [r.status_code for r in responses]
    assert all(s in (200, 409) for s in statuses), [(r.status_code, r.get_data(as_text=True)[:300]) for r in responses]
    closed = responses[-1].status_code == 200
    if closed:
        for i, r in zip(ids, responses[:-1]):
            after = client.get(f"/api/v1/entries/{i}", headers=ha).json
            assert after["locked"]
            assert (after["output"] == "Diubah") == (r.status_code == 200)
