"""Pages of the ASN's daily log (SOP steps 1-2): what is owed, the entry form, the month, one entry."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf

from silabu.accounts.org import today_for
from silabu.catalog.calendar import MonthCalendar
from silabu.core import audit
from silabu.core.clock import parse_period, period_of
from silabu.core.errors import NotFound, ServiceError, ValidationFailed
from silabu.entries import evidence as evidence_services
from silabu.entries import forms, services
from silabu.entries.codes import codes_for_user, find_codes
from silabu.entries.models import (
    ACTIVITY_MAX,
    OUTPUT_MAX,
    STATUS_LABELS,
    UNIT_MAX,
    Entry,
)
from silabu.evidence.processing import sanitize_filename
from silabu.extensions import db
from silabu.navigation import logs_entries, role_home
from silabu.web import page_action

bp = Blueprint("entries", __name__)

FORM_FIELDS = set(forms.ENTRY_FIELDS) | {"evidence"}
LIST_LIMIT = 300
CODE_SEARCH_LIMIT = 100
WEEKEND = "Akhir pekan"  # MonthCalendar.reason() of a plain Saturday or Sunday
# What the service worker keeps for offline use besides the page shells.
SW_ASSETS = ("css/app.css", "css/entries.css", "js/app.js", "js/entry-form.js", "manifest.webmanifest",
             "img/icon.svg", "img/home.svg", "img/plus.svg", "img/calendar.svg", "img/check.svg", "img/doc.svg",
             "img/eye.svg", "img/gear.svg")
SW_SHELLS = ("entries.home", "entries.new")
# The form carries a client_uuid issued for this render: Back must not bring a stored copy of a saved form.
NO_STORE = {"Cache-Control": "no-store"}


@bp.route("/beranda")
@login_required
def home():
    if not logs_entries(current_user):
        return render_template("entries/role_home.html", cards=role_home(current_user),
                               today=today_for(current_user))
    owed = services.owed_for(current_user)
    return render_template("entries/home.html", owed=owed, period=period_of(owed.today), cards=role_home(current_user))


@bp.route("/entri/baru", methods=["GET", "POST"])
@login_required
def new():
    services.assert_logs_entries(current_user)
    if request.method == "POST":
        return _save(None)
    values = forms.blank_values(today_for(current_user), request.args)
    return _render_form(None, values, {})


@bp.route("/entri/salin-kemarin")
@login_required
def copy_yesterday():
    """A new form filled from the latest earlier entry, dated today; a choice when that day has several."""
    services.assert_logs_entries(current_user)
    today = today_for(current_user)
    sources = services.latest_day_before(current_user, today)
    if not sources:
        flash("Belum ada entri sebelumnya untuk disalin.", "info")
        return redirect(url_for(".new"))
    if len(sources) > 1:
        return render_template("entries/copy_choose.html", sources=sources, day=sources[0].entry_date)
    source = sources[0]
    return _render_form(None, forms.form_values(services.prefill_from(source, today)), {}, source=source)


@bp.route("/entri/<int:entry_id>/pakai-lagi")
@login_required
def use_again(entry_id: int):
    source = services.get_entry_for(current_user, entry_id)
    services.assert_owner(source, current_user)
    today = today_for(current_user)
    values = forms.form_values(services.prefill_from(source, forms.parse_day(request.args.get("tanggal")) or today))
    return _render_form(None, values, {}, source=source)


@bp.route("/entri/<int:entry_id>/ubah", methods=["GET", "POST"])
@login_required
def edit(entry_id: int):
    entry = services.get_entry_for(current_user, entry_id)
    services.assert_owner(entry, current_user)
    if request.method == "POST":
        return _save(entry)
    services.assert_editable(entry)
    return _render_form(entry, forms.values_from_entry(entry), {})


@bp.route("/entri/<int:entry_id>")
@login_required
def detail(entry_id: int):
    entry = services.get_entry_for(current_user, entry_id)
    is_owner = entry.user_id == current_user.id
    locked = entry.is_locked or services.month_is_closed(entry.unit_id, entry.period)
    history = [(ev, services.action_label(ev.action)) for ev in audit.history("entries", entry.id)]
    return render_template("entries/detail.html", entry=entry, is_owner=is_owner, locked=locked,
                           editable=is_owner and entry.is_editable and not locked, history=history,
                           warnings=evidence_services.taken_at_warnings(entry))


def _back_to_entry(entry_id: int, **_: object) -> str:
    return url_for(".detail", entry_id=entry_id)


@bp.route("/entri/<int:entry_id>/hapus", methods=["POST"])
@login_required
@page_action()
def delete(entry_id: int):
    entry = services.get_entry_for(current_user, entry_id)
    period, day = entry.period, entry.entry_date
    services.delete_entry(entry, current_user)
    flash(f"Entri tanggal {_tanggal(day)} telah dihapus.", "success")
    return redirect(url_for(".month", m=period))


@bp.route("/entri/<int:entry_id>/ajukan", methods=["POST"])
@login_required
@page_action(back=_back_to_entry)
def submit(entry_id: int):
    entry = services.get_entry_for(current_user, entry_id)
    services.submit_entry(entry, current_user)
    flash("Entri diajukan ke verifikator.", "success")
    return redirect(url_for(".detail", entry_id=entry_id))


@bp.route("/entri/<int:entry_id>/tarik", methods=["POST"])
@login_required
@page_action(back=_back_to_entry)
def withdraw(entry_id: int):
    entry = services.get_entry_for(current_user, entry_id)
    services.withdraw_entry(entry, current_user)
    flash("Entri ditarik kembali menjadi draf. Ubah seperlunya lalu ajukan lagi.", "success")
    return redirect(url_for(".detail", entry_id=entry_id))


@bp.route("/entri/ajukan-semua", methods=["POST"])
@login_required
@page_action(back=lambda: url_for(".home"))
def submit_many():
    chosen = []
    for entry_id in request.form.getlist("entry_id", type=int):
        try:
            chosen.append(services.get_entry_for(current_user, entry_id))
        except NotFound:
            continue
    done, problems = services.submit_many(chosen, current_user)
    if done:
        flash(f"{done} entri diajukan ke verifikator.", "success")
    for problem in problems:
        flash(f"Belum diajukan — {problem}", "error")
    if not done and not problems:
        flash("Tidak ada draf yang dapat diajukan.", "info")
    return redirect(url_for(".home"))


@bp.route("/entri/<int:entry_id>/bukti/<int:evidence_id>/hapus", methods=["POST"])
@login_required
@page_action()
def delete_evidence(entry_id: int, evidence_id: int):
    ev = evidence_services.get_evidence_for(current_user, evidence_id)
    if ev.entry_id != entry_id:
        raise NotFound("Bukti dukung tidak ditemukan.")
    name = ev.original_name
    evidence_services.delete_evidence(ev, current_user)
    flash(f"Bukti '{name}' dihapus.", "success")
    return redirect(url_for(".edit", entry_id=entry_id))


@bp.route("/bulan")
@login_required
def month():
    today = today_for(current_user)
    period = forms.parse_month(request.args.get("m")) or period_of(today)
    year, month_no = parse_period(period)
    filters = forms.list_filters(request.args)
    month_entries = services.entries_of(current_user.id, period)
    listed = (services.entries_of(current_user.id, period, **filters) if any(filters.values()) else month_entries)
    cal = MonthCalendar(year, month_no)
    return render_template("entries/month.html", period=period, today=today, weeks=_calendar_weeks(cal, month_entries, today),
                           cal=cal, entries=listed, filters=filters, codes=codes_for_user(current_user.id)[2],
                           statuses=STATUS_LABELS, days=services.month_tally(month_entries, period, today),
                           prev_period=_shift_month(period, -1),
                           next_period=_shift_month(period, 1) if period < period_of(today) else None)


@bp.route("/entri")
@login_required
def list_entries():
    period = forms.parse_month(request.args.get("m"))
    filters = forms.list_filters(request.args)
    entries = services.entries_of(current_user.id, period, **filters)
    return render_template("entries/list.html", entries=entries[:LIST_LIMIT], total=len(entries), period=period,
                           filters=filters, codes=codes_for_user(current_user.id)[2], statuses=STATUS_LABELS,
                           limit=LIST_LIMIT)


@bp.route("/kode")
@login_required
def code_search():
    """The code finder without JavaScript: search, star, and start an entry with the chosen code."""
    q = (request.args.get("q") or "").strip()[:100]
    favourites, recent, _ = codes_for_user(current_user.id)
    codes = find_codes(q, limit=CODE_SEARCH_LIMIT)
    return render_template("entries/code_search.html", q=q, codes=codes, favourites=favourites, recent=recent,
                           favourite_ids={c.id for c in favourites}, limit=CODE_SEARCH_LIMIT)


@bp.route("/entri/csrf")
def csrf_token():
    """A fresh CSRF token for the offline outbox, which may run in a page cached in an earlier session."""
    if not current_user.is_authenticated:
        return jsonify(error={"code": "unauthorized", "message": "Anda belum masuk."}), 401
    resp = jsonify(csrf_token=generate_csrf())
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/sw.js")
def service_worker():
    """The service worker, served from the root so it may control every page."""
    static = Path(current_app.static_folder)
    source = (static / "sw.js").read_text(encoding="utf-8")
    digest = hashlib.sha256(source.encode())
    present = [name for name in SW_ASSETS if (static / name).is_file()]
    for name in present:
        digest.update((static / name).read_bytes())
    assets = [url_for("static", filename=name) for name in present]
    shells = [url_for(endpoint) for endpoint in SW_SHELLS]
    body = (source.replace('"__VERSION__"', json.dumps(digest.hexdigest()[:12]))
            .replace('["__ASSETS__"]', json.dumps(assets)).replace('["__SHELLS__"]', json.dumps(shells)))
    resp = Response(body, mimetype="application/javascript")
    resp.headers["Service-Worker-Allowed"] = "/"
    resp.headers["Cache-Control"] = "no-cache"
    return resp


def _save(entry: Entry | None):
    """Save the entry, then each chosen file, then submit if asked: a refused file never loses the entry."""
    raw = forms.entry_values(request.form)
    uploads = forms.uploaded_files(request.files)
    action = forms.submitted_action(request.form)
    removals = forms.evidence_to_remove(request.form) if entry is not None else []
    removed: list[str] = []
    try:
        if entry is None:
            entry, created = services.create_entry(current_user, raw,
                                                   client_uuid=request.form.get("client_uuid") or None,
                                                   confirm_duplicate=request.form.get("confirm_duplicate") == "1")
            if not created:
                # The same form sent twice (a double tap, a reload, Back then send): the first one saved it.
                flash("Entri ini sudah tersimpan sebelumnya.", "info")
                return redirect(url_for(".detail", entry_id=entry.id))
        else:
            services.update_entry(entry, current_user, raw)
            removed = evidence_services.remove_chosen_evidence(entry, current_user, removals)
    except services.PossibleDuplicate as exc:
        db.session.rollback()
        errors = {"duplicate": exc.message}
        if uploads:
            errors["evidence"] = "Berkas yang tadi dipilih belum terunggah: pilih lagi sebelum menyimpan."
        return _render_form(None, raw, errors, status=409, duplicate=exc.existing)
    except ValidationFailed as exc:
        db.session.rollback()
        errors = dict(exc.fields)
        if uploads:
            errors.setdefault("evidence", "Berkas yang tadi dipilih belum terunggah: pilih lagi setelah memperbaiki isian.")
        return _render_form(entry, raw, errors, status=422, removing=removals)

    file_errors = []
    for upload in uploads:
        try:
            with db.session.begin_nested():
                evidence_services.add_evidence(entry, current_user, upload.filename, upload.read())
        except ServiceError as exc:
            file_errors.append(f"{sanitize_filename(upload.filename)}: {exc.message}")
    submit_error = None
    if action == "submit" and not file_errors:
        try:
            with db.session.begin_nested():
                services.submit_entry(entry, current_user)
        except ValidationFailed as exc:
            submit_error = " ".join(exc.fields.values()) or exc.message
    warnings = list(getattr(entry, "warnings", [])) + evidence_services.taken_at_warnings(entry)
    db.session.commit()

    if file_errors or submit_error:
        flash("Entri tersimpan sebagai draf." + (" Berkas lain yang valid sudah terunggah." if file_errors else ""),
              "warning")
        errors = {"evidence": " ".join(file_errors) if file_errors else submit_error}
        return _render_form(entry, raw, errors, status=422, warnings=warnings)
    for name in removed:
        flash(f"Bukti '{name}' dihapus.", "success")
    if action == "submit":
        flash(f"Entri tanggal {_tanggal(entry.entry_date)} diajukan ke verifikator.", "success")
    else:
        flash(f"Entri tanggal {_tanggal(entry.entry_date)} tersimpan sebagai draf.", "success")
    for warning in warnings:
        flash(warning, "warning")
    if action == "submit":
        return redirect(url_for(".home"))
    return redirect(url_for(".detail", entry_id=entry.id))


def _render_form(entry: Entry | None, values: dict[str, str], errors: dict[str, str], *, status: int = 200,
                 source: Entry | None = None, warnings: list[str] | None = None, duplicate: Entry | None = None,
                 removing: list[int] | None = None):
    favourites, recent, all_codes = codes_for_user(current_user.id)
    today = today_for(current_user)
    groups = [("fav", "Favorit", favourites), ("recent", "Terakhir dipakai", recent), ("all", "Semua kode", all_codes)]
    general = {k: v for k, v in errors.items() if k not in FORM_FIELDS and k != "duplicate"}
    client_uuid = request.form.get("client_uuid") if request.method == "POST" else None
    return render_template(
        "entries/form.html", entry=entry, values=values, errors=errors, general_errors=general, groups=groups,
        favourite_ids={c.id for c in favourites}, today=today, oldest=today - timedelta(days=services.OLDEST_DAYS),
        source=source, warnings=warnings or [], client_uuid=client_uuid or _new_uuid(), duplicate=duplicate,
        removing=set(removing or []),
        limits={"activity": ACTIVITY_MAX, "output": OUTPUT_MAX, "unit": UNIT_MAX},
    ), status, NO_STORE


def _new_uuid() -> str:
    import uuid

    return str(uuid.uuid4())


def _tanggal(day: date) -> str:
    from silabu.core.formatting import tanggal

    return tanggal(day)


def _shift_month(period: str, step: int) -> str:
    year, month_no = parse_period(period)
    index = year * 12 + (month_no - 1) + step
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@dataclass
class CalendarDay:
    day: date
    kind: str  # filled | empty | off | future
    reason: str | None = None
    entries: list[Entry] = field(default_factory=list)
    is_today: bool = False

    @property
    def holiday(self) -> str | None:
        """The name of a holiday or office closure (a plain weekend is not one)."""
        return self.reason if self.reason and self.reason != WEEKEND else None


def _calendar_weeks(cal: MonthCalendar, entries: list[Entry], today: date) -> list[list[CalendarDay | None]]:
    """The month as Monday-first weeks; None pads the first and last week."""
    by_day: dict[date, list[Entry]] = {}
    for entry in sorted(entries, key=lambda e: e.id):
        by_day.setdefault(entry.entry_date, []).append(entry)
    cells: list[CalendarDay | None] = [None] * cal.first.weekday()
    for day in cal.days:
        reason = cal.reason(day)
        day_entries = by_day.get(day, [])
        if day_entries:
            kind = "filled"
        elif reason:
            kind = "off"
        elif day > today:
            kind = "future"
        else:
            kind = "empty"
        cells.append(CalendarDay(day, kind, reason, day_entries, day == today))
    cells += [None] * (-len(cells) % 7)
    return [cells[i:i + 7] for i in range(0, len(cells), 7)]
