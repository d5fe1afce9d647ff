"""Pages of month-end verification: the queue per unit-month, close/reopen, exports, oversight, Plh/Plt."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from silabu.accounts import delegation
from silabu.accounts.access import can_verify_entry, role_required
from silabu.accounts.models import Unit, User
from silabu.accounts.org import today_for
from silabu.accounts.org import units as active_units
from silabu.core.clock import next_period, previous_period
from silabu.core.errors import ValidationFailed
from silabu.core.formatting import bulan, tanggal
from silabu.core.parsing import parse_month
from silabu.entries.models import Entry, EntryStatus
from silabu.entries.services import get_entry_for
from silabu.extensions import db
from silabu.verification import exports, forms, services
from silabu.web import download, page_action, safe_next

bp = Blueprint("verification", __name__, url_prefix="/verifikasi")


def _period_arg(value: str | None, today: date) -> str:
    if not value:
        return services.default_period(today)
    return parse_month(value)


def _queue_url(unit_code: str, period: str, asn: int | None = None, anchor: str | None = None) -> str:
    url = url_for("verification.queue_page", unit_code=unit_code, period=period, asn=asn)
    return url + (f"#{anchor}" if anchor else "")


@bp.route("/")
@login_required
def index():
    today = today_for(current_user)
    services.assert_opens_queue(current_user, today)
    scope = services.scope_for(current_user, today)
    units = scope.units()
    period = _period_arg(request.args.get("month"), today)
    mine = services.queue(current_user, period, on_date=today, load_entries=False)
    rows = []
    for unit in units:
        counts = services.unit_counts(unit.id, period)
        um = services.get_unit_month(unit.id, period)
        waiting_for_me = sum(g.waiting for g in mine.groups if g.unit.id == unit.id)
        rows.append({"unit": unit, "counts": counts, "closed": bool(um and um.is_closed), "unit_month": um,
                     "waiting_for_me": waiting_for_me, "full": scope.full_view(unit.id),
                     "may_close": services.can_close(current_user, unit, today)})
    elsewhere = {p: n for p, n in services.waiting_by_period(current_user, today).items() if p != period}
    return render_template("verification/index.html", rows=rows, period=period, window=mine.window, today=today,
                           elsewhere=elsewhere,
                           prev_period=previous_period(period), next_period=next_period(period),
                           may_delegate=delegation.may_delegate(current_user),
                           may_oversee=services.may_oversee(current_user))


@bp.route("/<unit_code>/<period>")
@login_required
def queue_page(unit_code: str, period: str):
    today = today_for(current_user)
    unit = services.unit_for_viewer(current_user, unit_code, on_date=today)
    parse_month(period)
    q = services.queue(current_user, period, unit_id=unit.id, on_date=today, readonly_groups=True,
                       load_entries=False)
    return _render_queue(q, unit, period, today, request.args.get("asn", type=int) or 0,
                         only_waiting=request.args.get("tampil") == "menunggu")


def _render_queue(q: services.Queue, unit: Unit, period: str, today: date, asn: int, *, only_waiting: bool = False):
    """The queue page of one ASN of the unit-month (the next one waiting when ``asn`` is not in the queue)."""
    selected = q.group(asn) or q.next_waiting() or (q.groups[0] if q.groups else None)
    history: dict = {}
    timeline: list = []
    next_entry: dict[int, int] = {}
    if selected is not None:
        services.fill_entries(q, selected)
        shown = [e for e in selected.entries or [] if e.status != EntryStatus.DRAFT
                 and (not only_waiting or e.status == EntryStatus.SUBMITTED)]
        history = services.histories(shown)
        timeline = _timeline(shown, [] if only_waiting else selected.empty_days)
        waiting_ids = [e.id for e in shown if e.status == EntryStatus.SUBMITTED]
        next_entry = dict(zip(waiting_ids, waiting_ids[1:]))
    position = q.groups.index(selected) if selected is not None else -1
    prev_group = q.groups[position - 1] if position > 0 else None
    next_group = q.groups[position + 1] if 0 <= position < len(q.groups) - 1 else None
    next_waiting = q.next_waiting(selected.owner.id if selected else None)
    um = q.unit_months.get(unit.id)
    closed = bool(um and um.is_closed)
    report = services.close_report(unit, period) if closed else None
    return render_template("verification/queue.html", q=q, unit=unit, period=period, selected=selected,
                           history=history, timeline=timeline, next_entry=next_entry, only_waiting=only_waiting,
                           prev_group=prev_group, next_group=next_group, next_waiting=next_waiting,
                           unit_month=um, closed=closed, report=report, counts=q.unit_counts[unit.id],
                           may_close=services.can_close(current_user, unit, today),
                           today=today, opens=q.window[0], closes=q.window[1], EntryStatus=EntryStatus,
                           action_label=services.action_label)


def _timeline(entries: list[Entry], empty_days: list[date]) -> list[tuple[date, list[Entry], list[date]]]:
    """Entries by day, with the working days that have none (the gaps in the ASN's month). Consecutive empty days
    are one row ``(first, [], days)``, so a month that starts late does not push the first entry off a phone's
    screen."""
    by_day: dict[date, list[Entry]] = {d: [] for d in empty_days}
    for e in entries:
        by_day.setdefault(e.entry_date, []).append(e)
    rows: list[tuple[date, list[Entry], list[date]]] = []
    for day, items in sorted(by_day.items()):
        if not items and rows and not rows[-1][1]:
            rows[-1][2].append(day)
        else:
            rows.append((day, items, [] if items else [day]))
    return rows


@bp.route("/entri/<int:entry_id>")
@login_required
def entry_page(entry_id: int):
    entry = get_entry_for(current_user, entry_id)
    return _render_entry(entry)


def _render_entry(entry: Entry, errors: dict | None = None, note: str = "", status: int = 200):
    today = today_for(current_user)
    return render_template("verification/entry.html", entry=entry, events=services.entry_history(entry),
                           may_verify=can_verify_entry(current_user, entry, today), errors=errors or {}, note=note,
                           closed=services.month_is_closed(entry.unit_id, entry.period),
                           action_label=services.action_label, EntryStatus=EntryStatus), status


def _back_to_queue(entry_id: int) -> str:
    target = safe_next(request.form.get("next"))
    if target:
        return target
    entry = db.session.get(Entry, entry_id)
    if entry is None:
        return url_for("verification.index")
    anchor = request.form.get("next_entry")
    return _queue_url(entry.unit.code, entry.period, entry.user_id, f"e{anchor}" if anchor else f"e{entry.id}")


@bp.route("/entri/<int:entry_id>/verifikasi", methods=["POST"])
@login_required
@page_action(back=_back_to_queue)
def verify(entry_id: int):
    entry = get_entry_for(current_user, entry_id)
    services.verify_entry(entry, current_user, expected_version=forms.version(request.form))
    flash(f"Entri {tanggal(entry.entry_date)} milik {entry.user.name} diverifikasi.", "success")
    return redirect(_back_to_queue(entry.id))


@bp.route("/entri/<int:entry_id>/kembalikan", methods=["POST"])
@login_required
@page_action(back=_back_to_queue)
def return_(entry_id: int):
    entry = get_entry_for(current_user, entry_id)
    note = request.form.get("note", "")
    try:
        services.return_entry(entry, current_user, note, expected_version=forms.version(request.form))
    except ValidationFailed as exc:
        return _render_entry(entry, errors=exc.fields, note=note, status=422)
    flash(f"Entri {tanggal(entry.entry_date)} dikembalikan ke {entry.user.name} dengan catatan.", "success")
    return redirect(_back_to_queue(entry.id))


@bp.route("/<unit_code>/<period>/asn/<int:user_id>/verifikasi-semua", methods=["POST"])
@login_required
@page_action(back=lambda unit_code, period, user_id: _queue_url(unit_code, period, user_id))
def verify_all(unit_code: str, period: str, user_id: int):
    unit = services.unit_for_viewer(current_user, unit_code)
    owner = db.session.get(User, user_id)
    if owner is None:
        abort(404)
    count = services.verify_all(owner, period, current_user)  # refuses first, then checks the month
    db.session.flush()
    today = today_for(current_user)
    q = services.queue(current_user, period, unit_id=unit.id, on_date=today, readonly_groups=True,
                       load_entries=False)
    following = q.next_waiting(user_id)
    if count:
        flash(f"{count} entri {owner.name} diverifikasi.", "success")
    else:
        flash(f"Tidak ada entri {owner.name} yang menunggu verifikasi.", "info")
    if following is None and count:
        flash("Semua entri yang dapat Anda verifikasi bulan ini sudah selesai.", "info")
    # The answer is the next ASN's queue page itself, not a redirect to it: a month of 10 ASN is verified in
    # one request per ASN (the page script puts the queue's own address back in the address bar).
    return _render_queue(q, unit, period, today, following.owner.id if following is not None else user_id)


@bp.route("/<unit_code>/<period>/tutup", methods=["POST"])
@login_required
@page_action(back=lambda unit_code, period: _queue_url(unit_code, period))
def close(unit_code: str, period: str):
    unit = services.unit_for_viewer(current_user, unit_code)
    services.close_month(unit, period, current_user)  # refuses first, then checks the month
    report = services.close_report(unit, period)
    message = f"Bulan {bulan(period)} {unit.name} ditutup; entri terkunci."
    drafts = sum(n for _, n in report.unsubmitted)
    returned = sum(n for _, n in report.returned)
    if drafts or returned:
        message += f" Tidak diajukan: {drafts} draf; masih dikembalikan: {returned} entri."
    flash(message, "success")
    return redirect(_queue_url(unit.code, period))


@bp.route("/<unit_code>/<period>/buka-kembali", methods=["GET", "POST"])
@login_required
@page_action(back=lambda unit_code, period: _queue_url(unit_code, period))
def reopen(unit_code: str, period: str):
    unit = services.unit_for_viewer(current_user, unit_code)
    today = today_for(current_user)
    services.assert_may_reopen(current_user, unit, today)
    parse_month(period)
    errors: dict[str, str] = {}
    reason = ""
    if request.method == "POST":
        reason = request.form.get("reason", "")
        try:
            services.reopen_month(unit, period, current_user, reason)
        except ValidationFailed as exc:
            errors = exc.fields
        else:
            flash(f"Bulan {bulan(period)} {unit.name} dibuka kembali.", "success")
            return redirect(_queue_url(unit.code, period))
    return render_template("verification/reopen.html", unit=unit, period=period, errors=errors, reason=reason,
                           unit_month=services.get_unit_month(unit.id, period)), 422 if errors else 200


def _report(unit_code: str, period: str) -> services.MonthReport:
    unit = services.unit_for_viewer(current_user, unit_code)
    return services.month_report(unit, period, current_user)  # refuses first, then checks the month


@bp.route("/<unit_code>/<period>/data-kinerja.xlsx")
@login_required
def export_xlsx(unit_code: str, period: str):
    report = _report(unit_code, period)
    return download(exports.month_xlsx(report), exports.XLSX_TYPE, exports.filename(report, "xlsx"))


@bp.route("/<unit_code>/<period>/data-kinerja.pdf")
@login_required
def export_pdf(unit_code: str, period: str):
    report = _report(unit_code, period)
    return download(exports.month_pdf(report), exports.PDF_TYPE, exports.filename(report, "pdf"))


@bp.route("/pantauan")
@role_required(*services.OVERSEER_ROLES)
def oversight():
    today = today_for(current_user)
    period = _period_arg(request.args.get("month"), today)
    rows = services.oversight(period, today)
    others = [o for o in services.overdue_unit_months(today) if o.period != period]
    return render_template("verification/oversight.html", rows=rows, period=period, today=today,
                           window=services.verification_window(period), others=others,
                           prev_period=previous_period(period), next_period=next_period(period))


@bp.route("/delegasi", methods=["GET", "POST"])
@role_required(*delegation.DELEGATOR_ROLES)
@page_action(back=lambda: url_for("verification.delegations"))
def delegations():
    errors: dict[str, str] = {}
    form = request.form.to_dict() if request.method == "POST" else {}
    if request.method == "POST":
        try:
            row = delegation.delegate(*forms.appointment(form), current_user, kind=form.get("kind", "Plh"),
                                      reason=form.get("reason", ""))
        except ValidationFailed as exc:
            errors = exc.fields
        else:
            flash(f"{row.kind} verifikator {row.unit.name} ditetapkan: {row.delegate.name} ({tanggal(row.start_date)} "
                  f"s.d. {tanggal(row.end_date)}).", "success")
            return redirect(url_for("verification.delegations"))
    people = list(db.session.scalars(select(User).where(User.is_active_account.is_(True))
                                     .options(selectinload(User.unit)).order_by(User.name)))
    return render_template("verification/delegations.html", rows=delegation.listing(include_revoked=True),
                           units=active_units(), people=people, errors=errors, form=form,
                           today=today_for(current_user)), 422 if errors else 200


@bp.route("/delegasi/<int:delegation_id>/cabut", methods=["POST"])
@role_required(*delegation.DELEGATOR_ROLES)
@page_action(back=lambda delegation_id: url_for("verification.delegations"))
def revoke(delegation_id: int):
    row = delegation.get(delegation_id)
    delegation.revoke(row, current_user)
    flash(f"Penunjukan {row.kind} {row.delegate.name} untuk {row.unit.name} dicabut.", "success")
    return redirect(url_for("verification.delegations"))
