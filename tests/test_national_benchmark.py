"""Smoke check of benchmarks/national.py's loader at a tiny size (one kabupaten/kota a province), on SQLite."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_loader_fills_the_national_shape_at_a_tiny_scale(tmp_path):
    db_path = tmp_path / "national.db"
    out = tmp_path / "result.json"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SILABU_TEST_DATABASE_URL")}
    proc = subprocess.run([sys.executable, "benchmarks/national.py", "--scale", "0.01", "--database-url",
                           f"sqlite:///{db_path}", "--only", "load", "--json", str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    counts = json.loads(out.read_text())["load"]["counts"]
    # KPU RI, 38 provinces, one kabupaten/kota each; the Sekretariat and four Sub Bagian in each satker.
    assert counts["satker"] == 77
    assert counts["units"] == 77 * 5
    assert counts["users"] == 77 * 45
    con = sqlite3.connect(db_path)
    levels = dict(con.execute("SELECT level, count(*) FROM satker GROUP BY level"))
    assert levels == {"ri": 1, "provinsi": 38, "kabkota": 38}
    assert con.execute("SELECT timezone FROM satker WHERE code = '9101'").fetchone() == ("Asia/Jayapura",)
    assert con.execute("SELECT timezone FROM satker WHERE code = '5101'").fetchone() == ("Asia/Makassar",)
    # Unit codes unique across the country; every unit in its satker.
    assert con.execute("SELECT count(DISTINCT code) FROM units").fetchone() == (counts["units"],)
    assert con.execute("SELECT u.code FROM units u JOIN satker s ON s.id = u.satker_id "
                       "WHERE s.code = '3501' ORDER BY u.code").fetchall() == [
        ("HSD-3501",), ("KUL-3501",), ("RDI-3501",), ("SEK-3501",), ("TPH-3501",)]
    roles = dict(con.execute("SELECT role, count(*) FROM user_roles GROUP BY role"))
    assert roles == {"sekretaris": 77, "kasubag": 77 * 4, "asn": 77 * 40, "rendatin": 77}
    # Everyone's entries are in a Sub Bagian of their own satker, in the one loaded month.
    assert con.execute("SELECT count(*) FROM entries").fetchone() == (counts["entries"],)
    assert con.execute("SELECT count(*) FROM entries e JOIN users u ON u.id = e.user_id "
                       "WHERE u.unit_id != e.unit_id").fetchone() == (0,)
    assert con.execute("SELECT count(DISTINCT period) FROM entries").fetchone() == (1,)
    status = dict(con.execute("SELECT status, count(*) FROM entries GROUP BY status"))
    assert status["verified"] > 0.75 * counts["entries"]
    closed = dict(con.execute("SELECT is_closed, count(*) FROM unit_months GROUP BY is_closed"))
    assert closed[1] > 0.8 * (closed[1] + closed.get(0, 0))
