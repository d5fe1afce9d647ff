"""Pages of the pleno domain: the year's months, a month's packet versions, the pleno outcome, the dashboard."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from silabu.accounts.access import role_required
from silabu.accounts.org import today_for, units
from silabu.accounts.tenancy import OVERSEER_ROLES
from silabu.core.clock import period_of, previous_period
from silabu.core.errors import Conflict, ValidationFailed
from silabu.core.formatting import bulan
from silabu.core.parsing import month_or_none, parse_year
from silabu.ops import tasks
from silabu.ops.models import TaskStatus
from silabu.pleno import forms, services
from silabu.pleno.models import PACKET_STATUS_LABELS
from silabu.web import page_action

bp = Blueprint("pleno", __name__, url_prefix="/pleno")

VIEWERS = services.VIEW_ROLES
MANAGERS = services.MANAGE_ROLES
OVERSEERS = OVERSEER_ROLES


def _year_arg() -> int:
    try:
        return parse_year(request.args.get("year"), today_for(current_user).year)
    except ValidationFailed:
        return today_for(current_user).year


def _period_or_404(month: str) -> str:
    if month_or_none(month) is None:
        abort(404)
    return month


def _back_to_month(month: str, **_: object) -> str:
    return url_for("pleno.month", month=month)


@bp.route("/")
@role_required(*VIEWERS)
def index():
    year = _year_arg()
    today = today_for(current_user)
    return render_template("pleno/index.html", year=year, months=services.year_overview(year),
                           current=period_of(today), suggested=previous_period(period_of(today)),
                           can_manage=services.can_manage(current_user))


@bp.route("/<month>")
@role_required(*VIEWERS)
def month(month: str):
    return _render_month(_period_or_404(month))


def _render_month(period: str, errors: dict | None = None, form: dict | None = None, status: int = 200):
    versions = services.packet_versions(period)
    latest = versions[0] if versions else None
    open_packet = latest if latest is not None and latest.status.value != "final" else None
    gaps = services.completeness(period, open_packet) if latest is None or open_packet is not None else None
    ahead = services.completeness(period) if latest is None or open_packet is not None else None
    return render_template("pleno/month.html", period=period, label=bulan(period), versions=versions, latest=latest,
                           gaps=gaps, ahead=ahead, started=services.month_started(period),
                           summary=(latest.summary or {}) if latest else {}, errors=errors or {}, form=form or {},
                           can_manage=services.can_manage(current_user), labels=PACKET_STATUS_LABELS,
                           status_label=services.status_label(latest),
                           active_task=tasks.active_for("pleno.build", period, current_user)), status


@bp.route("/<month>/susun", methods=["POST"])
@role_required(*MANAGERS)
@page_action(back=_back_to_month)
def build(month: str):
    period = _period_or_404(month)
    # The build runs as a background task; its page follows it (inline mode: it is done already).
    task = tasks.submit("pleno.build", period, {"correction_reason": request.form.get("correction_reason")},
                        current_user)
    if task.status != TaskStatus.DONE:
        return redirect(url_for("tasks.show", task_id=task.id))
    flash(task.message, "warning" if (task.result or {}).get("is_empty") else "success")
    return redirect(url_for("pleno.month", month=period))


@bp.route("/<month>/v<int:version>/dipaparkan", methods=["POST"])
@role_required(*MANAGERS)
@page_action(back=_back_to_month)
def present(month: str, version: int):
    period = _period_or_404(month)
    packet = services.get_packet(period, version)
    services.mark_presented(packet, current_user)
    flash(f"Paket versi {version} ditandai sudah dipaparkan di rapat pleno.", "success")
    return redirect(url_for("pleno.month", month=period))


@bp.route("/<month>/v<int:version>/final", methods=["POST"])
@role_required(*MANAGERS)
@page_action(back=_back_to_month)
def finalize(month: str, version: int):
    period = _period_or_404(month)
    packet = services.get_packet(period, version)
    form = forms.pleno_outcome(request.form)
    try:
        services.finalize(packet, current_user, form["berita_acara_number"], form["pleno_date"], form["notes"],
                          acknowledge_incomplete=bool(form["acknowledge_incomplete"]), reason=form["reason"])
    except ValidationFailed as exc:
        return _render_month(period, errors=exc.fields, form=form, status=422)
    except Conflict as exc:
        if exc.code != "incomplete_month":
            raise
        return _render_month(period, errors={"acknowledge_incomplete": exc.message}, form=form, status=409)
    flash(f"Hasil pleno dicatat; paket {bulan(period)} versi {version} sudah final.", "success")
    return redirect(url_for("pleno.month", month=period))


@bp.route("/dasbor")
@role_required(*VIEWERS)
def dashboard():
    year = _year_arg()
    months = services.year_overview(year)
    charts = _unit_charts(months)
    return render_template("pleno/dashboard.html", year=year, months=months, charts=charts)


CHART_H = 60  # px of a panel's full scale in the dashboard's SVG


def _nice_top(value: int) -> int:
    """The activities axis' top: the year's largest unit-month rounded up to 1, 2 or 5 x 10^n."""
    step = 1
    while True:
        for m in (1, 2, 5):
            if value <= m * step:
                return m * step
        step *= 10


def _unit_charts(months: list[dict]) -> list[dict]:
    """Per unit, the twelve months' compliance and verified activities from each month's latest packet."""
    names = {u.code: u.name for u in units()}
    per_unit: dict[str, dict] = {}
    for m in months:
        packet = m["packet"]
        for u in ((packet.summary or {}).get("units", []) if packet else []):
            per_unit.setdefault(u["code"], {"code": u["code"], "name": u.get("name") or names.get(u["code"], ""),
                                            "months": {}})["months"][m["month"]] = u
    # Units the current month counts get a chart even before their first packet; no chart for a unit without staff.
    counting = {u.code for u in units() if u.id in services.counted_unit_ids(period_of(today_for(current_user)))}
    for code, name in names.items():
        if code in counting:
            per_unit.setdefault(code, {"code": code, "name": name, "months": {}})
    return _charts(per_unit, months)


def _charts(per_unit: dict[str, dict], months: list[dict]) -> list[dict]:
    """Bars of each unit's twelve months.

    One scale per measure across units: compliance on 0-100 %, activities on the busiest unit-month of the year,
    so two units' bars compare at a glance.
    """
    top = _nice_top(max([int(u.get("activities") or 0) for d in per_unit.values() for u in d["months"].values()]
                        + [1]))
    charts = []
    for code in sorted(per_unit):
        data = per_unit[code]
        bars = []
        for i, m in enumerate(months):
            u = data["months"].get(m["month"])
            # A month that counted nobody (no ASN in the packet) has no compliance: "–", never a 100 % of nothing.
            counted = bool(u) and int(u.get("asn_count") or 0) > 0
            compliance = float(u["compliance"]) if counted and u.get("compliance") is not None else None
            activities = int(u["activities"]) if u else None
            bars.append({"month": m["month"], "short": m["label"][:3], "index": i, "compliance": compliance,
                         "activities": activities,
                         "c_height": round(min(max(compliance or 0, 0), 100) / 100 * CHART_H, 1),
                         "a_height": round((activities or 0) / top * CHART_H, 1),
                         "status": m["status"]})
        total = sum(b["activities"] or 0 for b in bars)
        values = [b["compliance"] for b in bars if b["compliance"] is not None]
        charts.append({"code": code, "name": data["name"], "bars": bars, "top": top, "activities": total,
                       "compliance": round(sum(values) / len(values), 2) if values else None})
    return charts


# A province (or KPU RI) and its children (pleno.province)

def _province_or_403():
    from silabu.accounts.tenancy import current_satker
    from silabu.pleno.province import assert_province

    return assert_province(current_satker())


def province_required(view):
    """Page decorator: the pages of a satker with satker under it (403 with the reason, before anything else)."""
    from functools import wraps

    @wraps(view)
    def wrapped(*args, **kwargs):
        _province_or_403()
        return view(*args, **kwargs)

    return wrapped


def _back_to_province(month: str, **_: object) -> str:
    return url_for("pleno.province", month=month)


@bp.route("/provinsi")
@role_required(*OVERSEERS)
def province():
    from silabu.pleno import province as prov

    satker = _province_or_403()
    period = month_or_none(request.args.get("month")) or previous_period(period_of(today_for(current_user)))
    children = prov.children_progress(satker, period)
    versions = prov.province_packet_versions(period)
    latest = versions[0] if versions else None
    return render_template("pleno/province.html", satker=satker, period=period, label=bulan(period),
                           children=children, versions=versions, latest=latest,
                           summary=(latest.summary or {}) if latest else {},
                           ahead=prov.children_completeness(period, children=children) if not latest or latest.status.value != "final"
                           else None, can_manage=services.can_manage(current_user), labels=PACKET_STATUS_LABELS,
                           errors={}, form={},
                           active_task=tasks.active_for("pleno.province_build", period, current_user))


@bp.route("/provinsi/<month>/susun", methods=["POST"])
@role_required(*MANAGERS)
@province_required
@page_action(back=_back_to_province)
def province_build(month: str):
    period = _period_or_404(month)
    # As the satker's packet: a background task whose page follows it (inline mode: done already).
    task = tasks.submit("pleno.province_build", period,
                        {"correction_reason": request.form.get("correction_reason")}, current_user)
    if task.status != TaskStatus.DONE:
        return redirect(url_for("tasks.show", task_id=task.id))
    flash(task.message, "success")
    return redirect(url_for("pleno.province", month=period))


@bp.route("/provinsi/<month>/v<int:version>/dipaparkan", methods=["POST"])
@role_required(*MANAGERS)
@province_required
@page_action(back=_back_to_province)
def province_present(month: str, version: int):
    period = _period_or_404(month)
    services.mark_presented(services.get_packet(period, version, services.PROVINCE_PACKET), current_user)
    flash(f"Rekap provinsi versi {version} ditandai sudah dipaparkan.", "success")
    return redirect(url_for("pleno.province", month=period))


@bp.route("/provinsi/<month>/v<int:version>/final", methods=["POST"])
@role_required(*MANAGERS)
@province_required
@page_action(back=_back_to_province)
def province_finalize(month: str, version: int):
    period = _period_or_404(month)
    packet = services.get_packet(period, version, services.PROVINCE_PACKET)
    form = forms.pleno_outcome(request.form)
    services.finalize(packet, current_user, form["berita_acara_number"], form["pleno_date"], form["notes"],
                      acknowledge_incomplete=bool(form["acknowledge_incomplete"]), reason=form["reason"])
    flash(f"Hasil pleno dicatat; rekap provinsi {bulan(period)} versi {version} sudah final.", "success")
    return redirect(url_for("pleno.province", month=period))


@bp.route("/provinsi/<month>/v<int:version>/berkas/<name>")
@role_required(*OVERSEERS)
@province_required
def province_file(month: str, version: int, name: str):
    from silabu.evidence.storage import send_packet_file

    period = _period_or_404(month)
    packet = services.get_packet(period, version, services.PROVINCE_PACKET)
    f = next((f for f in packet.files if f.name == name), None)
    if f is None:
        abort(404)
    return send_packet_file(f)
