"""The menu each person sees, by role."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from silabu.accounts.access import scope_for
from silabu.accounts.models import Role, User
from silabu.accounts.org import today_for
from silabu.core.clock import period_of, previous_period
from silabu.extensions import db
from silabu.lkj import services as lkj_services
from silabu.pleno import services as pleno_services
from silabu.verification import services as verification_services


@dataclass
class NavItem:
    label: str
    endpoint: str
    icon: str


def nav_items(user: User) -> list[NavItem]:
    items = [NavItem("Beranda", "entries.home", "home")]
    if logs_entries(user):  # the daily log is for those who log (the admin or a Ketua who logs nothing never see it)
        items += [NavItem("Catat", "entries.new", "plus"), NavItem("Bulan ini", "entries.month", "calendar")]
    # Each item asks the rule its pages ask: the menu never has its own idea of who may open what.
    if scope_for(user).opens_queue:
        items.append(NavItem("Verifikasi", "verification.index", "check"))
    if verification_services.may_oversee(user):
        items.append(NavItem("Pantauan", "verification.oversight", "eye"))
    if pleno_services.can_view(user):
        items.append(NavItem("Pleno", "pleno.index", "doc"))
    if lkj_services.can_view(user):
        items.append(NavItem("LKj", "lkj.index", "doc"))
    if oversees_children(user):
        items.append(NavItem("Satker di bawah", "pleno.province", "eye"))
    if user.has_role(Role.ADMIN):
        items.append(NavItem("Admin", "admin.index", "gear"))
    return items


def oversees_children(user: User) -> bool:
    """A provinsi's (or KPU RI's) Sekretaris, Rendatin, Inspektorat... with satker under it (pleno.province)."""
    from silabu.accounts.models import Satker
    from silabu.accounts.tenancy import OVERSEER_ROLES

    if not user.has_role(*OVERSEER_ROLES):
        return False
    return db.session.scalar(select(Satker.id).where(Satker.parent_id == user.unit.satker_id).limit(1)) is not None


def unread_count(user: User) -> int:
    from silabu.notifications.models import Notification

    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def logs_entries(user: User) -> bool:
    """Whether the person keeps a daily log (holds the ASN role): the daily-log home and form are theirs."""
    return user.has_role(Role.ASN)


@dataclass
class HomeCard:
    """One thing a person owes today, on the home page of someone who does not (only) log entries."""

    title: str
    lines: list[str]
    link_label: str
    endpoint: str
    urgent: bool = False


def role_home(user: User) -> list[HomeCard]:
    """What each role owes today, from the same services its pages use."""
    from silabu.core.formatting import bulan, tanggal

    today = today_for(user)
    last = previous_period(period_of(today))
    cards: list[HomeCard] = []
    if scope_for(user).opens_queue:
        waiting = verification_services.waiting_by_period(user, today)
        closes = verification_services.verification_window(last)[1]
        lines = ([f"{n} entri {bulan(p)} menunggu verifikasi Anda." for p, n in sorted(waiting.items())]
                 or ["Tidak ada entri yang menunggu verifikasi Anda."])
        lines.append(f"Batas verifikasi {bulan(last)}: {tanggal(closes)}.")
        cards.append(HomeCard("Verifikasi", lines, "Buka antrean", "verification.index", urgent=bool(waiting)))
    if verification_services.may_oversee(user):
        overdue = verification_services.overdue_unit_months(today)
        lines = [f"{o.unit.name} — {bulan(o.period)}: lewat batas {tanggal(o.closes)}, {o.waiting} entri menunggu."
                 for o in overdue[:5]] or ["Tidak ada unit yang terlambat menutup bulan."]
        cards.append(HomeCard("Unit terlambat", lines, "Buka pantauan", "verification.oversight",
                              urgent=bool(overdue)))
    if pleno_services.can_view(user):
        packet = pleno_services.latest_packet(last)
        lines = [f"Paket pleno {bulan(last)}: {pleno_services.status_label(packet)}."]
        if pleno_services.can_manage(user):
            open_units = [u.unit.name for u in verification_services.oversight(last, today)
                          if not u.is_closed and u.counts["total"]]
            lines.append(f"Unit yang belum menutup {bulan(last)}: {', '.join(open_units)}." if open_units
                         else f"Semua unit dengan entri sudah menutup {bulan(last)}.")
        cards.append(HomeCard("Rapat pleno", lines, "Buka pleno", "pleno.index"))
    if lkj_services.can_view(user):
        lines = lkj_waiting(user, today)
        cards.append(HomeCard("Laporan Kinerja", lines or ["Tidak ada tahap LKj yang menunggu Anda."], "Buka LKj",
                              "lkj.index", urgent=bool(lines)))
    if oversees_children(user):
        from silabu.pleno.province import children_not_final

        children, missing = children_not_final(user.unit.satker, last)
        lines = [f"{len(children) - len(missing)} dari {len(children)} satker di bawah sudah memfinalkan paket "
                 f"pleno {bulan(last)}."]
        if missing:
            lines.append("Belum: " + ", ".join(f"{c.code} {c.name}" for c in missing[:5])
                         + (f", dan {len(missing) - 5} lainnya." if len(missing) > 5 else "."))
        cards.append(HomeCard("Satker di bawah", lines, "Buka satker di bawah", "pleno.province"))
    if user.has_role(Role.ADMIN):
        cards.append(HomeCard("Administrasi", ["Pengguna, unit, kode output, kalender, dan keamanan."],
                              "Buka admin", "admin.index"))
    return cards


def lkj_waiting(user: User, today) -> list[str]:
    """The LKj steps waiting for ``user``: what the review service allows them on each report of this year and the
    last (the LKj of a year is compiled early in the next)."""
    from silabu.lkj.models import LKJ_STATUS_LABELS

    lines = []
    for year in (today.year - 1, today.year):
        for code in lkj_services.report_codes(year):
            report = lkj_services.get_report(year, code)
            if report is None:
                continue
            steps = [a.label for a in lkj_services.allowed_actions(report, user, today) if a.key != "kembalikan"]
            if steps:
                lines.append(f"{lkj_services.report_spec(code).title} {year} ({LKJ_STATUS_LABELS[report.status]}) "
                             f"menunggu Anda: {'; '.join(steps)}.")
    return lines
