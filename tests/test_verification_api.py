"""SOP step 3 through /api/v1 (API.md's fixed points and the project's additions)."""
from __future__ import annotations

import io
from datetime import UTC, date, datetime

import openpyxl
import pytest
import time_machine

from silabu.accounts import delegation

DEC_1 = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
NOV = "2026-11"


@pytest.fixture()
def frozen():
    with time_machine.travel(DEC_1, tick=False):
        yield


@pytest.fixture()
def kul(frozen, make_kasubag, make_asn, make_entry, api_token):
    kasubag = make_kasubag("KUL")
    ani = make_asn("KUL")
    drafts = [make_entry(ani, date(2026, 11, 2))]
    submitted = [make_entry(ani, date(2026, 11, d), "submitted") for d in (3, 4, 5)]
    return {"kasubag": kasubag, "ani": ani, "draft": drafts[0], "submitted": submitted,
            "hk": api_token(kasubag), "ha": api_token(ani)}


def test_queue_groups_the_units_submitted_entries_by_asn(kul, client, make_kasubag, make_asn, make_entry, api_token):
    other_head = make_kasubag("TPH")
    make_entry(make_asn("TPH"), date(2026, 11, 3), "submitted")
    resp = client.get(f"/api/v1/verification/queue?month={NOV}", headers=kul["hk"])
    assert resp.status_code == 200
    body = resp.json
    assert body["month"] == NOV and body["window"] == {"opens": "2026-11-30", "closes": "2026-12-03"}
    [group] = body["groups"]
    assert group["user"]["id"] == kul["ani"].id
    assert group["counts"] == {"submitted": 3, "verified": 0, "returned": 0, "draft": 1, "total": 4}
    assert [e["id"] for e in group["entries"]] == [e.id for e in kul["submitted"]]
    assert all(e["status"] == "submitted" and "locked" in e and "evidence" in e and "version" in e
               for e in group["entries"])
    assert "2026-11-02" not in group["empty_days"] and "2026-11-06" in group["empty_days"]
    everything = client.get(f"/api/v1/verification/queue?month={NOV}&status=all", headers=kul["hk"]).json
    # the draft is counted (the Kasubag knows one is still being written) but its text is the ASN's own
    assert [e["id"] for e in everything["groups"][0]["entries"]] == [e.id for e in kul["submitted"]]
    theirs = client.get(f"/api/v1/verification/queue?month={NOV}", headers=api_token(other_head)).json
    assert all(g["user"]["id"] != kul["ani"].id for g in theirs["groups"])
    assert client.get("/api/v1/verification/queue?month=2026-13", headers=kul["hk"]).status_code == 422
    assert client.get(f"/api/v1/verification/queue?month={NOV}", headers=kul["ha"]).status_code == 403


def test_verify_and_return_rules(kul, client, make_kasubag, api_token):
    hk, ha = kul["hk"], kul["ha"]
    first = kul["submitted"][0]
    # a draft is not the verifier's to see, so not to verify either: 404, as for an entry that does not exist
    assert client.post(f"/api/v1/entries/{kul['draft'].id}/verify", headers=hk).status_code == 404
    assert client.post(f"/api/v1/entries/{first.id}/verify", headers=ha).status_code == 403
    assert client.post(f"/api/v1/entries/{first.id}/verify", headers=api_token(make_kasubag("TPH"))).status_code == 404
    resp = client.post(f"/api/v1/entries/{first.id}/return", json={}, headers=hk)
    assert resp.status_code == 422 and "note" in resp.json["error"]["fields"]
    resp = client.post(f"/api/v1/entries/{first.id}/return", json={"note": "x" * 2001}, headers=hk)
    assert resp.status_code == 422
    resp = client.post(f"/api/v1/entries/{first.id}/return", json={"note": "Lampirkan foto daftar hadir."}, headers=hk)
    assert resp.status_code == 200 and resp.json["status"] == "returned" and resp.json["return_count"] == 1
    seen = client.get(f"/api/v1/entries/{first.id}", headers=ha).json
    assert seen["return_note"] == "Lampirkan foto daftar hadir."
    assert [h["action"] for h in seen["history"]][-1] == "entry.return"
    second = kul["submitted"][1]
    resp = client.post(f"/api/v1/entries/{second.id}/verify", headers=hk)
    assert resp.status_code == 200 and resp.json["status"] == "verified" and resp.json["verified_by"]


