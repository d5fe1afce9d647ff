"""Rules of the daily log that cut across pages: compliance counts only handed-in days; deleting an
entry takes its evidence files with it once committed."""
from __future__ import annotations

from pathlib import Path

import time_machine

from tests.conftest import UPLOADS


@time_machine.travel("2026-11-18 09:00 +07:00", tick=False)
def test_compliance_counts_only_submitted_or_verified_days(make_asn, make_entry, db):
    from datetime import date

    from silabu.entries.services import owed_for

    asn = make_asn()
    make_entry(asn, date(2026, 11, 2), status="submitted")
    make_entry(asn, date(2026, 11, 3))  # a draft fills the day but is not compliance yet
    owed = owed_for(asn)
    assert owed.days.working_days == 13  # 2..18 November 2026, Monday-Friday
    assert owed.days.filled_days == 1 and owed.days.compliance == round(100 / 13, 2)
    assert date(2026, 11, 4) in owed.empty_days and date(2026, 11, 2) not in owed.empty_days


@time_machine.travel("2026-11-18 09:00 +07:00", tick=False)
def test_deleting_an_entry_removes_its_files_after_commit(app, make_asn, make_entry, db):
    from silabu.entries.evidence import add_evidence
    from silabu.entries.services import delete_entry

    asn = make_asn()
    entry = make_entry(asn)
    add_evidence(entry, asn, "nota.pdf", (UPLOADS / "good" / "nota_dinas.pdf").read_bytes())
    db.session.commit()
    root = Path(app.config["UPLOAD_DIR"])
    assert [p for p in root.rglob("*") if p.is_file()]
    delete_entry(entry, asn)
    assert [p for p in root.rglob("*") if p.is_file()], "files stay until the deletion is committed"
    db.session.commit()
    assert not [p for p in root.rglob("*") if p.is_file() and ".tmp" not in p.parts]
