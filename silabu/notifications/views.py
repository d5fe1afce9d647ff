"""The bell: a person's notifications."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

from silabu.extensions import db
from silabu.notifications import services

bp = Blueprint("notifications", __name__, url_prefix="/pemberitahuan")


@bp.route("/")
@login_required
def index():
    items = services.recent_for(current_user)
    return render_template("notifications/index.html", items=items)


@bp.route("/<int:notification_id>/buka", methods=["POST"])
@login_required
def open_(notification_id: int):
    item = services.mark_read(current_user, notification_id)
    db.session.commit()
    return redirect(item.link or url_for("notifications.index"))


@bp.route("/baca-semua", methods=["POST"])
@login_required
def read_all():
    services.mark_all_read(current_user)
    db.session.commit()
    return redirect(url_for("notifications.index"))
