"""Login wiring: session users (cookie) and API users (Bearer token) through Flask-Login."""
from __future__ import annotations

from flask import Flask, g, jsonify, redirect, request, session, url_for
from flask_login import current_user

from silabu.accounts import sessions
from silabu.accounts.models import User
from silabu.core.parsing import int_or_none
from silabu.extensions import login_manager


def init_login(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Silakan masuk terlebih dahulu."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        # Only a session the server still knows opens a page (``accounts.sessions``); the unit and its satker come
        # along in the same query: every page asks for "today" in the satker's timezone.
        uid = int_or_none(user_id, minimum=1)
        return sessions.user_for(uid, session.get(sessions.COOKIE_KEY)) if uid else None

    @login_manager.request_loader
    def load_user_from_request(req) -> User | None:
        header = req.headers.get("Authorization", "")
        if not header.lower().startswith("bearer "):
            return None
        from silabu.accounts.tokens import user_for_token

        user = user_for_token(header[7:].strip())
        if user is not None:
            g.auth_via_token = True
        return user

    @login_manager.unauthorized_handler
    def unauthorized():
        if request.path.startswith("/api/"):
            return jsonify(error={"code": "unauthorized", "message": "Anda belum masuk atau token tidak berlaku."}), 401
        return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))


def authenticated_by_token() -> bool:
    return bool(getattr(g, "auth_via_token", False)) and current_user.is_authenticated
