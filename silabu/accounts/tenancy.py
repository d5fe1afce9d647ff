"""Which satker a request, a job or a command acts for, and the one place that keeps it to that satker's rows.

One installation can hold many satker (KPU RI, its provinsi, their kabupaten/kota). Everything a person sees or
changes belongs to one of them: units and their people, entries and unit-months, the output-code catalogue, the
office calendar's additions, indicators (Perjanjian Kinerja), budget lines, pleno packets, LKj reports and the audit
trail. Rather than trusting each of several hundred queries to remember a ``WHERE satker_id = ...``, the scope is
applied here, to every ORM SELECT the session runs (SQLAlchemy's ``with_loader_criteria``), and new rows get the
scope's satker when they name none:

- a page or API call runs in the signed-in user's satker (``enter_request_scope``); a province user who reads a
  child's pages or API names it with ``?satker=CODE`` (read only: the child's own people act on its data);
- a job runs once per satker, inside ``satker_scope(satker)``; a command takes ``--satker CODE``;
- outside any scope (the login form finding an account by NIP, the migration, a one-satker installation's command
  line) nothing is filtered.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from flask import g, has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlalchemy.sql.util import find_tables

from silabu.accounts.models import Role, Satker, Unit, User
from silabu.core.errors import Forbidden, NotFound, ValidationFailed
from silabu.extensions import db

# Roles of a provinsi (or KPU RI) that may read their children's pages: progress, final packets, LKj.
OVERSEER_ROLES = (Role.SEKRETARIS, Role.RENDATIN, Role.INSPEKTORAT, Role.ADMIN, Role.KETUA)

_G_KEY = "silabu_satker_ids"


def scope_ids() -> frozenset[int] | None:
    """The satker ids the current work is limited to, or None (not limited)."""
    if not has_app_context():
        return None
    return g.get(_G_KEY)


@contextmanager
def _scope(ids: frozenset[int] | None) -> Iterator[None]:
    previous = g.get(_G_KEY)
    setattr(g, _G_KEY, ids)
    try:
        yield
    finally:
        setattr(g, _G_KEY, previous)


def satker_scope(*satkers: Satker | int):
    """Run the body limited to ``satkers`` (restoring the previous scope after)."""
    return _scope(frozenset(s if isinstance(s, int) else s.id for s in satkers))


def unscoped():
    """Run the body over every satker (the scheduler finding whose jobs to run, the national benchmark)."""
    return _scope(None)


def current_satker() -> Satker | None:
    """The satker the current work is for: the scope's one satker, else the installation's first (one-satker
    installations, the command line without ``--satker``)."""
    ids = scope_ids()
    if ids and len(ids) == 1:
        return db.session.get(Satker, next(iter(ids)))
    from silabu.accounts.org import default_satker

    return default_satker()


def current_satker_id() -> int | None:
    """The id of ``current_satker()``: what a lookup by a code every satker has (a unit's, an output code's) names,
    so it never picks another satker's row even where no scope is set."""
    ids = scope_ids()
    if ids and len(ids) == 1:
        return next(iter(ids))
    satker = current_satker()
    return satker.id if satker is not None else None


def satker_by_code(code: str) -> Satker:
    satker = db.session.scalar(select(Satker).where(Satker.code == code.strip().upper()))
    if satker is None:
        raise NotFound(f"Satker dengan kode {code} tidak ditemukan.")
    return satker


def descendant_ids(satker: Satker) -> set[int]:
    """Ids of the satker under ``satker`` (children, grandchildren), not itself."""
    from silabu.core.trees import descendants

    return descendants(db.session.execute(select(Satker.id, Satker.parent_id)), satker.id)


def serving_satkers() -> list[Satker]:
    """The satker that have active units, whose jobs the scheduler runs (first the installation's first)."""
    with unscoped():
        has_units = select(Unit.id).where(Unit.satker_id == Satker.id, Unit.is_active.is_(True)).exists()
        return list(db.session.scalars(select(Satker).where(has_units).order_by(Satker.id)))


def children_of(satker: Satker) -> list[Satker]:
    return list(db.session.scalars(select(Satker).where(Satker.parent_id == satker.id).order_by(Satker.code)))


def may_oversee(user: User, satker: Satker) -> bool:
    """Whether ``user`` (of a provinsi or KPU RI) may read ``satker``'s pages: it lies under the user's satker and
    the user holds an overseeing role."""
    own = user.unit.satker
    return (satker.id != own.id and user.has_role(*OVERSEER_ROLES)
            and satker.id in descendant_ids(own))


def satker_for_command(code: str | None) -> Satker:
    """The satker a command acts for: ``--satker CODE``, else the installation's first (its home satker: the
    fixed command lines of API.md name no satker, and a one-satker installation never needs to)."""
    if code:
        return satker_by_code(code)
    from silabu.accounts.org import default_satker

    satker = default_satker()
    if satker is None:
        raise ValidationFailed({"satker": "Belum ada satker; buat dulu dengan flask create-satker."})
    return satker


def several_satkers() -> bool:
    return len(list(db.session.scalars(select(Satker.id).limit(2)))) > 1


