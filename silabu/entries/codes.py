"""The output codes an ASN picks from: favourites, the ones they used lately, then every usable code."""
from __future__ import annotations

import re

from sqlalchemy import and_, case, exists, func, or_, select

from silabu.catalog.models import FavoriteCode, OutputCode
from silabu.catalog.services import usable_codes_query
from silabu.entries.models import Entry
from silabu.extensions import db

RECENT = 8


def codes_for_user(user_id: int, limit_recent: int = RECENT) -> tuple[list[OutputCode], list[OutputCode], list[OutputCode]]:
    """(favourites, recently used, all usable) — the entry form lists them in that order."""
    favourites = list(db.session.scalars(usable_codes_query().join(FavoriteCode, FavoriteCode.output_code_id == OutputCode.id)
                                         .where(FavoriteCode.user_id == user_id).order_by(OutputCode.code)))
    recent_ids = db.session.execute(
        select(Entry.output_code_id, func.max(Entry.id).label("last")).where(Entry.user_id == user_id)
        .group_by(Entry.output_code_id).order_by(func.max(Entry.id).desc()).limit(limit_recent)).all()
    by_id = {c.id: c for c in db.session.scalars(usable_codes_query().order_by(OutputCode.code))}
    recent = [by_id[r[0]] for r in recent_ids if r[0] in by_id]
    return favourites, recent, list(by_id.values())


def search_words(q: str | None) -> list[str]:
    """The words of a code search, lower case, without punctuation: "Laporan, BMN!" -> ["laporan", "bmn"]."""
    return re.findall(r"[0-9a-z]+", (q or "").lower())[:8]


def find_codes(q: str | None, limit: int = 50) -> list[OutputCode]:
    """Usable codes whose code or name holds every word of ``q`` in any order, and codes under which someone logged
    an activity holding every word ("rapat", "SPM"); the first kind first. Only codes are returned, never entries."""
    words = search_words(q)
    query = usable_codes_query()
    if not words:
        return list(db.session.scalars(query.order_by(OutputCode.code).limit(limit)))
    by_name = and_(*(or_(func.lower(OutputCode.code).like(f"%{w}%"), func.lower(OutputCode.name).like(f"%{w}%"))
                     for w in words))
    by_activity = exists().where(Entry.output_code_id == OutputCode.id,
                                 *(func.lower(Entry.activity).like(f"%{w}%") for w in words))
    return list(db.session.scalars(query.where(or_(by_name, by_activity))
                                   .order_by(case((by_name, 0), else_=1), OutputCode.code).limit(limit)))
