"""Notices the scheduler sends each morning: the verification window opened, a unit-month is overdue."""
from __future__ import annotations

from datetime import date

from silabu.accounts.models import Role
from silabu.accounts.services import users_with_role
from silabu.core.formatting import bulan, tanggal
from silabu.core.links import path_for
from silabu.core.parsing import parse_month
from silabu.notifications.services import notify
from silabu.verification.services.oversight import (
    overdue_unit_months,
    oversight,
    unit_verifiers,
)
from silabu.verification.services.unit_month import verification_window


def notify_window_opened(period: str, today: date) -> int:
    """Tell each open unit's Kasubag (and Plh/Plt) that the verification window is open; once per unit-month."""
    parse_month(period)
    opens, closes = verification_window(period)
    if today < opens:
        return 0
    sent = 0
    for p in oversight(period, today):
        if p.is_closed:
            continue
        for person in unit_verifiers(p.unit.id, today):
            row = notify(person, "verification_window",
                         f"Masa verifikasi {bulan(period)} dibuka",
                         body=(f"Verifikasi entri {p.unit.name} bulan {bulan(period)} dapat dilakukan sampai "
                               f"{tanggal(closes)}. Menunggu verifikasi: {p.waiting} entri."),
                         link=path_for("verification.queue_page", unit_code=p.unit.code, period=period),
                         key=f"verif-window:{p.unit.code}:{period}")
            sent += row is not None
    return sent


def notify_overdue(today: date) -> int:
    """Daily notice for every unit-month still open after its window: to the unit's verifiers and the Sekretaris."""
    items = overdue_unit_months(today)
    if not items:
        return 0
    sekretaris = users_with_role(Role.SEKRETARIS)
    sent = 0
    for item in items:
        unit, period = item.unit, item.period
        body = (f"Verifikasi {unit.name} bulan {bulan(period)} melewati batas {tanggal(item.closes)} dan "
                f"bulan belum ditutup. Menunggu verifikasi: {item.waiting} entri. Keterlambatan dapat mengurangi "
                "tunjangan kinerja pegawai.")
        title = f"Verifikasi {bulan(period)} terlambat: {unit.code}"
        key = f"verif-overdue:{unit.code}:{period}:{today.isoformat()}"
        for person in unit_verifiers(unit.id, today):
            sent += notify(person, "verification_overdue", title, body=body, key=key,
                           link=path_for("verification.queue_page", unit_code=unit.code, period=period)) is not None
        for person in sekretaris:
            sent += notify(person, "verification_overdue", title, body=body, key=key,
                           link=path_for("verification.oversight", month=period)) is not None
    return sent