def enter_request_scope(user: User, requested_code: str | None, *, writing: bool) -> Satker:
    """Limit this request to the user's satker, or to the child satker a province user names (read only)."""
    satker = user.unit.satker
    if requested_code and requested_code.strip().upper() != satker.code:
        try:
            child = satker_by_code(requested_code)
        except NotFound:
            raise NotFound(f"Satker {requested_code} tidak ditemukan.") from None
        if not may_oversee(user, child):
            raise Forbidden("Satker itu tidak berada di bawah satker Anda, atau peran Anda tidak dapat melihatnya.")
        if writing:
            raise Forbidden("Data satker di bawah Anda hanya dapat dilihat; perubahan dilakukan oleh satker itu sendiri.")
        satker = child
    # A test (or a command) may run requests inside its own app context, whose ``g`` the request then shares:
    # keep what was there, for ``leave_request_scope`` to put back.
    g.silabu_scope_before_request = (g.get(_G_KEY), g.get("silabu_satker"))
    setattr(g, _G_KEY, frozenset({satker.id}))
    g.silabu_satker = satker
    return satker


def reading_other_satker(user: User | None) -> Satker | None:
    """The child satker ``user`` is reading in this request (``?satker=CODE``, read only), or None."""
    viewing = g.get("silabu_satker") if has_app_context() else None
    if viewing is None or user is None or not getattr(user, "is_authenticated", False):
        return None
    return viewing if viewing.id != user.unit.satker_id else None


def leave_request_scope() -> None:
    """At the end of a request: the scope as it was before it (nothing, in a served request)."""
    saved = g.pop("silabu_scope_before_request", None)
    if saved is not None:
        setattr(g, _G_KEY, saved[0])
        g.silabu_satker = saved[1]


# -- the criteria ---------------------------------------------------------------------------------------------------

def _unit_ids(ids: Iterable[int]):
    return select(Unit.id).where(Unit.satker_id.in_(list(ids))).scalar_subquery()


@lru_cache(maxsize=1024)
def _criteria(ids: frozenset[int]) -> dict[str, Any]:
    """The scope's criteria by the table each limits, built once per set of satker (immutable: every statement
    of the scope reuses them)."""
    from silabu.accounts.models import Delegation
    from silabu.catalog.models import Indicator, OfficeDay, OutputCode
    from silabu.core.audit import AuditEvent
    from silabu.entries.models import Entry, UnitMonth
    from silabu.lkj.models import (
        BudgetLine,
        IndicatorOutputCode,
        IndicatorTarget,
        LkjDocument,
        LkjFile,
        LkjReport,
        LkjReviewStep,
        ManualRealisasi,
    )
    from silabu.ops.models import BackgroundTask
    from silabu.pleno.models import Packet, PacketFile

    wanted = sorted(ids)
    direct = [Unit, OutputCode, OfficeDay, Indicator, Packet, LkjReport, AuditEvent]
    by_unit = [User, Entry, UnitMonth, Delegation]
    opts = [with_loader_criteria(model, model.satker_id.in_(wanted), include_aliases=True) for model in direct]
    opts += [with_loader_criteria(model, model.unit_id.in_(_unit_ids(wanted)), include_aliases=True)
             for model in by_unit]
    codes = select(OutputCode.id).where(OutputCode.satker_id.in_(wanted)).scalar_subquery()
    opts.append(with_loader_criteria(BudgetLine, BudgetLine.output_code_id.in_(codes), include_aliases=True))
    # What hangs off an indicator, an LKj report or a packet, for a lookup by its own id (a manual realisasi's
    # evidence, an LKj file): the parent's satker decides.
    indicators = select(Indicator.id).where(Indicator.satker_id.in_(wanted)).scalar_subquery()
    reports = select(LkjReport.id).where(LkjReport.satker_id.in_(wanted)).scalar_subquery()
    packets = select(Packet.id).where(Packet.satker_id.in_(wanted)).scalar_subquery()
    opts += [with_loader_criteria(model, model.indicator_id.in_(indicators), include_aliases=True)
             for model in (ManualRealisasi, IndicatorTarget, IndicatorOutputCode)]
    opts += [with_loader_criteria(model, model.report_id.in_(reports), include_aliases=True)
             for model in (LkjDocument, LkjReviewStep, LkjFile)]
    opts.append(with_loader_criteria(PacketFile, PacketFile.packet_id.in_(packets), include_aliases=True))
    opts.append(with_loader_criteria(BackgroundTask, BackgroundTask.satker_id.in_(wanted), include_aliases=True))
    return {opt.entity.mapper.local_table.name: opt for opt in opts}


@event.listens_for(Session, "do_orm_execute")
def _limit_to_scope(state: ORMExecuteState) -> None:
    if not state.is_select or state.is_column_load or state.is_relationship_load:
        return
    ids = scope_ids()
    if not ids or state.execution_options.get("all_satkers"):
        return
    # Only the criteria of the tables the statement reads (subqueries included): attaching all twenty to every
    # statement cost a create 30-70 % of its time in building the statement's cache key.
    tables = set()
    for t in find_tables(state.statement, check_columns=True, include_aliases=True):
        tables.add(getattr(t, "name", None))
        tables.add(getattr(getattr(t, "element", None), "name", None))
    by_table = _criteria(ids)
    wanted = [opt for name, opt in by_table.items() if name in tables]
    if wanted:
        state.statement = state.statement.options(*wanted)


@event.listens_for(Session, "transient_to_pending")
def _stamp_new_row(session: Session, obj) -> None:
    """A new row of a satker's table that names no satker belongs to the scope's (or the installation's first),
    decided when it is added — not at a later flush, which may happen after the scope is gone."""
    if isinstance(obj, Unit) or not hasattr(type(obj), "satker_id") or getattr(obj, "satker_id", 1) is not None:
        return
    with session.no_autoflush:
        obj.satker_id = current_satker_id()
