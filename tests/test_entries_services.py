"""Service tests (no HTTP) of what the daily-log pages ask the rule layer: what is owed, the month's entries,
copy/use again, submitting many, the form's code lists, and the pages' form helpers."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
import time_machine
from sqlalchemy import select
from werkzeug.datastructures import FileStorage, MultiDict

from tests.conftest import CODE

WIB = timezone(timedelta(hours=7))
NOW = datetime(2026, 8, 20, 10, 0, tzinfo=WIB)  # Thursday; 17 August is Hari Kemerdekaan
OTHER_CODE = "076.01.WA.4499.EBD.955"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture()
def asn(make_asn):
    return make_asn()


def code_id(db, code: str) -> int:
    from silabu.catalog.models import OutputCode

    return db.session.scalar(select(OutputCode.id).where(OutputCode.code == code))


# --- owed_for: the home page's answer -----------------------------------------------------------------------------

def test_owed_days_are_working_days_up_to_today_without_entries(asn, make_entry, db):
    from silabu.catalog.calendar import set_office_day
    from silabu.catalog.models import ClosureKind
    from silabu.entries.services import owed_for

    set_office_day(date(2026, 8, 18), ClosureKind.CUTI_BERSAMA, "Cuti bersama")
    make_entry(asn, date(2026, 8, 3))
    make_entry(asn, date(2026, 8, 4), status="submitted")
    owed = owed_for(asn)
    assert owed.today == date(2026, 8, 20)
    assert owed.empty_days == [date(2026, 8, d) for d in (5, 6, 7, 10, 11, 12, 13, 14, 19, 20)]
    # The draft day is started (not empty) but only the submitted day is filled (compliance).
    assert owed.days.working_days == 12 and owed.days.filled_days == 1


def test_an_extra_working_day_set_by_the_admin_is_owed(asn, db):
    from silabu.catalog.calendar import set_office_day
    from silabu.catalog.models import ClosureKind
    from silabu.entries.services import owed_for

    set_office_day(date(2026, 8, 8), ClosureKind.WORKDAY, "Hari kerja pengganti")
    assert date(2026, 8, 8) in owed_for(asn).empty_days


def test_owed_uses_the_satker_day_not_the_server_day(asn, frozen):
    from silabu.entries.services import owed_for

    frozen.move_to(datetime(2026, 8, 20, 18, 0, tzinfo=UTC))  # still the 20th in UTC, the 21st in WIB
    owed = owed_for(asn)
    assert owed.today == date(2026, 8, 21) and date(2026, 8, 21) in owed.empty_days


def test_owed_lists_returned_entries_of_any_month_and_this_months_drafts(asn, make_entry, db):
    from silabu.entries.models import EntryStatus
    from silabu.entries.services import owed_for

    old = make_entry(asn, date(2026, 7, 30), status="submitted")
    old.status, old.return_note = EntryStatus.RETURNED, "Lengkapi bukti"
    draft = make_entry(asn, date(2026, 8, 19))
    make_entry(asn, date(2026, 7, 29))  # a draft of last month: not in this month's list
    today = make_entry(asn, date(2026, 8, 20), status="submitted")
    db.session.commit()
    owed = owed_for(asn)
    assert [e.id for e in owed.returned] == [old.id]
    assert [e.id for e in owed.drafts] == [draft.id]
    assert [e.id for e in owed.today_entries] == [today.id]


def test_owed_is_only_about_the_asn_themself(asn, make_asn, make_entry):
    from silabu.entries.services import owed_for

    make_entry(make_asn(), date(2026, 8, 20))
    owed = owed_for(asn)
    assert owed.today_entries == [] and owed.days.filled_days == 0


# --- latest_before / prefill_from: copy yesterday, use again --------------------------------------------------

def test_latest_before_is_the_most_recent_earlier_entry(asn, make_entry):
    from silabu.entries.services import latest_before

    make_entry(asn, date(2026, 8, 10))
    wanted = make_entry(asn, date(2026, 8, 14), activity="Kedua")
    make_entry(asn, date(2026, 8, 20))
    assert latest_before(asn, date(2026, 8, 20)).id == wanted.id
    assert latest_before(asn, date(2026, 8, 10)) is None


def test_latest_before_ignores_other_people(asn, make_asn, make_entry):
    from silabu.entries.services import latest_before

    make_entry(make_asn(), date(2026, 8, 19))
    assert latest_before(asn, date(2026, 8, 20)) is None


def test_prefill_copies_the_work_and_moves_the_date(asn, make_entry):
    from silabu.entries.services import prefill_from

    source = make_entry(asn, date(2026, 8, 14), output_code=OTHER_CODE, activity="Rekonsiliasi", quantity="2.5",
                        unit="Berkas", start_time="08:00", end_time="09:00")
    values = prefill_from(source, date(2026, 8, 20))
    assert values["entry_date"] == date(2026, 8, 20)
    assert (values["output_code"], values["activity"], values["unit"]) == (OTHER_CODE, "Rekonsiliasi", "Berkas")
    assert values["quantity"] == Decimal("2.5")


# --- entries_of: month view and list filters ---------------------------------------------------------------------

def test_entries_of_filters_by_month_status_code_and_text(asn, make_entry, db):
    from silabu.entries.models import EntryStatus
    from silabu.entries.services import entries_of

    july = make_entry(asn, date(2026, 7, 15), activity="Arsip Juli")
    a = make_entry(asn, date(2026, 8, 3), activity="Rekap ABSENSI pegawai")
    b = make_entry(asn, date(2026, 8, 4), activity="Input SAKTI", output="SPM terbit", output_code=OTHER_CODE,
                   status="submitted")
    assert [e.id for e in entries_of(asn.id, "2026-08")] == [b.id, a.id]  # newest first
    assert [e.id for e in entries_of(asn.id)] == [b.id, a.id, july.id]
    assert [e.id for e in entries_of(asn.id, "2026-08", status=EntryStatus.SUBMITTED)] == [b.id]
    assert [e.id for e in entries_of(asn.id, "2026-08", output_code_id=code_id(db, OTHER_CODE))] == [b.id]
    assert [e.id for e in entries_of(asn.id, None, q="absensi")] == [a.id]
    assert [e.id for e in entries_of(asn.id, None, q="spm")] == [b.id]  # the output text is searched too


# --- submit_many: "Ajukan semua draf" ---------------------------------------------------------------------------

def test_submit_many_submits_what_it_can_and_reports_the_rest(asn, make_entry, db, org):
    from silabu.entries.models import EntryStatus
    from silabu.entries.services import submit_many

    ok = make_entry(asn, date(2026, 8, 10))
    verified = make_entry(asn, date(2026, 8, 11), status="submitted")
    verified.status = EntryStatus.VERIFIED
    db.session.commit()
    done, problems = submit_many([ok, verified], asn)
    db.session.commit()
    assert done == 1 and len(problems) == 1 and "11/08" in problems[0]
    db.session.refresh(ok)
    assert ok.status == EntryStatus.SUBMITTED


def test_submit_many_never_submits_someone_elses_draft(asn, make_asn, make_entry, db):
    from silabu.entries.models import EntryStatus
    from silabu.entries.services import submit_many

    other = make_entry(make_asn(), date(2026, 8, 10))
    done, problems = submit_many([other], asn)
    assert done == 0 and problems
    assert other.status == EntryStatus.DRAFT


# --- the form's code lists and favourites --------------------------------------------------------------------

def test_codes_for_user_gives_favourites_then_recent_then_all_usable(asn, make_entry, db):
    from silabu.catalog.models import OutputCode
    from silabu.catalog.services import toggle_favorite
    from silabu.entries.codes import codes_for_user

    assert toggle_favorite(asn.id, code_id(db, OTHER_CODE)) is True
    make_entry(asn, date(2026, 8, 10))
    favourites, recent, all_codes = codes_for_user(asn.id)
    assert [c.code for c in favourites] == [OTHER_CODE]
    assert [c.code for c in recent] == [CODE]
    assert all(c.level == "ro" and c.is_active for c in all_codes)
    assert "076.01.WA.4499.EBA" not in {c.code for c in all_codes}  # a KRO line is not loggable
    inactive = db.session.scalar(select(OutputCode).where(OutputCode.code == OTHER_CODE))
    inactive.is_active = False
    favourites, _, all_codes = codes_for_user(asn.id)
    assert favourites == [] and inactive not in all_codes


def test_toggle_favorite_twice_removes_it(asn, db):
    from silabu.catalog.services import toggle_favorite
    from silabu.entries.codes import codes_for_user

    toggle_favorite(asn.id, code_id(db, OTHER_CODE))
    assert toggle_favorite(asn.id, code_id(db, OTHER_CODE)) is False
    assert codes_for_user(asn.id)[0] == []


def test_favourites_are_per_person(asn, make_asn, db):
    from silabu.catalog.services import toggle_favorite
    from silabu.entries.codes import codes_for_user

    toggle_favorite(asn.id, code_id(db, OTHER_CODE))
    assert codes_for_user(make_asn().id)[0] == []


# --- the pages' form helpers -----------------------------------------------------------------------------------

def test_quantity_is_shown_with_a_decimal_comma_and_no_thousands_dots():
    from silabu.entries.forms import quantity_text

    assert quantity_text(Decimal("1.50")) == "1,5"
    assert quantity_text(Decimal("3.00")) == "3"
    assert quantity_text(Decimal("1200.00")) == "1200"  # "1.200" would be read back as 1,2


def test_a_shown_quantity_reads_back_as_the_same_number(asn):
    from silabu.entries.forms import quantity_text
    from silabu.entries.services import validate_input

    for q in (Decimal("1200"), Decimal("0.25"), Decimal("12.5")):
        data = validate_input(asn, {"entry_date": "2026-08-20", "output_code": CODE, "activity": "a", "output": "b",
                                    "quantity": quantity_text(q), "unit": "Dokumen"})
        assert data.quantity == q


def test_untouched_file_inputs_are_not_uploads():
    from io import BytesIO

    from silabu.entries.forms import uploaded_files

    files = MultiDict([("files", FileStorage(BytesIO(b""), filename="")),
                       ("camera", FileStorage(BytesIO(b"x"), filename="foto.jpg")),
                       ("files", FileStorage(BytesIO(b"y"), filename="nota.pdf"))])
    assert [f.filename for f in uploaded_files(files)] == ["nota.pdf", "foto.jpg"]


def test_list_filters_ignore_unknown_values():
    from silabu.entries.forms import list_filters
    from silabu.entries.models import EntryStatus

    assert list_filters({"status": "verified", "kode": "7", "q": " rapat "}) == {
        "status": EntryStatus.VERIFIED, "output_code_id": 7, "q": "rapat"}
    assert list_filters({"status": "hapus", "kode": "x", "q": ""}) == {"status": None, "output_code_id": None, "q": None}


def test_new_form_values_take_a_valid_day_or_today():
    from silabu.entries.forms import blank_values

    today = date(2026, 8, 20)
    assert blank_values(today, {"tanggal": "2026-08-04"})["entry_date"] == "2026-08-04"
    assert blank_values(today, {"tanggal": "kemarin"})["entry_date"] == "2026-08-20"
    assert blank_values(today, {"kode": CODE})["output_code"] == CODE
