"""SOP step 3, month-end verification: the rules as the services enforce them (no HTTP)."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from sqlalchemy import event, select, text

from silabu.accounts import delegation
from silabu.accounts.access import can_verify_entry
from silabu.accounts.models import Delegation, Satker
from silabu.catalog.models import ClosureKind, OfficeDay
from silabu.core.audit import AuditEvent, history
from silabu.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from silabu.entries import services as entries
from silabu.entries.models import Entry, EntryStatus, UnitMonth
from silabu.notifications.models import Notification
from silabu.verification import services

# 1 December 2026, 10.00 WIB: November's window is open (its last working day was Monday 30 November).
DEC_1 = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
NOV = "2026-11"


@pytest.fixture()
def frozen():
    with time_machine.travel(DEC_1, tick=False):
        yield


@pytest.fixture()
def unit_month(frozen, make_kasubag, make_asn, make_entry, db):
    """KUL in November 2026: a Kasubag, two ASN with submitted entries, one draft."""
    kasubag = make_kasubag("KUL", name="Agus Pratama")
    ani = make_asn("KUL", name="Ani Wulandari")
    budi = make_asn("KUL", name="Budi Santoso")
    made = {
        "ani": [make_entry(ani, date(2026, 11, d), "submitted") for d in (2, 3, 4)],
        "budi": [make_entry(budi, date(2026, 11, d), "submitted") for d in (2, 5)],
        "draft": make_entry(budi, date(2026, 11, 6)),
    }
    return kasubag, ani, budi, made


def test_submitted_entry_is_verified_and_recorded(unit_month, db):
    kasubag, ani, _, made = unit_month
    entry = made["ani"][0]
    services.verify_entry(entry, kasubag)
    db.session.commit()
    assert entry.status == EntryStatus.VERIFIED
    assert entry.verified_by_id == kasubag.id and entry.verified_at is not None
    actions = [ev.action for ev in history("entries", entry.id)]
    assert actions[-1] == "entry.verify" and "entry.submit" in actions
    with pytest.raises(Conflict):
        entries.update_entry(entry, ani, {"activity": "ubah"})


def test_verifying_a_draft_is_refused(unit_month, db):
    kasubag, _, _, made = unit_month
    with pytest.raises(Conflict) as exc:
        services.verify_entry(made["draft"], kasubag)
    assert exc.value.code == "entry_draft"
    assert made["draft"].status == EntryStatus.DRAFT


def test_verified_entry_cannot_be_verified_or_returned_again(unit_month, db):
    kasubag, _, _, made = unit_month
    entry = made["ani"][0]
    services.verify_entry(entry, kasubag)
    db.session.commit()
    with pytest.raises(Conflict):
        services.verify_entry(entry, kasubag)
    with pytest.raises(Conflict):
        services.return_entry(entry, kasubag, "Perbaiki")


@pytest.mark.parametrize("note", ["", "   ", None])
def test_returned_entry_needs_a_note(unit_month, db, note):
    kasubag, _, _, made = unit_month
    entry = made["ani"][0]
    with pytest.raises(ValidationFailed) as exc:
        services.return_entry(entry, kasubag, note)
    assert "note" in exc.value.fields
    db.session.rollback()
    assert db.session.get(Entry, entry.id).status == EntryStatus.SUBMITTED


def test_return_note_is_at_most_2000_characters(unit_month, db):
    kasubag, _, _, made = unit_month
    with pytest.raises(ValidationFailed):
        services.return_entry(made["ani"][0], kasubag, "x" * 2001)
    services.return_entry(made["ani"][1], kasubag, "x" * 2000)


def test_returned_entry_carries_the_note_and_notifies_the_asn(unit_month, db):
    kasubag, ani, _, made = unit_month
    entry = made["ani"][0]
    services.return_entry(entry, kasubag, "  Lampirkan foto daftar hadir.  ")
    db.session.commit()
    assert entry.status == EntryStatus.RETURNED
    assert entry.return_note == "Lampirkan foto daftar hadir."
    assert entry.return_count == 1
    note = db.session.scalar(select(Notification).where(Notification.user_id == ani.id))
    assert note.kind == "entry_returned" and "Lampirkan foto daftar hadir." in note.body
    assert note.link.endswith(f"/entri/{entry.id}")
    ev = history("entries", entry.id)[-1]
    assert ev.action == "entry.return" and ev.note == "Lampirkan foto daftar hadir."


def test_return_and_resubmit_cycle_repeats_and_is_kept_in_history(unit_month, db):
    kasubag, ani, _, made = unit_month
    entry = made["ani"][0]
    services.return_entry(entry, kasubag, "Kurang bukti.")
    entries.update_entry(entry, ani, {"output": "Laporan + daftar hadir"})
    entries.submit_entry(entry, ani)
    services.return_entry(entry, kasubag, "Foto buram.")
    entries.submit_entry(entry, ani)
    services.verify_entry(entry, kasubag)
    db.session.commit()
    assert entry.return_count == 2 and entry.status == EntryStatus.VERIFIED
    actions = [ev.action for ev in services.entry_history(entry)]
    assert actions == ["entry.create", "entry.submit", "entry.return", "entry.update", "entry.resubmit",
                       "entry.return", "entry.resubmit", "entry.verify"]


def test_asn_can_never_verify_even_own_entries(unit_month, db):
    _, ani, budi, made = unit_month
    with pytest.raises(Forbidden):
        services.verify_entry(made["ani"][0], ani)
    with pytest.raises((Forbidden, NotFound)):
        services.verify_entry(made["budi"][0], ani)
    with pytest.raises((Forbidden, NotFound)):
        services.verify_all(budi, NOV, ani)


def test_kasubag_cannot_verify_own_entries_the_sekretaris_does(frozen, make_kasubag, make_user, make_entry, db):
    kasubag = make_kasubag("KUL")
    sekretaris = make_user("SEK", "sekretaris")
    own = make_entry(kasubag, date(2026, 11, 10), "submitted")
    with pytest.raises(Forbidden) as exc:
        services.verify_entry(own, kasubag)
    assert exc.value.code == "own_entry"
    with pytest.raises(Forbidden):
        services.verify_all(kasubag, NOV, kasubag)
    services.verify_entry(own, sekretaris)
    assert own.status == EntryStatus.VERIFIED


def test_configured_head_verifier_replaces_the_sekretaris(frozen, org, make_kasubag, make_user, make_entry, db):
    kasubag = make_kasubag("KUL")
    other_head = make_kasubag("TPH")
    sekretaris = make_user("SEK", "sekretaris")
    org["KUL"].head_verifier_id = other_head.id
    db.session.commit()
    own = make_entry(kasubag, date(2026, 11, 10), "submitted")
    with pytest.raises(Forbidden):
        services.verify_entry(own, sekretaris)
    services.verify_entry(own, other_head)
    assert own.status == EntryStatus.VERIFIED


def test_other_units_kasubag_does_not_see_its_entries_and_is_told_why_its_queue_is_refused(unit_month,
                                                                                            make_kasubag, db):
    _, ani, _, made = unit_month
    stranger = make_kasubag("TPH")
    with pytest.raises(NotFound):
        services.verify_entry(made["ani"][0], stranger)
    with pytest.raises(NotFound):
        services.return_entry(made["ani"][0], stranger, "x")
    with pytest.raises(NotFound):
        services.verify_all(ani, NOV, stranger)
    # the unit itself is no secret: its queue and its close are refused with the reason
    with pytest.raises(Forbidden, match="hanya dapat dibuka oleh Kepala Sub Bagian unit itu"):
        services.queue(stranger, NOV, unit_id=made["ani"][0].unit_id)
    with pytest.raises(Forbidden, match="dilakukan oleh Kepala Sub Bagian unit itu"):
        services.close_month(made["ani"][0].unit, NOV, stranger)


def test_stale_version_gets_conflict_with_the_current_state(unit_month, db):
    kasubag, _, _, made = unit_month
    entry = made["ani"][0]
    seen = entry.version
    services.verify_entry(entry, kasubag, expected_version=seen)
    db.session.commit()
    with pytest.raises(Conflict) as exc:
        services.return_entry(entry, kasubag, "Perbaiki", expected_version=seen)
    assert exc.value.code == "version_conflict"
    assert exc.value.details["current"]["status"] == "verified"


def test_two_verifiers_at_once_one_wins_the_other_gets_conflict(unit_month, db):
    kasubag, _, _, made = unit_month
    entry = made["ani"][0]
    db.session.commit()
    entry_id, version = entry.id, entry.version  # this verifier has the entry loaded, as on their page
    # The other verifier's request commits first, on its own connection.
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE entries SET status = 'returned', return_note = 'Kurang', version = version + 1 "
                          "WHERE id = :id AND version = :v"), {"id": entry_id, "v": version})
    assert entry.status == EntryStatus.SUBMITTED  # this session still holds the old copy
    with pytest.raises(Conflict) as exc:
        services.verify_entry(entry, kasubag)
    assert exc.value.details["current"]["status"] == "returned"
    db.session.rollback()
    assert db.session.get(Entry, entry_id).status == EntryStatus.RETURNED


def test_verify_all_verifies_every_submitted_entry_of_one_asn_month(unit_month, db):
    kasubag, ani, budi, made = unit_month
    assert services.verify_all(ani, NOV, kasubag) == 3
    db.session.commit()
    assert all(e.status == EntryStatus.VERIFIED for e in made["ani"])
    assert all(e.status == EntryStatus.SUBMITTED for e in made["budi"])
    assert made["draft"].status == EntryStatus.DRAFT
    assert services.verify_all(ani, NOV, kasubag) == 0
    assert [ev.action for ev in history("entries", made["ani"][2].id)][-1] == "entry.verify"


def test_closing_with_submitted_entries_left_is_refused_with_the_count(unit_month, db):
    kasubag, _, _, made = unit_month
    unit = made["ani"][0].unit
    with pytest.raises(Conflict) as exc:
        services.close_month(unit, NOV, kasubag)
    assert exc.value.details["submitted"] == 5 and "5" in exc.value.message
    db.session.rollback()
    assert not entries.month_is_closed(unit.id, NOV)


def _verify_everything(kasubag, *owners):
    for owner in owners:
        services.verify_all(owner, NOV, kasubag)


def test_closing_locks_every_entry_in_one_update_and_reports_drafts(unit_month, db):
    kasubag, ani, budi, made = unit_month
    unit = made["ani"][0].unit
    _verify_everything(kasubag, ani, budi)
    statements = []

    def log(conn, cursor, statement, params, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE ENTRIES"):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", log)
    try:
        um = services.close_month(unit, NOV, kasubag)
    finally:
        event.remove(db.engine, "before_cursor_execute", log)
    db.session.commit()
    assert len(statements) == 1  # one bulk UPDATE, not one per entry
    assert um.is_closed and um.closed_by_id == kasubag.id and um.closed_at is not None
    locked = [e.is_locked for e in db.session.scalars(select(Entry).where(Entry.unit_id == unit.id,
                                                                          Entry.period == NOV))]
    assert locked and all(locked)
    assert entries.month_is_closed(unit.id, NOV)
    draft = db.session.get(Entry, made["draft"].id)
    assert draft.status == EntryStatus.DRAFT
    report = services.close_report(unit, NOV)
    assert [(u.id, n) for u, n in report.unsubmitted] == [(budi.id, 1)]
    for path in (lambda: entries.update_entry(draft, budi, {"activity": "x"}),
                 lambda: entries.delete_entry(draft, budi), lambda: entries.submit_entry(draft, budi)):
        with pytest.raises(Conflict):
            path()
    with pytest.raises(ValidationFailed):
        entries.create_entry(budi, {"entry_date": "2026-11-27", "output_code": "076.01.WA.4499.EBA.962",
                                    "activity": "Terlambat", "output": "x", "quantity": 1, "unit": "Dokumen"})
    assert history("unit_months", um.id)[-1].action == "unit_month.close"


def test_returned_entries_do_not_block_closing_but_are_reported(unit_month, db):
    kasubag, ani, budi, made = unit_month
    services.return_entry(made["budi"][0], kasubag, "Perbaiki jumlah.")
    _verify_everything(kasubag, ani, budi)
    services.close_month(made["ani"][0].unit, NOV, kasubag)
    report = services.close_report(made["ani"][0].unit, NOV)
    assert [(u.id, n) for u, n in report.returned] == [(budi.id, 1)]


def test_acting_on_a_locked_month_is_a_conflict(unit_month, make_asn, make_entry, db):
    kasubag, ani, budi, made = unit_month
    unit = made["ani"][0].unit
    _verify_everything(kasubag, ani, budi)
    services.close_month(unit, NOV, kasubag)
    db.session.commit()
    with pytest.raises(Conflict):
        services.verify_all(ani, NOV, kasubag)
    with pytest.raises(Conflict) as exc:
        services.return_entry(made["ani"][0], kasubag, "x")
    assert exc.value.code == "entry_locked"
    with pytest.raises(Conflict):
        services.close_month(unit, NOV, kasubag)


def test_month_cannot_be_closed_before_its_last_working_day(make_kasubag, make_asn, make_entry, db):
    with time_machine.travel(datetime(2026, 11, 27, 3, 0, tzinfo=UTC), tick=False):  # Friday 27 Nov
        kasubag = make_kasubag("KUL")
        ani = make_asn("KUL")
        entry = make_entry(ani, date(2026, 11, 26), "submitted")
        services.verify_entry(entry, kasubag)
        with pytest.raises(Conflict) as exc:
            services.close_month(kasubag.unit, NOV, kasubag)
        assert exc.value.code == "too_early" and "30 November 2026" in exc.value.message
    with time_machine.travel(datetime(2026, 11, 30, 1, 0, tzinfo=UTC), tick=False):  # Monday 30 Nov
        assert services.close_month(kasubag.unit, NOV, kasubag).is_closed


def test_month_whose_last_days_are_holidays_opens_on_its_last_working_day(app, make_kasubag, make_asn, make_entry,
                                                                          db):
    # March 2025: 31 March is Idul Fitri (and 1 April its second day): the last working day is Friday 28 March.
    assert services.verification_window("2025-03") == (date(2025, 3, 28), date(2025, 4, 4))
    with time_machine.travel(datetime(2025, 3, 28, 2, 0, tzinfo=UTC), tick=False):
        kasubag = make_kasubag("KUL")
        assert services.close_month(kasubag.unit, "2025-03", kasubag).is_closed
    # With 28 March set as cuti bersama by the admin the window opens on Thursday 27 March.
    db.session.add(OfficeDay(day=date(2025, 3, 28), kind=ClosureKind.CUTI_BERSAMA, name="Cuti bersama Idul Fitri"))
    db.session.commit()
    assert services.verification_window("2025-03") == (date(2025, 3, 27), date(2025, 4, 4))


def test_window_length_follows_the_configured_working_days(app, db):
    app.config["VERIFICATION_WINDOW_DAYS"] = 5
    try:
        assert services.verification_window(NOV) == (date(2026, 11, 30), date(2026, 12, 7))
    finally:
        app.config["VERIFICATION_WINDOW_DAYS"] = 3
    assert services.verification_window(NOV) == (date(2026, 11, 30), date(2026, 12, 3))


def test_satker_in_wita_reaches_month_end_by_its_own_clock(org, make_kasubag, db):
    kasubag = make_kasubag("KUL")
    # 29 Nov 2026 16.30 UTC: Sunday 23.30 in Jakarta, but already Monday 30 Nov 00.30 in Makassar (WITA).
    with time_machine.travel(datetime(2026, 11, 29, 16, 30, tzinfo=UTC), tick=False):
        with pytest.raises(Conflict):
            services.close_month(kasubag.unit, NOV, kasubag)
        db.session.rollback()
        satker = db.session.scalar(select(Satker))
        satker.timezone = "Asia/Makassar"
        db.session.commit()
        assert services.close_month(kasubag.unit, NOV, kasubag).is_closed


def test_reopen_needs_a_reason_unlocks_and_is_logged(unit_month, db):
    kasubag, ani, budi, made = unit_month
    unit = made["ani"][0].unit
    _verify_everything(kasubag, ani, budi)
    services.close_month(unit, NOV, kasubag)
    db.session.commit()
    with pytest.raises(ValidationFailed):
        services.reopen_month(unit, NOV, kasubag, "  ")
    um = services.reopen_month(unit, NOV, kasubag, "Salah hitung jumlah dokumen.")
    db.session.commit()
    assert not um.is_closed and um.reopen_reason == "Salah hitung jumlah dokumen."
    assert not any(e.is_locked for e in db.session.scalars(select(Entry).where(Entry.unit_id == unit.id)))
    verified = db.session.get(Entry, made["ani"][0].id)
    assert verified.status == EntryStatus.VERIFIED  # reopening does not make a verified entry editable
    with pytest.raises(Conflict):
        entries.update_entry(verified, ani, {"activity": "x"})
    ev = history("unit_months", um.id)[-1]
    assert ev.action == "unit_month.reopen" and ev.note == "Salah hitung jumlah dokumen."
    with pytest.raises(Conflict):
        services.reopen_month(unit, NOV, kasubag, "lagi")


def test_reopen_is_for_the_kasubag_not_the_sekretaris_nor_the_admin(unit_month, make_user, db):
    kasubag, ani, budi, made = unit_month
    unit = made["ani"][0].unit
    _verify_everything(kasubag, ani, budi)
    services.close_month(unit, NOV, kasubag)
    with pytest.raises(Forbidden):
        services.reopen_month(unit, NOV, ani, "ingin mengubah")
    with pytest.raises(Forbidden):
        services.reopen_month(unit, NOV, make_user("SEK", "sekretaris"), "ingin mengubah")
    with pytest.raises(Forbidden):  # the admin keeps settings, not the unit's work
        services.reopen_month(unit, NOV, make_user("SEK", "admin"), "permintaan Kasubag")
    assert not services.reopen_month(unit, NOV, kasubag, "permintaan Kasubag").is_closed


def test_acting_verifier_acts_in_own_name_on_behalf_of_the_unit(unit_month, make_user, make_kasubag, db):
    kasubag, ani, _, made = unit_month
    admin = make_user("SEK", "admin")
    plh = make_kasubag("TPH", name="Nur Nugroho")
    unit = made["ani"][0].unit
    with pytest.raises((NotFound, Forbidden)):
        services.verify_entry(made["ani"][0], plh)
    delegation.delegate(unit, plh, date(2026, 11, 30), date(2026, 12, 4), admin, kind="Plh", reason="Kasubag cuti")
    db.session.commit()
    services.verify_entry(made["ani"][0], plh)
    services.return_entry(made["ani"][1], plh, "Tambahkan bukti.")
    db.session.commit()
    ev = history("entries", made["ani"][0].id)[-1]
    assert ev.actor_id == plh.id and ev.on_behalf_of == f"a.n. {unit.name}"
    # The Kasubag acting as the unit's own head is not "a.n." anyone.
    services.verify_entry(made["ani"][2], kasubag)
    assert history("entries", made["ani"][2].id)[-1].on_behalf_of is None
    delegation_events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "delegation.create")).all()
    assert len(delegation_events) == 1 and delegation_events[0].actor_id == admin.id


def test_only_admin_or_sekretaris_may_delegate(unit_month, make_kasubag, make_user, db):
    kasubag, ani, _, made = unit_month
    other = make_kasubag("TPH")
    with pytest.raises(Forbidden):
        delegation.delegate(kasubag.unit, other, date(2026, 12, 1), date(2026, 12, 3), kasubag)
    sekretaris = make_user("SEK", "sekretaris")
    with pytest.raises(ValidationFailed) as exc:
        delegation.delegate(kasubag.unit, other, date(2026, 12, 3), date(2026, 12, 1), sekretaris)
    assert "end_date" in exc.value.fields
    with pytest.raises(ValidationFailed):
        delegation.delegate(kasubag.unit, other, date(2026, 12, 1), date(2026, 12, 3), sekretaris, kind="Kepala")
    row = delegation.delegate(kasubag.unit, other, date(2026, 12, 1), date(2026, 12, 3), sekretaris, kind="plt")
    assert row.kind == "Plt"
    with pytest.raises(ValidationFailed):  # the same person twice over overlapping dates
        delegation.delegate(kasubag.unit, other, date(2026, 12, 2), date(2026, 12, 9), sekretaris)
    with pytest.raises(Forbidden):
        delegation.revoke(row, kasubag)


def test_delegation_gives_access_only_in_its_date_range_and_until_revoked(unit_month, make_kasubag, make_user, db):
    _, ani, _, made = unit_month
    admin = make_user("SEK", "admin")
    plh = make_kasubag("TPH")
    row = delegation.delegate(ani.unit, plh, date(2026, 12, 2), date(2026, 12, 4), admin)
    db.session.commit()
    with pytest.raises(NotFound):  # 1 December: not yet
        services.verify_entry(made["ani"][0], plh)
    services.verify_entry(made["ani"][0], plh, on_date=date(2026, 12, 2))
    delegation.revoke(row, admin)
    db.session.commit()
    with pytest.raises(NotFound):
        services.verify_entry(made["ani"][1], plh, on_date=date(2026, 12, 3))
    with pytest.raises(Conflict):
        delegation.revoke(row, admin)
    assert [ev.action for ev in history("delegations", row.id)] == ["delegation.create", "delegation.revoke"]


def test_queue_groups_by_asn_with_counts_and_empty_working_days(unit_month, make_asn, db):
    kasubag, ani, budi, made = unit_month
    idle = make_asn("KUL", name="Citra Idle")
    services.return_entry(made["budi"][0], kasubag, "x")
    q = services.queue(kasubag, NOV)
    by_owner = {g.owner.id: g for g in q.groups}
    assert set(by_owner) == {ani.id, budi.id, idle.id}
    assert by_owner[ani.id].counts == {"submitted": 3, "verified": 0, "returned": 0, "draft": 0, "total": 3}
    assert by_owner[budi.id].counts == {"submitted": 1, "verified": 0, "returned": 1, "draft": 1, "total": 3}
    # November 2026 has 21 working days; Ani filled 2, 3 and 4 November.
    assert by_owner[ani.id].working_days == 21 and by_owner[ani.id].filled_days == 3
    assert date(2026, 11, 2) not in by_owner[ani.id].empty_days
    assert date(2026, 11, 5) in by_owner[ani.id].empty_days and len(by_owner[ani.id].empty_days) == 18
    assert len(by_owner[idle.id].empty_days) == 21 and by_owner[idle.id].entries == []
    assert [e.id for e in by_owner[ani.id].entries] == [e.id for e in made["ani"]]
    assert q.next_waiting(ani.id).owner.id == budi.id
    assert q.totals["submitted"] == 4


def test_queue_leaves_out_entries_the_verifier_may_not_verify(frozen, make_kasubag, make_asn, make_user, make_entry,
                                                              db):
    kasubag = make_kasubag("KUL")
    ani = make_asn("KUL")
    sekretaris = make_user("SEK", "sekretaris")
    mine = make_entry(kasubag, date(2026, 11, 3), "submitted")
    theirs = make_entry(ani, date(2026, 11, 3), "submitted")
    make_entry(make_asn("TPH"), date(2026, 11, 3), "submitted")
    groups = {g.owner.id for g in services.queue(kasubag, NOV).groups}
    assert groups == {ani.id}
    readonly = {g.owner.id: g.can_verify for g in services.queue(kasubag, NOV, unit_id=kasubag.unit_id,
                                                                 readonly_groups=True).groups}
    assert readonly == {ani.id: True, kasubag.id: False}
    assert {g.owner.id for g in services.queue(sekretaris, NOV).groups} == {kasubag.id}
    # The queue's precomputed scope agrees with access.can_verify_entry for every entry.
    for viewer in (kasubag, ani, sekretaris):
        scope = services.Scope(viewer, date(2026, 12, 1))
        for entry in db.session.scalars(select(Entry)):
            assert scope.can_verify(entry.user, entry.unit) == can_verify_entry(viewer, entry, date(2026, 12, 1))
    assert mine.id != theirs.id


def test_queue_takes_the_same_number_of_queries_for_more_asn(frozen, make_kasubag, make_asn, make_entry, db):
    kasubag = make_kasubag("KUL")

    def count_queries() -> int:
        seen = []
        listener = lambda *a, **k: seen.append(1)  # noqa: E731
        db.session.expire_all()
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            q = services.queue(kasubag, NOV)
            for g in q.groups:
                for e in g.entries:
                    (e.output_code.code, len(e.evidence), e.user.name)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    for _ in range(2):
        make_entry(make_asn("KUL"), date(2026, 11, 2), "submitted")
    few = count_queries()
    for _ in range(6):
        asn = make_asn("KUL")
        for d in (3, 4, 5):
            make_entry(asn, date(2026, 11, d), "submitted")
    assert count_queries() == few


def test_get_or_create_unit_month_returns_the_one_row(org, db):
    first = services.get_or_create_unit_month(org["KUL"].id, NOV)
    second = services.get_or_create_unit_month(org["KUL"].id, NOV)
    assert first.id == second.id
    assert len(db.session.scalars(select(UnitMonth)).all()) == 1


def test_oversight_shows_overdue_units_with_waiting_counts(unit_month, make_kasubag, make_asn, make_entry, db):
    kasubag, ani, budi, made = unit_month
    tph_head = make_kasubag("TPH")
    tph_asn = make_asn("TPH")
    services.verify_entry(make_entry(tph_asn, date(2026, 11, 9), "submitted"), tph_head)
    services.close_month(tph_head.unit, NOV, tph_head)
    db.session.commit()
    within = {p.unit.code: p for p in services.oversight(NOV, date(2026, 12, 3))}
    assert not within["KUL"].overdue and within["KUL"].waiting == 5 and within["KUL"].state == "window"
    late = {p.unit.code: p for p in services.oversight(NOV, date(2026, 12, 4))}
    assert late["KUL"].overdue and late["KUL"].waiting == 5 and late["KUL"].state == "overdue"
    assert not late["TPH"].overdue and late["TPH"].is_closed and late["TPH"].progress == 100
    assert [(o.unit.code, o.period, o.waiting) for o in services.overdue_unit_months(date(2026, 12, 4))] == [
        ("KUL", NOV, 5)]


def test_window_opened_notice_goes_to_each_open_units_kasubag_once(unit_month, make_kasubag, make_user, db):
    kasubag, *_ = unit_month
    plh = make_kasubag("TPH")
    delegation.delegate(kasubag.unit, plh, date(2026, 11, 30), date(2026, 12, 3), make_user("SEK", "admin"))
    assert services.notify_window_opened(NOV, date(2026, 11, 27)) == 0  # not open yet
    sent = services.notify_window_opened(NOV, date(2026, 11, 30))
    db.session.commit()
    rows = db.session.execute(select(Notification.user_id, Notification.key).where(
        Notification.kind == "verification_window")).all()
    # KUL: its Kasubag and its Plh; TPH (the Plh is its Kasubag and an ASN there): the same person for TPH.
    assert sent == 3 and sorted(rows) == sorted([(kasubag.id, f"verif-window:KUL:{NOV}"),
                                                 (plh.id, f"verif-window:KUL:{NOV}"),
                                                 (plh.id, f"verif-window:TPH:{NOV}")])
    assert services.notify_window_opened(NOV, date(2026, 12, 1)) == 0
    note = db.session.scalar(select(Notification).where(Notification.user_id == kasubag.id,
                                                        Notification.kind == "verification_window"))
    assert "3 Desember 2026" in note.body and note.link.endswith(f"/verifikasi/KUL/{NOV}")


def test_overdue_notice_reaches_kasubag_and_sekretaris_once_a_day(unit_month, make_user, db):
    kasubag, *_ = unit_month
    sekretaris = make_user("SEK", "sekretaris")
    assert services.notify_overdue(date(2026, 12, 3)) == 0  # still within the window
    assert services.notify_overdue(date(2026, 12, 4)) == 2
    assert services.notify_overdue(date(2026, 12, 4)) == 0
    db.session.commit()
    kinds = db.session.scalars(select(Notification.user_id).where(Notification.kind == "verification_overdue")).all()
    assert sorted(kinds) == sorted([kasubag.id, sekretaris.id])
    assert services.notify_overdue(date(2026, 12, 7)) == 2  # the next working day's reminder


def test_month_report_holds_verified_entries_per_asn_and_the_signer(unit_month, db):
    kasubag, ani, budi, made = unit_month
    services.verify_all(ani, NOV, kasubag)
    report = services.month_report(kasubag.unit, NOV, kasubag)
    groups = {g.owner.id: g for g in report.groups}
    assert len(groups[ani.id].entries) == 3 and groups[budi.id].entries == []
    assert report.signer_name == kasubag.name and report.signer_nip == kasubag.nip
    assert report.signer_title.startswith("Kepala Sub Bagian")
    assert db.session.scalar(select(Delegation.id)) is None