def test_two_verifiers_at_once_one_wins_the_other_gets_409_with_the_current_state(kul, client, make_user,
                                                                                   make_kasubag, api_token, db):
    plh = make_kasubag("TPH")
    delegation.delegate(kul["kasubag"].unit, plh, date(2026, 12, 1), date(2026, 12, 3), make_user("SEK", "admin"))
    db.session.commit()
    entry = kul["submitted"][0]
    version = client.get(f"/api/v1/entries/{entry.id}", headers=kul["hk"]).json
    seen = entry.version
    won = client.post(f"/api/v1/entries/{entry.id}/verify", json={"version": seen}, headers=kul["hk"])
    assert won.status_code == 200 and won.json["version"] == seen + 1 and version["status"] == "submitted"
    lost = client.post(f"/api/v1/entries/{entry.id}/return", json={"note": "Perbaiki", "version": seen},
                       headers=api_token(plh))
    assert lost.status_code == 409
    assert lost.json["error"]["code"] == "version_conflict"
    assert lost.json["error"]["entry"]["status"] == "verified"
    other = kul["submitted"][1]
    stale = client.post(f"/api/v1/entries/{other.id}/verify", headers={**kul["hk"], "If-Match": f'W/"{seen + 5}"'})
    assert stale.status_code == 409
    fresh = client.post(f"/api/v1/entries/{other.id}/verify", headers={**kul["hk"], "If-Match": f'"{other.version}"'})
    assert fresh.status_code == 200 and fresh.headers["ETag"] == f'W/"{other.version + 1}"'


def test_verify_all_then_close_locks_every_path(kul, client, make_kasubag, api_token):
    hk, ha = kul["hk"], kul["ha"]
    close = client.post(f"/api/v1/verification/KUL/{NOV}/close", headers=hk)
    assert close.status_code == 409 and close.json["error"]["submitted"] == 3
    refused = client.post(f"/api/v1/verification/KUL/{NOV}/close", headers=api_token(make_kasubag("TPH")))
    assert refused.status_code == 403 and refused.json["error"]["code"] == "not_verifier_of_unit"
    assert client.post(f"/api/v1/verification/KUL/{NOV}/close", headers=ha).status_code == 403
    resp = client.post(f"/api/v1/verification/{kul['ani'].id}/{NOV}/verify-all", headers=hk)
    assert resp.status_code == 200 and resp.json["verified"] == 3
    assert resp.json["counts"]["verified"] == 3 and resp.json["next_user_id"] is None
    assert all(item["status"] in ("verified", "draft") for item in resp.json["items"])
    resp = client.post(f"/api/v1/verification/KUL/{NOV}/close", headers=hk)
    assert resp.status_code == 200 and resp.json["closed"] is True
    assert resp.json["unsubmitted"] == [{"user_id": kul["ani"].id, "name": kul["ani"].name, "drafts": 1}]
    entry_id = kul["submitted"][0].id
    assert client.get(f"/api/v1/entries/{entry_id}", headers=ha).json["locked"] is True
    assert client.patch(f"/api/v1/entries/{kul['draft'].id}", json={"activity": "x"}, headers=ha).status_code == 409
    assert client.delete(f"/api/v1/entries/{kul['draft'].id}", headers=ha).status_code == 409
    assert client.post(f"/api/v1/entries/{entry_id}/return", json={"note": "x"}, headers=hk).status_code == 409
    assert client.post(f"/api/v1/verification/{kul['ani'].id}/{NOV}/verify-all", headers=hk).status_code == 409
    late = client.post("/api/v1/entries", headers=ha, json={"entry_date": "2026-11-27", "activity": "Terlambat",
                                                            "output_code": "076.01.WA.4499.EBA.962", "output": "x",
                                                            "quantity": 1, "unit": "Dokumen"})
    assert late.status_code in (409, 422)
    assert client.post(f"/api/v1/verification/KUL/{NOV}/close", headers=hk).status_code == 409


