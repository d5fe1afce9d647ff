"""The output codes an ASN picks from: favourites, the ones they used lately, then every usable code."""
from __future__ import annotations

from sqlalchemy import func, select

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
