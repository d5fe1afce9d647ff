"""Pages of the catalog domain used by the ASN: finding an output code and marking favourites."""
from __future__ import annotations


from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from silabu.catalog.services import codes_for_user, search_codes, toggle_favorite
from silabu.extensions import db
from silabu.web import safe_next

bp = Blueprint("catalog", __name__)

SEARCH_LIMIT = 100


@bp.route("/kode")
@login_required
def search():
    """The code finder without JavaScript: search, star, and start an entry with the chosen code."""
    q = (request.args.get("q") or "").strip()[:100]
    favourites, recent, _ = codes_for_user(current_user.id)
    codes = search_codes(q, limit=SEARCH_LIMIT)
    return render_template("entries/code_search.html", q=q, codes=codes, favourites=favourites, recent=recent,
                           favourite_ids={c.id for c in favourites}, limit=SEARCH_LIMIT)


@bp.route("/kode/<int:code_id>/favorit", methods=["POST"], endpoint="favorite")
@login_required
def toggle_favorite_view(code_id: int):
    is_favourite = toggle_favorite(current_user.id, code_id)
    db.session.commit()
    if request.accept_mimetypes.best == "application/json" or request.is_json:
        return jsonify(code_id=code_id, favorite=is_favourite)
    flash("Kode ditambahkan ke favorit." if is_favourite else "Kode dihapus dari favorit.", "success")
    return redirect(safe_next(request.form.get("next")) or url_for(".search"))


