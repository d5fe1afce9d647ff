"""The catalog's one page action for the ASN: marking an output code as a favourite."""
from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, request, url_for
from flask_login import current_user, login_required

from silabu.catalog.services import toggle_favorite
from silabu.extensions import db
from silabu.web import safe_next

bp = Blueprint("catalog", __name__)

@bp.route("/kode/<int:code_id>/favorit", methods=["POST"], endpoint="favorite")
@login_required
def toggle_favorite_view(code_id: int):
    is_favourite = toggle_favorite(current_user.id, code_id)
    db.session.commit()
    if request.accept_mimetypes.best == "application/json" or request.is_json:
        return jsonify(code_id=code_id, favorite=is_favourite)
    flash("Kode ditambahkan ke favorit." if is_favourite else "Kode dihapus dari favorit.", "success")
    return redirect(safe_next(request.form.get("next")) or url_for("entries.code_search"))