def test_reopen_needs_a_reason(kul, client):
    hk = kul["hk"]
    client.post(f"/api/v1/verification/{kul['ani'].id}/{NOV}/verify-all", headers=hk)
    client.post(f"/api/v1/verification/KUL/{NOV}/close", headers=hk)
    resp = client.post(f"/api/v1/verification/KUL/{NOV}/reopen", json={"reason": ""}, headers=hk)
    assert resp.status_code == 422 and "reason" in resp.json["error"]["fields"]
    resp = client.post(f"/api/v1/verification/KUL/{NOV}/reopen", json={"reason": "Koreksi"}, headers=hk)
    assert resp.status_code == 200 and resp.json["closed"] is False and resp.json["reopen_reason"] == "Koreksi"
    assert client.get(f"/api/v1/verification/KUL/{NOV}", headers=hk).json["closed"] is False


def test_exports_download_for_the_unit(kul, client):
    hk = kul["hk"]
    client.post(f"/api/v1/verification/{kul['ani'].id}/{NOV}/verify-all", headers=hk)
    xlsx = client.get(f"/api/v1/verification/KUL/{NOV}/export.xlsx", headers=hk)
    assert xlsx.status_code == 200
    cells = [c for row in openpyxl.load_workbook(io.BytesIO(xlsx.data))["Rincian"].iter_rows(values_only=True)
             for c in row if c is not None]
    assert "Menyusun laporan harian" in cells
    pdf = client.get(f"/api/v1/verification/KUL/{NOV}/export.pdf", headers=hk)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert client.get(f"/api/v1/verification/KUL/{NOV}/export.pdf", headers=kul["ha"]).status_code == 403


def test_oversight_is_for_the_sekretaris_and_delegations_also_for_the_admin(kul, client, make_user, make_kasubag,
                                                                             api_token):
    hk = kul["hk"]
    assert client.get(f"/api/v1/verification/oversight?month={NOV}", headers=hk).status_code == 403
    ha = api_token(make_user("SEK", "admin"))
    assert client.get(f"/api/v1/verification/oversight?month={NOV}", headers=ha).status_code == 403
    assert client.get("/api/v1/delegations", headers=ha).status_code == 200
    hs = api_token(make_user("SEK", "sekretaris"))
    body = client.get(f"/api/v1/verification/oversight?month={NOV}", headers=hs).json
    kul_row = next(u for u in body["units"] if u["code"] == "KUL")
    assert kul_row["waiting"] == 3 and kul_row["overdue"] is False and kul_row["state"] == "window"
    plh = make_kasubag("TPH")
    payload = {"unit": "KUL", "delegate_id": plh.id, "start_date": "2026-12-01", "end_date": "2026-12-03",
               "kind": "Plh", "reason": "Kasubag dinas luar"}
    assert client.post("/api/v1/delegations", json=payload, headers=hk).status_code == 403
    made = client.post("/api/v1/delegations", json=payload, headers=hs)
    assert made.status_code == 201 and made.json["delegate"]["id"] == plh.id
    hp = api_token(plh)
    queue = client.get(f"/api/v1/verification/queue?month={NOV}", headers=hp).json
    assert any(g["user"]["id"] == kul["ani"].id for g in queue["groups"])
    revoked = client.post(f"/api/v1/delegations/{made.json['id']}/revoke", headers=hs)
    assert revoked.status_code == 200 and revoked.json["revoked_at"]
    assert client.post(f"/api/v1/entries/{kul['submitted'][0].id}/verify", headers=hp).status_code == 404


def test_openapi_describes_the_verification_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in ("/api/v1/verification/queue", "/api/v1/entries/{entry_id}/verify", "/api/v1/entries/{entry_id}/return",
                 "/api/v1/verification/{user_id}/{month}/verify-all", "/api/v1/verification/{unit_code}/{month}/close",
                 "/api/v1/verification/{unit_code}/{month}/reopen", "/api/v1/verification/oversight"):
        assert path in paths
