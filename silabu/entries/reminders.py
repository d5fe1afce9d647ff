"""The daily reminder to ASN who still have an empty working day this month (SOP step 2)."""
from __future__ import annotations

from datetime import date

from silabu.accounts.models import Role
from silabu.accounts.services import users_with_role
from silabu.catalog.calendar import is_working_day
from silabu.core.formatting import tanggal_hari
from silabu.core.links import path_for
from silabu.entries.services import owed_for
from silabu.notifications.services import notify

LISTED_DAYS = 5


def send_daily_reminders(today: date) -> int:
    """Notify every active ASN with an empty working day this month so far; once per person per day.

    Nothing is sent on a day off: the reminder is about the working day itself.
    """
    if not is_working_day(today):
        return 0
    users = sorted(users_with_role(Role.ASN), key=lambda u: u.id)
    link = path_for("entries.home")
    sent = 0
    for user in users:
        empty = owed_for(user).empty_days
        if not empty:
            continue
        if notify(user, "reminder", "Pengingat laporan harian", reminder_text(empty), link,
                  key=f"reminder:{today.isoformat()}") is not None:
            sent += 1
    return sent


def reminder_text(empty_days: list[date]) -> str:
    shown = ", ".join(tanggal_hari(d) for d in empty_days[:LISTED_DAYS])
    more = len(empty_days) - LISTED_DAYS
    if more > 0:
        shown += f", dan {more} hari lainnya"
    return (f"Masih ada {len(empty_days)} hari kerja bulan ini yang belum diisi: {shown}. "
            "Isi laporan harian Anda agar dapat diverifikasi di akhir bulan.")
