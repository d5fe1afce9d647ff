"""The menu each person sees, by role."""
from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from sqlalchemy import func, select

from silabu.accounts.models import Role, User
from silabu.extensions import db
from silabu.pleno import services as pleno_services
from silabu.verification import services as verification_services


@dataclass
class NavItem:
    label: str
    endpoint: str
    icon: str


def nav_items(user: User) -> list[NavItem]:
    items = [NavItem("Beranda", "entries.home", "home"), NavItem("Catat", "entries.new", "plus"),
             NavItem("Bulan ini", "entries.month", "calendar")]
    if user.has_role(Role.KASUBAG, Role.SEKRETARIS) or _has_delegation(user):
        items.append(NavItem("Verifikasi", "verification.index", "check"))
    if user.has_role(*verification_services.OVERSEER_ROLES):
        items.append(NavItem("Pantauan", "verification.oversight", "eye"))
    if pleno_services.can_view(user):
        items.append(NavItem("Pleno", "pleno.index", "doc"))
    if user.has_role(Role.RENDATIN, Role.SEKRETARIS, Role.KETUA, Role.KASUBAG, Role.ADMIN):
        items.append(NavItem("LKj", "lkj.index", "doc"))
    if user.has_role(Role.ADMIN):
        items.append(NavItem("Admin", "admin.index", "gear"))
    return [i for i in items if _exists(i.endpoint)]


def _exists(endpoint: str) -> bool:
    try:
        url_for(endpoint)
        return True
    except Exception:  # noqa: BLE001 - a blueprint not built yet simply is not in the menu
        return False


def _has_delegation(user: User) -> bool:
    from silabu.accounts.access import active_delegations
    from silabu.accounts.org import today_for

    return bool(active_delegations(user, today_for(user)))


def unread_count(user: User) -> int:
    from silabu.notifications.models import Notification

    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0
