"""The satker tree (issue 15): KPU RI -> provinsi -> kabupaten/kota, added one by one (`create-satker`) or from
a file (`import-satker`); a bad row, a cycle, an unknown parent or a parent of the wrong level changes nothing."""
from __future__ import annotations

from sqlalchemy import func, select
from test_migrations import empty_database_url  # noqa: F401 - the fixture: a new SQLite file or PostgreSQL schema

from silabu.accounts.models import Satker
from silabu.accounts.org import default_satker, satker_timezone

HEADER = "code,name,level,parent_code,timezone,address,city\n"


def satkers(db) -> dict[str, Satker]:
    db.session.expire_all()
    return {s.code: s for s in db.session.scalars(select(Satker))}


def cli(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def write(tmp_path, text: str, name: str = "satker.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_create_satker_builds_the_tree_with_levels_and_timezones_from_the_parent(app, db, org):
    ri = cli(app, "create-satker", "--code", "00", "--name", "KPU RI", "--level", "ri")
    prov = cli(app, "create-satker", "--code", "73", "--name", "KPU Provinsi Sulawesi Selatan", "--parent", "00",
               "--timezone", "WITA")
    kab = cli(app, "create-satker", "--code", "7371", "--name", "KPU Kota Makassar", "--parent", "73",
              "--city", "Makassar")
    for result in (ri, prov, kab):
        assert result.exit_code == 0, result.output
    assert ("Satker dibuat: 7371 KPU Kota Makassar (KPU Kabupaten/Kota, di bawah 73 KPU Provinsi Sulawesi Selatan; "
            "WITA Asia/Makassar)") in kab.output
    got = satkers(db)
    assert (got["00"].level, got["00"].parent) == ("ri", None)
    assert (got["73"].level, got["73"].parent_code, got["73"].timezone) == ("provinsi", "00", "Asia/Makassar")
    assert (got["7371"].level, got["7371"].parent_code, got["7371"].timezone) == ("kabkota", "73", "Asia/Makassar")
    assert got["7371"].city == "Makassar"
    assert [c.code for c in got["73"].children] == ["7371"]
    # The rest of the application still serves the first satker, in its own time.
    assert default_satker().code == "3319" and satker_timezone() == "Asia/Jakarta"


def test_create_satker_refuses_what_does_not_fit_the_tree(app, db, org):
    cli(app, "create-satker", "--code", "00", "--name", "KPU RI", "--level", "ri")
    cases = [
        (["--code", "3320", "--name", "KPU Kabupaten Jepara", "--parent", "33"], "satker induk 33 tidak dikenal"),
        (["--code", "3320", "--name", "KPU Kabupaten Jepara", "--timezone", "GMT+7"],
         "zona waktu 'GMT+7' tidak dikenal: isi WIB, WITA atau WIT"),
        (["--code", "3320", "--name", "KPU Kabupaten Jepara", "--parent", "3319"],
         "KPU Kabupaten/Kota harus berinduk ke KPU Provinsi, sedangkan 3319 adalah KPU Kabupaten/Kota"),
        (["--code", "3320", "--name", "KPU Kabupaten Jepara", "--parent", "00", "--level", "kabkota"],
         "harus berinduk ke KPU Provinsi, sedangkan 00 adalah KPU RI"),
        (["--code", "01", "--name", "KPU RI kedua", "--parent", "00", "--level", "ri"],
         "KPU RI tidak berinduk ke satker lain"),
        (["--code", "3320", "--name", "KPU Kabupaten Jepara", "--level", "kecamatan"], "tingkat 'kecamatan' tidak dikenal"),
        (["--code", "3319", "--name", "KPU Kabupaten Kudus"], "kode satker 3319 sudah dipakai"),
        (["--code", "33 19", "--name", "Spasi"], "kode satker '33 19' tidak valid"),
    ]
    for args, message in cases:
        result = cli(app, "create-satker", *args)
        assert result.exit_code == 1, (args, result.output)
        assert message in result.output, (args, result.output)
    assert sorted(satkers(db)) == ["00", "3319"]


def test_import_satker_loads_a_province_and_its_children_in_any_order(app, db, org, tmp_path):
    path = write(tmp_path, HEADER
                 + "3320,KPU Kabupaten Jepara,kabkota,33,WIB,Jl. Kartini 1,Jepara\n"
                 + "3319,KPU Kabupaten Kudus,kabupaten,33,WIB,\"Jl. Ganesha No. 4, Kudus\",Kudus\n"
                 + "33,KPU Provinsi Jawa Tengah,provinsi,,WIB,Jl. Veteran 1A,Semarang\n"
                 + "3374,KPU Kota Semarang,,33,,,Semarang\n")
    result = cli(app, "import-satker", path)
    assert result.exit_code == 0, result.output
    assert "3 satker dibuat, 1 diperbarui." in result.output
    got = satkers(db)
    assert {c: (s.level, s.parent_code) for c, s in got.items()} == {
        "33": ("provinsi", None), "3319": ("kabkota", "33"), "3320": ("kabkota", "33"), "3374": ("kabkota", "33")}
    assert got["3374"].timezone == "Asia/Jakarta"  # from its parent
    assert got["3319"].city == "Kudus" and got["3319"].id == org["SEK"].satker.id  # the same row, updated

    # Re-import: changes what the file says, creates nothing twice; a column left out keeps its values.
    again = write(tmp_path, "code,name,timezone\n3320,KPU Kabupaten Jepara (baru),WIT\n", "ubah.csv")
    result = cli(app, "import-satker", again)
    assert result.exit_code == 0, result.output
    assert "0 satker dibuat, 1 diperbarui." in result.output
    got = satkers(db)
    assert len(got) == 4
    jepara = got["3320"]
    assert (jepara.name, jepara.timezone, jepara.parent_code, jepara.address) == (
        "KPU Kabupaten Jepara (baru)", "Asia/Jayapura", "33", "Jl. Kartini 1")


def test_a_file_with_any_bad_row_changes_nothing_and_names_every_problem(app, db, org, tmp_path):
    cli(app, "create-satker", "--code", "33", "--name", "KPU Provinsi Jawa Tengah", "--level", "provinsi")
    before = {c: (s.name, s.level, s.parent_code, s.timezone) for c, s in satkers(db).items()}
    path = write(tmp_path, HEADER
                 + "3320,KPU Kabupaten Jepara,kabkota,33,WIB,,\n"          # 2: good, but not written
                 + "3321,KPU Kabupaten Demak,kabkota,34,WIB,,\n"           # 3: unknown parent
                 + "3322,KPU Kabupaten Grobogan,kabkota,33,UTC+7,,\n"      # 4: bad timezone
                 + "3323,KPU Kabupaten Blora,kabkota,3320,WIB,,\n"         # 5: a kabkota under a kabkota
                 + "61,KPU Provinsi Kalimantan Barat,provinsi,62,WIB,,\n"  # 6: cycle 61 -> 62 -> 61
                 + "62,KPU Provinsi Kalimantan Tengah,provinsi,61,WIB,,\n"  # 7
                 + "3324,,kabkota,33,WIB,,\n"                              # 8: no name
                 + "3320,KPU Kabupaten Jepara lagi,kabkota,33,WIB,,\n"     # 9: twice in the file
                 + "3325,KPU Kabupaten Rembang,kota madya,33,WIB,,\n")     # 10: unknown level
    result = cli(app, "import-satker", path)
    assert result.exit_code == 2
    out = result.output
    assert "tidak ada satker yang diubah" in out
    expected = {
        3: "satker induk 34 tidak dikenal",
        4: "zona waktu 'UTC+7' tidak dikenal",
        5: "KPU Kabupaten/Kota harus berinduk ke KPU Provinsi, sedangkan 3320 adalah KPU Kabupaten/Kota",
        6: "satker induk membentuk lingkaran: 61 → 62 → 61",
        7: "satker induk membentuk lingkaran: 62 → 61 → 62",
        8: "nama satker wajib diisi",
        9: "kode 3320 sudah ada di baris 2",
        10: "tingkat 'kota madya' tidak dikenal",
    }
    for line, message in expected.items():
        assert f"baris {line}: {message}" in out, (line, out)
    assert satkers(db).keys() == before.keys()

    # With the row-level problems fixed, the tree's own problems are named, and still nothing changes.
    path = write(tmp_path, HEADER
                 + "3320,KPU Kabupaten Jepara,kabkota,33,WIB,,\n"
                 + "3323,KPU Kabupaten Blora,kabkota,3320,WIB,,\n"
                 + "61,KPU Provinsi Kalimantan Barat,provinsi,62,WIB,,\n"
                 + "62,KPU Provinsi Kalimantan Tengah,provinsi,61,WIB,,\n"
                 + "63,KPU Provinsi Kalimantan Selatan,provinsi,63,WITA,,\n", "pohon.csv")
    result = cli(app, "import-satker", path)
    assert result.exit_code == 2
    out = result.output
    assert ("baris 3: KPU Kabupaten/Kota harus berinduk ke KPU Provinsi, sedangkan 3320 adalah KPU Kabupaten/Kota"
            in out), out
    assert "baris 4: satker induk membentuk lingkaran: 61 → 62 → 61" in out, out
    assert "baris 5: satker induk membentuk lingkaran: 62 → 61 → 62" in out, out
    assert "baris 6: satker tidak dapat menjadi induk dirinya sendiri" in out, out
    assert {c: (s.name, s.level, s.parent_code, s.timezone) for c, s in satkers(db).items()} == before


def test_a_level_change_that_would_strand_a_stored_child_is_refused(app, db, org, tmp_path):
    cli(app, "create-satker", "--code", "33", "--name", "KPU Provinsi Jawa Tengah", "--level", "provinsi")
    cli(app, "create-satker", "--code", "3320", "--name", "KPU Kabupaten Jepara", "--parent", "33")
    path = write(tmp_path, "code,name,level\n33,KPU Kabupaten Jawa Tengah,kabkota\n")
    result = cli(app, "import-satker", path)
    assert result.exit_code == 2
    assert ("baris 2: satker 3320 di bawahnya: KPU Kabupaten/Kota harus berinduk ke KPU Provinsi, sedangkan 33 "
            "adalah KPU Kabupaten/Kota") in result.output
    assert satkers(db)["33"].level == "provinsi"


def test_import_satker_reads_xlsx_and_refuses_a_file_without_codes(app, db, org, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["code", "name", "level", "parent_code", "timezone"])
    ws.append(["94", "KPU Provinsi Papua", "provinsi", None, "WIT"])
    ws.append(["9471", "KPU Kota Jayapura", None, "94", None])
    wb.save(tmp_path / "satker.xlsx")
    result = cli(app, "import-satker", str(tmp_path / "satker.xlsx"))
    assert result.exit_code == 0, result.output
    assert satkers(db)["9471"].timezone == "Asia/Jayapura"
    result = cli(app, "import-satker", write(tmp_path, "nama,kota\nKPU X,Y\n", "salah.csv"))
    assert result.exit_code == 2 and "Kolom wajib tidak ditemukan: code, name" in result.output
    assert db.session.scalar(select(func.count()).select_from(Satker)) == 3


def test_the_migration_turns_parent_codes_into_links_and_kabupaten_into_kabkota(empty_database_url, tmp_path):
    """An installation from before the tree: a parent code naming a satker it holds becomes the link."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from silabu import create_app
    from silabu.extensions import db as _db

    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "SECRET_KEY": "x",
                      "TESTING": True, "UPLOAD_DIR": str(tmp_path)})
    with app.app_context():
        upgrade(revision="0005")  # from several revisions back, so the earlier ones run first in one upgrade
        with _db.engine.begin() as conn:
            conn.execute(text("INSERT INTO satker (id, code, name, level, parent_code, timezone, address, city) VALUES "
                              "(1, '3319', 'KPU Kabupaten Kudus', 'kabupaten', '33', 'Asia/Jakarta', '', ''), "
                              "(2, '33', 'KPU Provinsi Jawa Tengah', 'provinsi', NULL, 'Asia/Jakarta', '', ''), "
                              "(3, '3374', 'KPU Kota Semarang', 'kota', '99', 'Asia/Jakarta', '', '')"))
            conn.execute(text("INSERT INTO units (id, satker_id, code, name, requires_evidence, is_active) "
                              "VALUES (1, 1, 'SEK', 'Sekretariat', false, true)"))
        upgrade(revision="0009")
        with _db.engine.connect() as conn:
            rows = conn.execute(text("SELECT code, level, parent_id FROM satker ORDER BY id")).all()
        assert [tuple(r) for r in rows] == [("3319", "kabkota", 2), ("33", "provinsi", None), ("3374", "kabkota", None)]
        downgrade(revision="0008")
        with _db.engine.connect() as conn:
            rows = conn.execute(text("SELECT code, level, parent_code FROM satker ORDER BY id")).all()
        assert [tuple(r) for r in rows] == [("3319", "kabupaten", "33"), ("33", "provinsi", None),
                                            ("3374", "kabupaten", None)]
        _db.engine.dispose()
