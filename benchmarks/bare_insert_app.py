"""The yardstick of benchmarks/create_entry.py: a bare Flask + Flask-SQLAlchemy route doing one insert and one
commit per request, served by the same gunicorn settings as SILABU. What a create could cost at the least."""
from __future__ import annotations

import os
from datetime import UTC, datetime

from flask import Flask, jsonify, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class Row(db.Model):
    __tablename__ = "bare_rows"
    id: Mapped[int] = mapped_column(primary_key=True)
    activity: Mapped[str] = mapped_column(Text)
    output: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def create_app() -> Flask:
    app = Flask(__name__)
    url = os.environ["DATABASE_URL"]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    if url.startswith("sqlite"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30}}
    db.init_app(app)
    with app.app_context():
        db.create_all()
        if url.startswith("sqlite"):
            with db.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA journal_mode=WAL")

    @app.post("/api/v1/entries")
    def insert():
        data = request.get_json()
        row = Row(activity=data["activity"], output=data["output"], created_at=datetime.now(UTC))
        db.session.add(row)
        db.session.flush()
        row_id = row.id
        db.session.commit()
        return jsonify(id=row_id), 201

    @app.post("/api/v1/auth/token")
    def token():
        return jsonify(token="bare"), 200

    @app.get("/masuk")
    def ping():
        return "ok"

    return app


app = create_app()
