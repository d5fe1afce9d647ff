"""The menu each person sees, by role."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from silabu.accounts.access import scope_for
from silabu.accounts.models import Role, User
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
    items = [NavItem("Beranda", "entries.home", "home"), NavItem("Catat", "entries.new", "plus"),
             NavItem("Bulan ini", "entries.month", "calendar")]
    # Each item asks the rule its pages ask: the menu never has its own idea of who may open what.
    if scope_for(user).opens_queue:
        items.append(NavItem("Verifikasi", "verification.index", "check"))
    if verification_services.may_oversee(user):
        items.append(NavItem("Pantauan", "verification.oversight", "eye"))
    if pleno_services.can_view(user):
        items.append(NavItem("Pleno", "pleno.index", "doc"))
    if lkj_services.can_view(user):
        items.append(NavItem("LKj", "lkj.index", "doc"))
    if user.has_role(Role.ADMIN):
        items.append(NavItem("Admin", "admin.index", "gear"))
    return items


def unread_count(user: User) -> int:
    from silabu.notifications.models import Notification

    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0
