"""Which LKj reports a year has, who reads them, and the rule that a signed report's figures are frozen."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from silabu.accounts.models import Role, User
from silabu.catalog.models import Indicator
from silabu.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from silabu.extensions import db
from silabu.lkj.models import LKJ_PERIODS, LkjReport, LkjStatus

LKJ_VIEW_ROLES = (Role.RENDATIN, Role.SEKRETARIS, Role.KETUA, Role.KOMISIONER, Role.KASUBAG, Role.ADMIN,
                  Role.INSPEKTORAT)
LKJ_MANAGE_ROLES = (Role.RENDATIN,)
NOTE_MAX = 4000


@dataclass(frozen=True)
class ReportSpec:
    code: str
    title: str  # "Laporan Kinerja Sekretariat"
    sekretariat: bool  # the subject is the Sekretariat of the satker (else the KPU itself)
    corrector_role: Role  # who corrects and initials (paraf)
    corrector_unit: str | None
    corrector_label: str
    signer_role: Role
    signer_label: str


REPORTS: dict[str, ReportSpec] = {
    "LKJ-SEK": ReportSpec("LKJ-SEK", "Laporan Kinerja Sekretariat", True, Role.KASUBAG, "RDI",
                          "Kepala Sub Bagian Perencanaan, Data dan Informasi", Role.SEKRETARIS, "Sekretaris"),
    # Kupang: the Komisioner Divisi Perencanaan corrects and initials, the Ketua signs.
    "LKJ-KPU": ReportSpec("LKJ-KPU", "Laporan Kinerja KPU (Komisioner)", False, Role.KOMISIONER, None,
                          "Komisioner Divisi Perencanaan", Role.KETUA, "Ketua"),
}


def report_spec(report_code: str) -> ReportSpec:
    """The rules of a report; report codes beyond the two of Kupang's SOP follow the Sekretariat's."""
    code = (report_code or "").strip().upper()
    if code in REPORTS:
        return REPORTS[code]
    base = REPORTS["LKJ-SEK"]
    return ReportSpec(code, f"Laporan Kinerja {code}", True, base.corrector_role, base.corrector_unit,
                      base.corrector_label, base.signer_role, base.signer_label)


def normalise_report_code(report_code: str) -> str:
    code = (report_code or "").strip().upper()
    if not code or len(code) > 20 or not all(c.isalnum() or c in "-_" for c in code):
        raise NotFound("Laporan tidak ditemukan.")
    return code


def report_codes(year: int) -> list[str]:
    """The two standard reports plus any other report named by the year's indicators."""
    found = set(db.session.scalars(select(Indicator.report_code).where(Indicator.year == year).distinct()))
    return list(REPORTS) + sorted(found - set(REPORTS))


def years_known() -> list[int]:
    years = set(db.session.scalars(select(Indicator.year).distinct()))
    years.update(db.session.scalars(select(LkjReport.year).distinct()))
    return sorted(years, reverse=True)


def normalise_period(period: str | int | None) -> str:
    """The period of an LKj report: "tahun" (the annual one; also None, "", "tahun"), "s1" or "s2" (also 1, 2,
    "1", "2", "semester1"). Anything else is a clear error."""
    raw = str(period if period is not None else "").strip().lower().replace("semester", "s").replace(" ", "")
    if raw in ("", "tahun", "year", "tahunan"):
        return "tahun"
    if raw in ("1", "2"):
        raw = f"s{raw}"
    if raw in LKJ_PERIODS:
        return raw
    raise ValidationFailed({"semester": "Semester tidak dikenal. Pakai 1 (Semester I) atau 2 (Semester II); tanpa "
                                        "semester: LKj tahunan."})


def semester_of(period: str) -> int | None:
    """1 or 2 for "s1"/"s2", None for the annual report (what URLs and the API carry as ``semester``)."""
    return int(period[1:]) if period in ("s1", "s2") else None


def get_report(year: int, report_code: str, period: str | int | None = "tahun") -> LkjReport | None:
    return db.session.scalar(select(LkjReport).where(LkjReport.year == year,
                                                     LkjReport.report_code == normalise_report_code(report_code),
                                                     LkjReport.period == normalise_period(period)))


def ensure_report(year: int, report_code: str, period: str | int | None = "tahun") -> LkjReport:
    """The report of a year, code and period, created (status draft) on first use."""
    code = normalise_report_code(report_code)
    period = normalise_period(period)
    report = get_report(year, code, period)
    if report is not None:
        return report
    report = LkjReport(year=year, report_code=code, period=period, status=LkjStatus.DRAFT, narrative={},
                       current_version=0, pleno_rounds=0)
    try:
        with db.session.begin_nested():
            db.session.add(report)
            db.session.flush()
    except IntegrityError:  # created at the same moment by another request or the job
        report = get_report(year, code, period)
        if report is None:
            raise
    return report


def institution_title(label: str) -> str:
    """A title with its institution, as it is signed: "Sekretaris KPU Kabupaten Kudus"."""
    from silabu.accounts.tenancy import current_satker

    satker = current_satker()
    if satker is None or not satker.name or satker.name in label:
        return label
    if label.startswith("Kepala Sub Bagian"):
        return f"{label} Sekretariat {satker.name}"
    return f"{label} {satker.name}"


PLANNING_WORD = "perencanaan"


def is_planning_komisioner(user: User | None) -> bool:
    """Only the komisioner whose role carries the planning division corrects and initials the LKj KPU (Kupang)."""
    if user is None or not user.has_role(Role.KOMISIONER):
        return False
    division = user.division_of(Role.KOMISIONER)
    return bool(division) and PLANNING_WORD in division.casefold()


def corrector_title(label: str, actor: User | None) -> str:
    """The initialler's title with the institution; a komisioner's names the division the role carries."""
    division = actor.division_of(Role.KOMISIONER) if actor is not None and label.startswith("Komisioner") else None
    return institution_title(f"Komisioner {division}" if division else label)


def subject_name(spec: ReportSpec) -> str:
    from silabu.accounts.tenancy import current_satker

    satker = current_satker()
    name = satker.name if satker else "Komisi Pemilihan Umum"
    return f"Sekretariat {name}" if spec.sekretariat else name


def assert_open(year: int, report_code: str) -> None:
    report = get_report(year, report_code)
    if report is not None and report.is_signed:
        raise Conflict(f"{report_spec(report_code).title} tahun {year} sudah ditandatangani; indikator, target "
                       "dan realisasinya tidak dapat diubah lagi.", code="lkj_signed")


def default_recipient() -> str:
    """Whom Kirim sends to by default, recipients separated by ";" (``lkj.letters.default_recipients``)."""
    from silabu.accounts.tenancy import current_satker
    from silabu.lkj.letters import default_recipients

    return "; ".join(default_recipients(current_satker()))


def can_view(user: User) -> bool:
    return user.has_role(*LKJ_VIEW_ROLES)


def can_manage(user: User) -> bool:
    """Rendatin of the report's own satker (a province reading a child's LKj changes nothing there)."""
    from silabu.accounts.tenancy import reading_other_satker

    return user.has_role(*LKJ_MANAGE_ROLES) and reading_other_satker(user) is None


def sees_entries(user: User) -> bool:
    """Whether the trace lists the entries behind a figure, or only their count.

    The entries counted are those of the pleno packets, so they follow the packets' readers (Rendatin, the
    Sekretaris, the Ketua); a Kasubag reading the LKj sees the figures, not another unit's work, and the admin
    keeps settings, not the work.
    """
    from silabu.pleno.services import can_view as sees_packets

    return sees_packets(user)


def assert_can_view(user: User) -> None:
    if not can_view(user):
        raise Forbidden("Halaman LKj hanya untuk Rendatin, Kepala Sub Bagian, Sekretaris, Ketua, Komisioner dan "
                        "Admin.")


def status_summary(year: int) -> list[dict[str, Any]]:
    """Per report of the year: its spec, report row (if any), indicator count, and its semester reports
    (``semesters``: per semester 1 and 2, its period, label and report row, if any)."""
    out = []
    for code in report_codes(year):
        semesters = [{"period": p, "semester": semester_of(p),
                      "label": LkjReport(year=year, period=p).period_label, "report": get_report(year, code, p)}
                     for p in ("s1", "s2")]
        out.append({"spec": report_spec(code), "report": get_report(year, code), "semesters": semesters,
                    "indicators": db.session.scalar(select(func.count(Indicator.id)).where(
                        Indicator.year == year, Indicator.report_code == code)) or 0})
    return out


def iter_years_for_index(today: date) -> list[int]:
    years = set(years_known())
    years.add(today.year)
    return sorted(years, reverse=True)
