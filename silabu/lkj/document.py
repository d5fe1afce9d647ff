"""The LKj document: one list of elements built from a version's frozen figures and narrative, written out
twice — as DOCX (python-docx; the team lays it out further in Word/LibreOffice) and as PDF (reportlab) with the
verification code (QR and short code) on the cover, in every footer and on the last page.

Chapters as KPU practises PermenPANRB 53/2014: Kata Pengantar, Ringkasan Eksekutif, Bab I Pendahuluan,
Bab II Perencanaan Kinerja, Bab III Akuntabilitas Kinerja (A. Capaian Kinerja Organisasi, B. Realisasi
Anggaran), Bab IV Penutup, Lampiran (Perjanjian Kinerja, data dukung, tren bulanan).
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping, Sequence
from xml.sax.saxutils import escape

from markupsafe import Markup

from silabu.core.formatting import MONTHS, angka, bulan, tanggal

ROMAN = ["I", "II", "III", "IV"]
DASH = "–"


# ---- narrative text: paragraphs, **bold**, "- " bullets -------------------------------------------------------

@dataclass
class Block:
    kind: str  # "para" | "bullet"
    runs: list[tuple[str, bool]]  # (text, bold)

    @property
    def text(self) -> str:
        return "".join(t for t, _ in self.runs)


def _runs(text: str) -> list[tuple[str, bool]]:
    parts = text.split("**")
    if len(parts) % 2 == 0:  # an unmatched ** stays as typed
        parts = parts[:-2] + [parts[-2] + "**" + parts[-1]]
    return [(part, i % 2 == 1) for i, part in enumerate(parts) if part]


def parse_narrative(text: str | None) -> list[Block]:
    """Blank lines separate paragraphs; lines starting with '- ' are bullets; **text** is bold."""
    blocks: list[Block] = []
    buffer: list[str] = []

    def flush() -> None:
        if buffer:
            blocks.append(Block("para", _runs(" ".join(buffer))))
            buffer.clear()

    for raw in (text or "").replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if not line:
            flush()
        elif line.startswith("- ") or line == "-":
            flush()
            blocks.append(Block("bullet", _runs(line[2:].strip())))
        else:
            buffer.append(line)
    flush()
    return [b for b in blocks if b.runs or b.kind == "para"]


def narrative_html(text: str | None) -> Markup:
    """The same simple formatting as HTML for the pages (escaped; no user markup passes through)."""
    out: list[str] = []
    in_list = False
    for block in parse_narrative(text):
        inner = "".join(f"<strong>{Markup.escape(t)}</strong>" if bold else str(Markup.escape(t))
                        for t, bold in block.runs)
        if block.kind == "bullet":
            if not in_list:
                out.append("<ul>")
                in_list = True
            out.append(f"<li>{inner}</li>")
        else:
            if in_list:
                out.append("</ul>")
                in_list = False
            out.append(f"<p>{inner}</p>")
    if in_list:
        out.append("</ul>")
    return Markup("".join(out))


# ---- the element model ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DocumentMeta:
    version: int | None
    code: str | None  # as printed: ABCD-EFGH
    url: str | None
    status_label: str
    compiled_at: datetime


@dataclass
class Cover:
    lines: list[str]
    subject: str
    year: int
    place: str


@dataclass
class Heading:
    level: int  # 1 chapter, 2 section, 3 sub-section
    text: str
    toc: bool = True


@dataclass
class Text:
    blocks: list[Block]
    italic: bool = False


@dataclass
class TableEl:
    caption: str
    header: list[str]
    rows: list[list[str]]
    widths: list[float]
    align: str = ""  # one letter per column: l, r, c
    small: bool = False
    group_column: int | None = None  # merge repeated values of this column vertically
    number: int = 0


@dataclass
class PageBreak:
    pass


@dataclass
class Contents:
    kind: str  # "toc" | "tables"


@dataclass
class Signature:
    place_date: str
    label: str
    name: str
    nip: str


@dataclass
class Verification:
    code: str | None
    url: str | None
    status_label: str
    compiled_at: datetime


Element = Cover | Heading | Text | TableEl | PageBreak | Contents | Signature | Verification


def _d(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def fmt_number(value: Any) -> str:
    number = _d(value)
    return DASH if number is None else angka(number)


def fmt_capaian(value: Any) -> str:
    number = _d(value)
    return DASH if number is None else angka(number)


def fmt_pct(value: Any) -> str:
    number = _d(value)
    return DASH if number is None else f"{angka(number)}%"


def _para(text: str) -> Block:
    return Block("para", _runs(text))


def _text(*paragraphs: str) -> Text:
    return Text([_para(p) for p in paragraphs if p])


def _narrative(narrative: Mapping[str, str], key: str, default: Sequence[Block] | str | None = None) -> Text:
    written = (narrative.get(key) or "").strip()
    if written:
        return Text(parse_narrative(written))
    if isinstance(default, str):
        return Text(parse_narrative(default))
    return Text(list(default or []))


def place_of(snapshot: Mapping[str, Any]) -> str:
    satker = snapshot.get("satker") or {}
    if satker.get("city"):
        return satker["city"]
    name = satker.get("name") or ""
    for prefix in ("KPU Kabupaten ", "KPU Kota ", "KPU Provinsi ", "Komisi Pemilihan Umum Kabupaten ",
                   "Komisi Pemilihan Umum Kota ", "Komisi Pemilihan Umum Provinsi "):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def _kategori_cell(row: Mapping[str, Any]) -> str:
    if row.get("capaian") is None:
        return f"Tidak dapat diukur: {row.get('reason') or 'data belum tersedia.'}"
    return row.get("kategori") or DASH


def _polarity_label(value: str) -> str:
    return "makin rendah makin baik" if value == "-" else "makin tinggi makin baik"


def _consolidation_label(value: str) -> str:
    return {"sum": "dijumlahkan", "last": "nilai terakhir", "avg": "rata-rata"}.get(value, value)


def build_elements(snapshot: Mapping[str, Any], narrative: Mapping[str, str], meta: DocumentMeta) -> list[Element]:
    """The whole document, in order, from frozen data: both renderers write exactly this."""
    year = int(snapshot["year"])
    subject = snapshot["subject"]
    title = f"Laporan Kinerja {subject}"
    rows: list[Mapping[str, Any]] = snapshot["rows"]
    summary = snapshot["summary"]
    place = place_of(snapshot)
    signer = snapshot["signer"]
    sign_place_date = f"{place or '..........'}, .................... {year + 1}"
    elements: list[Element] = []
    tables: list[TableEl] = []

    def table(caption: str, header: list[str], body: list[list[str]], widths: list[float], align: str = "",
              small: bool = False, group_column: int | None = None) -> TableEl:
        el = TableEl(caption, header, body, widths, align, small, group_column, number=len(tables) + 1)
        tables.append(el)
        return el

    elements.append(Cover(["LAPORAN KINERJA", subject.upper()], subject, year, place))
    elements.append(PageBreak())

    elements.append(Heading(1, "KATA PENGANTAR"))
    elements.append(_narrative(narrative, "kata_pengantar", (
        f"Puji syukur kami panjatkan ke hadirat Tuhan Yang Maha Esa atas tersusunnya {title} Tahun "
        f"{year}. Laporan ini merupakan wujud pertanggungjawaban atas pelaksanaan Perjanjian Kinerja Tahun {year} "
        "sebagaimana diamanatkan Peraturan Presiden Nomor 29 Tahun 2014 tentang Sistem Akuntabilitas Kinerja "
        "Instansi Pemerintah dan Peraturan Menteri PANRB Nomor 53 Tahun 2014.\n\n"
        "Kami menyampaikan terima kasih kepada semua pihak yang telah membantu penyusunan laporan ini. Semoga "
        "laporan ini bermanfaat sebagai bahan evaluasi dan perbaikan kinerja pada tahun berikutnya.")))
    elements.append(Signature(sign_place_date, signer.get("label", ""), signer.get("name", ""), signer.get("nip", "")))
    elements.append(PageBreak())
    elements.append(Heading(1, "DAFTAR ISI", toc=False))
    elements.append(Contents("toc"))
    elements.append(Heading(1, "DAFTAR TABEL", toc=False))
    elements.append(Contents("tables"))
    elements.append(PageBreak())

    # Ringkasan Eksekutif
    elements.append(Heading(1, "RINGKASAN EKSEKUTIF"))
    elements.append(_narrative(narrative, "ringkasan_eksekutif"))
    by_kategori = summary.get("by_kategori") or {}
    kategori_text = ", ".join(f"{count} indikator {label}" for label, count in by_kategori.items() if count)
    average = summary.get("average_capaian")
    months = snapshot.get("final_periods") or []
    elements.append(_text(
        f"{subject} menetapkan {summary['sasaran']} sasaran dengan {summary['indicators']} indikator kinerja dalam "
        f"Perjanjian Kinerja Tahun {year}. "
        + (f"Dari indikator tersebut, {kategori_text}" if kategori_text else "Belum ada indikator yang dapat diukur")
        + (f", dan {summary['not_measurable']} indikator belum dapat diukur." if summary["not_measurable"]
           and kategori_text else ".")
        + (f" Rata-rata capaian indikator yang dapat diukur adalah {fmt_capaian(average)}%." if average else ""),
        (f"Realisasi dihitung dari entri kinerja harian yang telah diverifikasi dan ditetapkan dalam "
         f"{len(months)} rapat pleno laporan bulanan ({', '.join(bulan(p) for p in months)})."
         if months else "Belum ada paket pleno laporan bulanan yang final untuk tahun ini.")))
    elements.append(table("Ringkasan capaian indikator kinerja per kategori",
                          ["Kategori", "Rentang capaian (%)", "Jumlah indikator"],
                          [[b["label"], b["range"], str(by_kategori.get(b["label"], 0))] for b in snapshot["bands"]]
                          + [["Tidak dapat diukur", DASH, str(summary["not_measurable"])]],
                          [3, 3, 2], "llr"))
    elements.append(PageBreak())

    # Bab I
    elements.append(Heading(1, "BAB I PENDAHULUAN"))
    elements.append(Heading(2, "A. Latar Belakang"))
    elements.append(_narrative(narrative, "bab1_latar_belakang", (
        f"Laporan Kinerja {subject} Tahun {year} disusun sebagai bentuk pertanggungjawaban pelaksanaan tugas dan "
        "fungsi dalam mencapai sasaran yang ditetapkan dalam Perjanjian Kinerja. Penyusunan laporan ini "
        "berpedoman pada:\n"
        "- Undang-Undang Nomor 7 Tahun 2017 tentang Pemilihan Umum;\n"
        "- Peraturan Presiden Nomor 29 Tahun 2014 tentang Sistem Akuntabilitas Kinerja Instansi Pemerintah;\n"
        "- Peraturan Menteri PANRB Nomor 53 Tahun 2014 tentang Petunjuk Teknis Perjanjian Kinerja, Pelaporan "
        "Kinerja dan Tata Cara Reviu atas Laporan Kinerja Instansi Pemerintah;\n"
        "- Keputusan KPU Nomor 5/PR.03-Kpt/03/KPU/I/2018 tentang Petunjuk Teknis Perjanjian Kinerja dan "
        "Pelaporan Kinerja di Lingkungan Komisi Pemilihan Umum.")))
    elements.append(Heading(2, "B. Tugas, Fungsi dan Struktur Organisasi"))
    elements.append(_narrative(narrative, "bab1_organisasi",
                               [_para("(Bagian ini belum diisi oleh tim penyusun: tugas, fungsi, susunan organisasi "
                                      "dan sumber daya manusia.)")]))
    elements.append(Heading(2, "C. Permasalahan Utama (Isu Strategis)"))
    elements.append(_narrative(narrative, "bab1_isu_strategis",
                               [_para("(Bagian ini belum diisi oleh tim penyusun: permasalahan utama yang dihadapi "
                                      "organisasi pada tahun ini.)")]))
    elements.append(Heading(2, "D. Sistematika Penyajian"))
    elements.append(Text(parse_narrative(
        "Laporan Kinerja ini disajikan dengan sistematika sebagai berikut:\n"
        "- **Ringkasan Eksekutif**: gambaran singkat sasaran dan capaian kinerja;\n"
        "- **Bab I Pendahuluan**: latar belakang, tugas, fungsi, struktur organisasi dan isu strategis;\n"
        "- **Bab II Perencanaan Kinerja**: Perjanjian Kinerja dan Rencana Aksi;\n"
        "- **Bab III Akuntabilitas Kinerja**: capaian kinerja organisasi beserta analisisnya, dan realisasi "
        "anggaran;\n"
        "- **Bab IV Penutup**: kesimpulan dan langkah perbaikan;\n"
        "- **Lampiran**: Perjanjian Kinerja dan data dukung.")))
    elements.append(PageBreak())

    # Bab II
    elements.append(Heading(1, "BAB II PERENCANAAN KINERJA"))
    elements.append(_narrative(narrative, "bab2_perencanaan"))
    elements.append(Heading(2, f"A. Perjanjian Kinerja Tahun {year}"))
    elements.append(_text(f"Perjanjian Kinerja Tahun {year} memuat {summary['sasaran']} sasaran dan "
                          f"{summary['indicators']} indikator kinerja sebagai berikut."))
    pk_rows = [[str(i), r["sasaran"], f"{r['code']} {r['name']}", r["unit"], fmt_number(r["target_year"])]
               for i, r in enumerate(rows, start=1)]
    elements.append(table(f"Perjanjian Kinerja Tahun {year}", ["No", "Sasaran", "Indikator Kinerja", "Satuan",
                                                               "Target"], pk_rows, [0.6, 3.2, 4.2, 1.4, 1.4],
                          "cllcr", group_column=1))
    elements.append(Heading(2, "B. Rencana Aksi"))
    if any(r.get("rencana_aksi") for r in rows):
        ra_rows = []
        for r in rows:
            ra = r.get("rencana_aksi") or {}
            ra_rows.append([f"{r['code']} {r['name']}", r["unit"]]
                           + [fmt_number(ra.get(f"quarter{q}")) if f"quarter{q}" in ra else
                              fmt_number(r["periods"][f"tw{q}"]["target"]) for q in range(1, 5)]
                           + [fmt_number(r["target_year"])])
        elements.append(_text("Target Perjanjian Kinerja dijabarkan ke dalam target triwulanan (Rencana Aksi) "
                              "sebagai berikut."))
        elements.append(table(f"Rencana Aksi Tahun {year} (target per triwulan)",
                              ["Indikator Kinerja", "Satuan", "TW I", "TW II", "TW III", "TW IV", "Tahun"],
                              ra_rows, [4.2, 1.3, 1.1, 1.1, 1.1, 1.1, 1.2], "llrrrrr", small=True))
    else:
        elements.append(_text("Rencana Aksi triwulanan belum ditetapkan dalam SILABU; target yang digunakan adalah "
                              "target tahunan Perjanjian Kinerja."))
    elements.append(PageBreak())

    # Bab III
    elements.append(Heading(1, "BAB III AKUNTABILITAS KINERJA"))
    elements.append(Heading(2, "A. Capaian Kinerja Organisasi"))
    elements.append(_narrative(narrative, "bab3_capaian"))
    elements.append(Text(parse_narrative(
        "Pengukuran kinerja dilakukan dengan membandingkan realisasi terhadap target setiap indikator:\n"
        "- indikator yang makin tinggi makin baik: capaian = realisasi / target × 100%;\n"
        "- indikator yang makin rendah makin baik: capaian = (2 × target - realisasi) / target × 100%; bila "
        "targetnya 0, capaian 100% jika realisasi 0 dan 0% jika tidak;\n"
        "- indikator lain dengan target 0 tidak dapat dihitung capaiannya.\n"
        "Kategori capaian: " + "; ".join(f"{b['range']}: {b['label']}" for b in snapshot["bands"]) + ".")))
    notes: list[str] = []
    capaian_rows = []
    for i, r in enumerate(rows, start=1):
        if r["capaian"] is None:
            notes.append(f"{r['code']}: {r.get('reason') or 'data belum tersedia.'}")
            kategori_cell = f"Belum dapat diukur (catatan {len(notes)})"
        else:
            kategori_cell = r.get("kategori") or DASH
        capaian_rows.append([str(i), r["sasaran"], f"{r['code']} {r['name']}", r["unit"], fmt_number(r["target"]),
                             fmt_number(r["realisasi"]), fmt_capaian(r["capaian"]), kategori_cell])
    elements.append(table(f"Capaian Kinerja Tahun {year}",
                          ["No", "Sasaran", "Indikator Kinerja", "Satuan", "Target", "Realisasi", "Capaian (%)",
                           "Kategori"], capaian_rows, [0.55, 2.1, 3.1, 1.6, 1.35, 1.6, 1.6, 1.9], "cllcrrrl",
                          small=True, group_column=1))
    if notes:
        elements.append(Text([_para("Catatan:")] + [Block("bullet", _runs(f"({n}) {text}"))
                                                    for n, text in enumerate(notes, start=1)]))
    quarter_rows = []
    for r in rows:
        cells = [f"{r['code']} {r['name']}"]
        for q in range(1, 5):
            p = r["periods"][f"tw{q}"]
            cells.append(f"{fmt_number(p['realisasi'])} / {fmt_capaian(p['capaian'])}%"
                         if p["capaian"] is not None else fmt_number(p["realisasi"]))
        for s in (1, 2):
            p = r["periods"][f"s{s}"]
            cells.append(fmt_pct(p["capaian"]))
        quarter_rows.append(cells)
    elements.append(_text("Realisasi dan capaian per triwulan serta per semester (realisasi / capaian):"))
    elements.append(table(f"Realisasi dan capaian per triwulan dan semester Tahun {year}",
                          ["Indikator Kinerja", "TW I", "TW II", "TW III", "TW IV", "Smt I", "Smt II"],
                          quarter_rows, [3.8, 1.5, 1.5, 1.5, 1.5, 1.1, 1.1], "lrrrrrr", small=True))
    previous_year = snapshot.get("previous_year")
    if previous_year:
        prev_rows = []
        for r in rows:
            p = r.get("previous") or {}
            delta = ""
            if p.get("capaian") is not None and r.get("capaian") is not None:
                delta = fmt_capaian(_d(r["capaian"]) - _d(p["capaian"]))
            prev_rows.append([f"{r['code']} {r['name']}", fmt_number(p.get("realisasi")), fmt_capaian(p.get("capaian")),
                              fmt_number(r["realisasi"]), fmt_capaian(r["capaian"]), delta or DASH])
        elements.append(table(f"Perbandingan capaian Tahun {year} dengan Tahun {previous_year}",
                              ["Indikator Kinerja", f"Realisasi {previous_year}", f"Capaian {previous_year} (%)",
                               f"Realisasi {year}", f"Capaian {year} (%)", "Selisih (poin)"],
                              prev_rows, [4.2, 1.5, 1.5, 1.5, 1.5, 1.4], "lrrrrr", small=True))
    elements.append(Heading(3, "Analisis capaian per indikator", toc=False))
    for r in rows:
        elements.append(Heading(3, f"Indikator {r['code']}: {r['name']}"))
        p = r.get("previous") or {}
        analysis = [["Sasaran", r["sasaran"]],
                    ["Satuan / arah", f"{r['unit']} / {_polarity_label(r['polarity'])}, "
                                      f"konsolidasi {_consolidation_label(r['consolidation'])}"],
                    ["Target", fmt_number(r["target"])],
                    ["Realisasi", fmt_number(r["realisasi"])],
                    ["Capaian (%)", fmt_capaian(r["capaian"])],
                    ["Kategori", _kategori_cell(r)]]
        if previous_year:
            analysis.append([f"Realisasi / capaian {previous_year}",
                             f"{fmt_number(p.get('realisasi'))} / {fmt_pct(p.get('capaian'))}"
                             if p else "Indikator tidak ada pada tahun sebelumnya"])
        for q in range(1, 5):
            period = r["periods"][f"tw{q}"]
            analysis.append([f"Triwulan {ROMAN[q - 1]} (target / realisasi / capaian)",
                             f"{fmt_number(period['target'])} / {fmt_number(period['realisasi'])} / "
                             f"{fmt_pct(period['capaian'])}"])
        analysis.append(["Sumber data", f"Entri harian terverifikasi kode output {', '.join(r['output_codes'])} pada "
                                        f"bulan dengan paket pleno final" if r["source"] == "entries"
                         else "Realisasi diisi Rendatin dengan bukti dukung (Lampiran 2)"])
        elements.append(table(f"Analisis indikator {r['code']}", ["Uraian", "Nilai"], analysis, [4.5, 7.5], "ll",
                              small=True))
        elements.append(_narrative(narrative, f"analisis:{r['code']}", _auto_analysis(r, year, previous_year)))
    elements.append(Heading(2, "B. Realisasi Anggaran"))
    elements.append(_narrative(narrative, "bab3_anggaran",
                               [_para("(Bagian ini belum diisi oleh tim penyusun: pagu dan realisasi anggaran per "
                                      "program/kegiatan beserta penjelasannya.)")]))
    elements.append(PageBreak())

    # Bab IV
    elements.append(Heading(1, "BAB IV PENUTUP"))
    below = [r for r in rows if r.get("capaian") is not None and _d(r["capaian"]) < 100]
    default_closing = [_para(f"Laporan Kinerja {subject} Tahun {year} menggambarkan capaian {summary['indicators']} "
                             "indikator kinerja yang ditetapkan dalam Perjanjian Kinerja."
                             + (f" Rata-rata capaian indikator yang dapat diukur adalah {fmt_capaian(average)}%."
                                if average else ""))]
    if below:
        default_closing.append(_para("Indikator yang belum mencapai target dan perlu menjadi perhatian pada tahun "
                                     "berikutnya:"))
        default_closing += [Block("bullet", _runs(f"{r['code']} {r['name']}: capaian {fmt_capaian(r['capaian'])}%"))
                            for r in below]
    elements.append(_narrative(narrative, "bab4_penutup", default_closing))
    elements.append(Signature(sign_place_date, signer.get("label", ""), signer.get("name", ""), signer.get("nip", "")))
    elements.append(PageBreak())

    # Lampiran
    elements.append(Heading(1, "LAMPIRAN"))
    elements.append(Heading(2, f"Lampiran 1. Perjanjian Kinerja Tahun {year}"))
    elements.append(table(f"Lampiran Perjanjian Kinerja Tahun {year}",
                          ["No", "Sasaran", "Indikator Kinerja", "Satuan", "Target"],
                          [list(r) for r in pk_rows], [0.6, 3.2, 4.2, 1.4, 1.4], "cllcr", group_column=1))
    elements.append(Signature(f"{place or '..........'}, .................... {year}", signer.get("label", ""),
                              signer.get("name", ""), signer.get("nip", "")))
    elements.append(Heading(2, "Lampiran 2. Data Dukung"))
    packets = snapshot.get("packets") or []
    if packets:
        elements.append(table("Paket pleno laporan bulanan yang menjadi dasar realisasi",
                              ["Bulan", "Versi", "Nomor Berita Acara", "Tanggal pleno", "Sidik data (sha256)"],
                              [[bulan(p["period"]), str(p["version"]), p.get("berita_acara_number") or DASH,
                                tanggal(date.fromisoformat(p["pleno_date"])) if p.get("pleno_date") else DASH,
                                (p.get("data_sha256") or DASH)[:16]] for p in packets],
                              [1.8, 0.8, 3.6, 2.2, 3.2], "lclll", small=True))
    else:
        elements.append(_text("Belum ada paket pleno laporan bulanan yang final."))
    manual = snapshot.get("manual") or []
    if manual:
        elements.append(table("Realisasi yang diisi Rendatin beserta bukti dukungnya",
                              ["Indikator", "Bulan", "Nilai", "Keterangan", "Bukti dukung"],
                              [[m["indicator_code"], bulan(m["period"]), fmt_number(m["value"]), m.get("note") or "",
                                m.get("evidence_name") or DASH] for m in manual],
                              [1.4, 1.8, 1.2, 4.6, 2.6], "llrll", small=True))
    elements.append(Heading(2, f"Lampiran 3. Tren Realisasi Bulanan Tahun {year}"))
    month_head = [m[:3] for m in MONTHS]
    elements.append(table(f"Tren realisasi bulanan Tahun {year}", ["Indikator"] + month_head,
                          [[r["code"]] + [fmt_number(v) for v in r["months"]] for r in rows],
                          [1.4] + [0.88] * 12, "l" + "r" * 12, small=True))
    elements.append(Verification(meta.code, meta.url, meta.status_label, meta.compiled_at))
    return elements


def _auto_analysis(r: Mapping[str, Any], year: int, previous_year: int | None) -> list[Block]:
    unit = r["unit"]
    if r.get("capaian") is None:
        text = (f"Capaian indikator {r['name']} pada Tahun {year} belum dapat diukur: "
                f"{(r.get('reason') or '').rstrip('.')}.")
    else:
        text = (f"Pada Tahun {year}, indikator {r['name']} ditargetkan {fmt_number(r['target'])} {unit} dan "
                f"terealisasi {fmt_number(r['realisasi'])} {unit}, sehingga capaiannya {fmt_capaian(r['capaian'])}% "
                f"(kategori {r.get('kategori')}).")
    blocks = [_para(text)]
    p = r.get("previous") or {}
    if previous_year and p.get("capaian") is not None and r.get("capaian") is not None:
        delta = _d(r["capaian"]) - _d(p["capaian"])
        trend = "naik" if delta > 0 else "turun" if delta < 0 else "sama dengan"
        blocks.append(_para(f"Dibandingkan Tahun {previous_year} (capaian {fmt_capaian(p['capaian'])}%), capaian "
                            + (f"{trend} {fmt_capaian(abs(delta))} poin." if delta
                               else "sama dengan tahun sebelumnya.")))
    return blocks


# ---- DOCX -----------------------------------------------------------------------------------------------------------

def render_docx(snapshot: Mapping[str, Any], narrative: Mapping[str, str], meta: DocumentMeta) -> bytes:
    """The DOCX draft: Word styles (Heading 1-3, Caption) so the TOC and list-of-tables fields work when updated."""
    from docx import Document
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt, RGBColor

    doc = Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.left_margin, section.right_margin = Cm(3.5), Cm(2.5)
    section.top_margin, section.bottom_margin = Cm(3), Cm(2.5)
    usable = 21.0 - 3.5 - 2.5
    styles = doc.styles
    styles["Normal"].font.name = "Arial"
    styles["Normal"].font.size = Pt(11)
    styles["Normal"].paragraph_format.space_after = Pt(6)
    styles["Normal"].paragraph_format.line_spacing = 1.15
    for name, size in (("Heading 1", 14), ("Heading 2", 12), ("Heading 3", 11)):
        st = styles[name]
        st.font.name, st.font.size, st.font.bold = "Arial", Pt(size), True
        st.font.color.rgb = RGBColor(0, 0, 0)
    styles["Caption"].font.size = Pt(10)
    styles["Caption"].font.color.rgb = RGBColor(0, 0, 0)
    from docx.enum.style import WD_STYLE_TYPE

    for style_name, size in ((CELL_STYLE, 10), (CELL_SMALL_STYLE, 8)):
        cell_style = styles.add_style(style_name, WD_STYLE_TYPE.PARAGRAPH)
        cell_style.base_style = styles["Normal"]
        cell_style.font.size = Pt(size)
        cell_style.paragraph_format.space_after = Pt(0)
        cell_style.paragraph_format.line_spacing = 1.0
    # Ask Word to refresh the TOC/list of tables when the file is opened.
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    doc.settings.element.append(update)
    doc.core_properties.title = f"Laporan Kinerja {snapshot['subject']} Tahun {snapshot['year']}"
    doc.core_properties.author = snapshot["subject"]
    doc.core_properties.subject = (f"Kode verifikasi {meta.code}" if meta.code else meta.status_label)
    doc.core_properties.keywords = f"LKj; {snapshot['report_code']}; {snapshot['year']}" + (
        f"; {meta.code}" if meta.code else "")

    _docx_footer(section, meta, OxmlElement, qn, Pt, WD_ALIGN_PARAGRAPH)
    for el in build_elements(snapshot, narrative, meta):
        if isinstance(el, Cover):
            _docx_cover(doc, el, meta, Pt, Cm, WD_ALIGN_PARAGRAPH)
        elif isinstance(el, PageBreak):
            doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        elif isinstance(el, Heading):
            if el.toc:
                _styled(doc, f"Heading{el.level}").add_run(el.text)
            else:
                p = _styled(doc, "TOCHeading") if el.level == 1 else doc.add_paragraph()
                run = p.add_run(el.text)
                run.bold = True
                run.font.size = Pt(14 if el.level == 1 else 11)
        elif isinstance(el, Text):
            _docx_blocks(doc, el.blocks, el.italic, WD_ALIGN_PARAGRAPH)
        elif isinstance(el, Contents):
            p = doc.add_paragraph()
            instr = 'TOC \\o "1-3" \\h \\z \\u' if el.kind == "toc" else 'TOC \\h \\z \\c "Tabel"'
            placeholder = ("Klik kanan di sini lalu pilih Perbarui Bidang (Update Field) untuk menampilkan "
                           + ("daftar isi." if el.kind == "toc" else "daftar tabel."))
            _docx_field(p, instr, placeholder, OxmlElement, qn)
        elif isinstance(el, TableEl):
            _docx_table(doc, el, usable, Pt, Cm, OxmlElement, qn, WD_TABLE_ALIGNMENT, WD_ALIGN_PARAGRAPH)
        elif isinstance(el, Signature):
            _docx_signature(doc, el, Pt, Cm)
        elif isinstance(el, Verification):
            _docx_verification(doc, el, Pt, Cm)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


CELL_STYLE, CELL_STYLE_ID = "LKj Sel Tabel", "LKjSelTabel"
CELL_SMALL_STYLE, CELL_SMALL_STYLE_ID = "LKj Sel Tabel Kecil", "LKjSelTabelKecil"


def _styled(doc, style_id: str):  # noqa: ANN001, ANN202
    """A new paragraph with a style set by its id (python-docx's lookup by name is slow on every call)."""
    p = doc.add_paragraph()
    p._p.get_or_add_pPr().get_or_add_pStyle().val = style_id
    return p


def _set_table_style(table, style_id: str, OxmlElement, qn) -> None:  # noqa: ANN001, N803
    tbl_pr = table._tbl.tblPr
    style = tbl_pr.find(qn("w:tblStyle"))
    if style is None:
        style = OxmlElement("w:tblStyle")
        tbl_pr.insert(0, style)
    style.set(qn("w:val"), style_id)


def _docx_field(paragraph, instr: str, placeholder: str, OxmlElement, qn) -> None:  # noqa: ANN001, N803
    """A Word field (TOC, SEQ, PAGE) with a cached result shown until the field is updated."""
    def fld(kind: str):  # noqa: ANN202
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        return el

    run = paragraph.add_run()
    run._r.append(fld("begin"))
    run = paragraph.add_run()
    text = OxmlElement("w:instrText")
    text.set(qn("xml:space"), "preserve")
    text.text = f" {instr} "
    run._r.append(text)
    run = paragraph.add_run()
    run._r.append(fld("separate"))
    paragraph.add_run(placeholder)
    run = paragraph.add_run()
    run._r.append(fld("end"))


def _docx_footer(section, meta: DocumentMeta, OxmlElement, qn, Pt, WD_ALIGN_PARAGRAPH) -> None:  # noqa: ANN001, N803
    footer = section.footer
    p = footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    label = (f"Kode verifikasi {meta.code} · {meta.url}" if meta.code else meta.status_label)
    run = p.add_run(label + " · Halaman ")
    run.font.size = Pt(8)
    _docx_field(p, "PAGE", "1", OxmlElement, qn)
    for r in p.runs:
        r.font.size = Pt(8)


def _docx_cover(doc, el: Cover, meta: DocumentMeta, Pt, Cm, WD_ALIGN_PARAGRAPH) -> None:  # noqa: ANN001, N803
    for _ in range(4):
        doc.add_paragraph()
    for i, line in enumerate(["LAPORAN KINERJA"] + el.lines[1:] + [f"TAHUN {el.year}"]):
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = p.add_run(line)
        run.bold = True
        run.font.size = Pt(22 if i == 0 else 16)
    for _ in range(6):
        doc.add_paragraph()
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = p.add_run(el.subject.upper() + (f"\n{el.place.upper()}" if el.place else "") + f"\n{el.year + 1}")
    run.bold = True
    run.font.size = Pt(13)
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = p.add_run(meta.status_label + (f" · Kode verifikasi {meta.code}" if meta.code else ""))
    run.font.size = Pt(9)


def _docx_blocks(doc, blocks: Sequence[Block], italic: bool, WD_ALIGN_PARAGRAPH) -> None:  # noqa: ANN001, N803
    for block in blocks:
        p = _styled(doc, "ListBullet") if block.kind == "bullet" else doc.add_paragraph()
        if block.kind == "para":
            p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        for text, bold in block.runs:
            run = p.add_run(text)
            run.bold = bold
            run.italic = italic


def _docx_table(doc, el: TableEl, usable_cm: float, Pt, Cm, OxmlElement, qn, WD_TABLE_ALIGNMENT,  # noqa: ANN001, N803
                WD_ALIGN_PARAGRAPH) -> None:
    caption = _styled(doc, "Caption")
    caption.add_run("Tabel ")
    _docx_field(caption, "SEQ Tabel \\* ARABIC", str(el.number), OxmlElement, qn)
    caption.add_run(f". {el.caption}")
    table = doc.add_table(rows=1, cols=len(el.header))
    _set_table_style(table, "TableGrid", OxmlElement, qn)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    total = sum(el.widths)
    widths = [Cm(usable_cm * w / total) for w in el.widths]
    align = {"l": WD_ALIGN_PARAGRAPH.LEFT, "r": WD_ALIGN_PARAGRAPH.RIGHT, "c": WD_ALIGN_PARAGRAPH.CENTER}

    style_id = CELL_SMALL_STYLE_ID if el.small else CELL_STYLE_ID

    def fill(cell, text: str, col: int, bold: bool = False) -> None:  # noqa: ANN001
        cell.width = widths[col]
        p = cell.paragraphs[0]
        p._p.get_or_add_pPr().get_or_add_pStyle().val = style_id
        p.alignment = align.get((el.align or "")[col:col + 1] or "l") if not bold else WD_ALIGN_PARAGRAPH.CENTER
        run = p.add_run(text)
        if bold:
            run.bold = True

    header = table.rows[0]
    tr_pr = header._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    tr_pr.append(repeat)
    for i, text in enumerate(el.header):
        fill(header.cells[i], text, i, bold=True)
        shading = OxmlElement("w:shd")
        shading.set(qn("w:val"), "clear")
        shading.set(qn("w:color"), "auto")
        shading.set(qn("w:fill"), "D9D9D9")
        header.cells[i]._tc.get_or_add_tcPr().append(shading)
    group_start = None
    for r_index, row in enumerate(el.rows):
        cells = table.add_row().cells
        for i, text in enumerate(row):
            if el.group_column == i and r_index > 0 and row[i] == el.rows[r_index - 1][i]:
                cells[i].width = widths[i]
                continue  # merged below
            fill(cells[i], text, i)
        if el.group_column is not None:
            col = el.group_column
            if r_index == 0 or row[col] != el.rows[r_index - 1][col]:
                group_start = r_index + 1
            elif group_start is not None:
                table.cell(group_start, col).merge(table.cell(r_index + 1, col))
    doc.add_paragraph()


def _docx_signature(doc, el: Signature, Pt, Cm) -> None:  # noqa: ANN001, N803
    table = doc.add_table(rows=1, cols=2)
    cell = table.rows[0].cells[1]
    lines = [el.place_date, el.label, "", "", "", el.name or "(.................................)"]
    cell.paragraphs[0].add_run(lines[0])
    for line in lines[1:]:
        p = cell.add_paragraph()
        run = p.add_run(line)
        run.bold = line == el.name and bool(line)
    if el.nip:
        cell.add_paragraph(f"NIP {el.nip}")
    doc.add_paragraph()


@lru_cache(maxsize=32)
def _qr_png(url: str) -> bytes:
    import qrcode

    image = qrcode.make(url, box_size=6, border=2)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _docx_verification(doc, el: Verification, Pt, Cm) -> None:  # noqa: ANN001, N803
    _styled(doc, "Heading2").add_run("Verifikasi Dokumen")
    if el.code and el.url:
        doc.add_picture(io.BytesIO(_qr_png(el.url)), width=Cm(3.2))
        doc.add_paragraph(f"Kode verifikasi: {el.code}")
        doc.add_paragraph(f"Periksa keaslian dokumen ini di {el.url} (sidik sha256 berkas ditampilkan di halaman "
                          "tersebut).")
    else:
        doc.add_paragraph(f"{el.status_label}: dokumen ini belum dikompilasi sebagai versi dan belum memiliki kode "
                          "verifikasi.")
    doc.add_paragraph(f"Disusun oleh SILABU pada {tanggal(el.compiled_at)}.")


# ---- PDF ------------------------------------------------------------------------------------------------------------

_FONTS: tuple[str, str, str] | None = None
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))


def _fonts() -> tuple[str, str, str]:
    """(regular, bold, italic) font names: DejaVu Sans when the system has it, else reportlab's bundled Vera."""
    global _FONTS
    if _FONTS is not None:
        return _FONTS
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    for folder in FONT_DIRS:
        files = {k: folder / v for k, v in (("r", "DejaVuSans.ttf"), ("b", "DejaVuSans-Bold.ttf"),
                                            ("i", "DejaVuSans-Oblique.ttf"), ("bi", "DejaVuSans-BoldOblique.ttf"))}
        if all(p.is_file() for p in files.values()):
            names = {"r": "LkjSans", "b": "LkjSans-Bold", "i": "LkjSans-Italic", "bi": "LkjSans-BoldItalic"}
            break
    else:
        import reportlab

        folder = Path(reportlab.__file__).parent / "fonts"
        files = {"r": folder / "Vera.ttf", "b": folder / "VeraBd.ttf", "i": folder / "VeraIt.ttf",
                 "bi": folder / "VeraBI.ttf"}
        names = {"r": "LkjVera", "b": "LkjVera-Bold", "i": "LkjVera-Italic", "bi": "LkjVera-BoldItalic"}
    for key, name in names.items():
        pdfmetrics.registerFont(TTFont(name, str(files[key])))
    addMapping(names["r"], 0, 0, names["r"])
    addMapping(names["r"], 1, 0, names["b"])
    addMapping(names["r"], 0, 1, names["i"])
    addMapping(names["r"], 1, 1, names["bi"])
    _FONTS = (names["r"], names["b"], names["i"])
    return _FONTS


def _markup(runs: Sequence[tuple[str, bool]]) -> str:
    return "".join(f"<b>{escape(t)}</b>" if bold else escape(t) for t, bold in runs)


def render_pdf(snapshot: Mapping[str, Any], narrative: Mapping[str, str], meta: DocumentMeta) -> bytes:
    """The PDF with the same content, a table of contents, a list of tables and the verification code."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm
    from reportlab.lib.utils import ImageReader
    from reportlab.platypus import (BaseDocTemplate, CondPageBreak, Frame, Image, ListFlowable, ListItem,
                                    NextPageTemplate,
                                    PageBreak as RLPageBreak, PageTemplate, Paragraph, Spacer, Table, TableStyle)
    from reportlab.platypus.tableofcontents import TableOfContents

    regular, bold, italic = _fonts()
    base = ParagraphStyle("LkjBody", fontName=regular, fontSize=10.5, leading=14.5, alignment=TA_JUSTIFY,
                          spaceAfter=6)
    styles = {
        "h1": ParagraphStyle("LkjH1", parent=base, fontName=bold, fontSize=14, leading=18, alignment=TA_CENTER,
                             spaceBefore=4, spaceAfter=12, keepWithNext=1),
        "h2": ParagraphStyle("LkjH2", parent=base, fontName=bold, fontSize=12, leading=16, spaceBefore=10, spaceAfter=6,
                             keepWithNext=1),
        "h3": ParagraphStyle("LkjH3", parent=base, fontName=bold, fontSize=10.5, leading=14, spaceBefore=8,
                             spaceAfter=4, keepWithNext=1),
        "plain": ParagraphStyle("LkjPlain", parent=base, fontName=bold, fontSize=14, leading=18, alignment=TA_CENTER,
                                spaceAfter=10),
        "caption": ParagraphStyle("LkjCaption", parent=base, fontName=bold, fontSize=9.5, leading=12,
                                  alignment=TA_CENTER, spaceBefore=6, spaceAfter=4, keepWithNext=1),
        "cell": ParagraphStyle("LkjCell", parent=base, fontSize=9, leading=11, alignment=0, spaceAfter=0),
        "cell_small": ParagraphStyle("LkjCellS", parent=base, fontSize=7.5, leading=9.2, alignment=0, spaceAfter=0),
        "cover": ParagraphStyle("LkjCover", parent=base, fontName=bold, fontSize=16, leading=22, alignment=TA_CENTER),
        "cover_big": ParagraphStyle("LkjCoverBig", parent=base, fontName=bold, fontSize=24, leading=30,
                                    alignment=TA_CENTER),
        "center": ParagraphStyle("LkjCenter", parent=base, alignment=TA_CENTER),
        "small": ParagraphStyle("LkjSmall", parent=base, fontSize=8.5, leading=11),
    }
    heading_level = {"LkjH1": 0, "LkjH2": 1, "LkjH3": 2}
    width, height = A4
    margins = dict(left=3.5 * cm, right=2.5 * cm, top=3 * cm, bottom=2.5 * cm)
    usable = width - margins["left"] - margins["right"]
    footer_text = (f"Kode verifikasi {meta.code} · {meta.url}" if meta.code else meta.status_label)

    class LkjDoc(BaseDocTemplate):
        def afterFlowable(self, flowable):  # noqa: ANN001, N802 - reportlab's hook name
            if isinstance(flowable, Paragraph):
                name = flowable.style.name
                text = flowable.getPlainText()
                if name in heading_level and getattr(flowable, "_lkj_toc", True):
                    key = f"h{id(flowable)}"
                    self.canv.bookmarkPage(key)
                    self.canv.addOutlineEntry(text, key, level=heading_level[name], closed=True)
                    self.notify("TOCEntry", (heading_level[name], text, self.page, key))
                elif name == "LkjCaption":
                    key = f"t{id(flowable)}"
                    self.canv.bookmarkPage(key)
                    self.notify("TableEntry", (0, text, self.page, key))

    def on_page(canvas, doc):  # noqa: ANN001, ANN202
        canvas.saveState()
        canvas.setFont(regular, 7.5)
        canvas.setFillColor(colors.HexColor("#444444"))
        canvas.drawCentredString(width / 2, 1.3 * cm, f"{footer_text} · Halaman {doc.page}")
        canvas.restoreState()

    qr_png = _qr_png(meta.url) if meta.code and meta.url else None

    def on_cover(canvas, doc):  # noqa: ANN001, ANN202
        if qr_png is not None:
            size = 3.2 * cm
            canvas.drawImage(ImageReader(io.BytesIO(qr_png)), width - margins["right"] - size, 1.4 * cm, size, size)
            canvas.setFont(regular, 8)
            canvas.drawRightString(width - margins["right"], 1.1 * cm, f"Kode verifikasi {meta.code}")
        else:
            canvas.setFont(regular, 8)
            canvas.drawRightString(width - margins["right"], 1.1 * cm, meta.status_label)

    frame = Frame(margins["left"], margins["bottom"], usable, height - margins["top"] - margins["bottom"], id="body")
    doc = LkjDoc(io.BytesIO(), pagesize=A4, leftMargin=margins["left"], rightMargin=margins["right"],
                 topMargin=margins["top"], bottomMargin=margins["bottom"],
                 title=f"Laporan Kinerja {snapshot['subject']} Tahun {snapshot['year']}",
                 author=snapshot["subject"], creator="SILABU",
                 subject=(f"Kode verifikasi {meta.code}" if meta.code else meta.status_label),
                 keywords=["LKj", snapshot["report_code"], str(snapshot["year"])] + ([meta.code] if meta.code else []))
    doc.addPageTemplates([PageTemplate(id="cover", frames=[frame], onPage=on_cover),
                          PageTemplate(id="body", frames=[frame], onPage=on_page)])

    toc_styles = [ParagraphStyle(f"LkjToc{i}", parent=base, fontSize=10 - i * 0.5, leading=13, leftIndent=i * 14,
                                 firstLineIndent=0, alignment=0, spaceAfter=0) for i in range(3)]
    story: list = []
    for el in build_elements(snapshot, narrative, meta):
        if isinstance(el, Cover):
            story.append(NextPageTemplate("body"))
            story.append(Spacer(1, 4 * cm))
            story.append(Paragraph("LAPORAN KINERJA", styles["cover_big"]))
            story.append(Spacer(1, 0.4 * cm))
            for line in el.lines[1:] + [f"TAHUN {el.year}"]:
                story.append(Paragraph(escape(line), styles["cover"]))
            story.append(Spacer(1, 7 * cm))
            story.append(Paragraph(escape(el.subject.upper()), styles["cover"]))
            if el.place:
                story.append(Paragraph(escape(el.place.upper()), styles["cover"]))
            story.append(Paragraph(str(el.year + 1), styles["cover"]))
            story.append(Spacer(1, 0.6 * cm))
            story.append(Paragraph(escape(meta.status_label), styles["center"]))
        elif isinstance(el, PageBreak):
            story.append(RLPageBreak())
        elif isinstance(el, Heading):
            para = Paragraph(escape(el.text), styles[f"h{el.level}"] if el.toc or el.level > 1 else styles["plain"])
            para._lkj_toc = el.toc
            story.append(para)
        elif isinstance(el, Text):
            story.extend(_pdf_blocks(el.blocks, base, ListFlowable, ListItem, Paragraph))
        elif isinstance(el, Contents):
            story.append(TableOfContents(levelStyles=toc_styles, dotsMinLevel=0,
                                         notifyKind="TOCEntry" if el.kind == "toc" else "TableEntry"))
            story.append(Spacer(1, 0.6 * cm))
        elif isinstance(el, TableEl):
            cell_style = styles["cell_small"] if el.small else styles["cell"]
            head_style = ParagraphStyle(f"{cell_style.name}H", parent=cell_style, fontName=bold, alignment=TA_CENTER)
            aligned = {c: ParagraphStyle(f"{cell_style.name}{c}", parent=cell_style,
                                         alignment={"l": 0, "c": 1, "r": 2}[c]) for c in "lcr"}
            data = [[Paragraph(escape(h), head_style) for h in el.header]]
            for r_index, row in enumerate(el.rows):
                cells = []
                for i, text in enumerate(row):
                    if el.group_column == i and r_index > 0 and text == el.rows[r_index - 1][i]:
                        cells.append("")
                    else:
                        cells.append(Paragraph(escape(text), aligned[(el.align or "")[i:i + 1] or "l"]))
                data.append(cells)
            total = sum(el.widths)
            table = Table(data, colWidths=[usable * w / total for w in el.widths], repeatRows=1)
            commands = [("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#555555")),
                        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#D9D9D9")),
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]
            if el.group_column is not None:
                col = el.group_column
                start = 1
                for r_index in range(1, len(el.rows) + 1):
                    last = r_index == len(el.rows) or el.rows[r_index][col] != el.rows[r_index - 1][col]
                    if last:
                        if r_index > start:
                            commands.append(("SPAN", (col, start), (col, r_index)))
                        start = r_index + 1
            table.setStyle(TableStyle(commands))
            story.append(Paragraph(escape(f"Tabel {el.number}. {el.caption}"), styles["caption"]))
            story.append(table)
            story.append(Spacer(1, 0.4 * cm))
        elif isinstance(el, Signature):
            lines = [escape(el.place_date), escape(el.label), "<br/><br/><br/>",
                     f"<b>{escape(el.name)}</b>" if el.name else "(.................................)"]
            if el.nip:
                lines.append(escape(f"NIP {el.nip}"))
            sig = Table([["", Paragraph("<br/>".join(lines), styles["cell"])]], colWidths=[usable * 0.5, usable * 0.5])
            story.append(Spacer(1, 0.4 * cm))
            story.append(sig)
        elif isinstance(el, Verification):
            story.append(CondPageBreak(6 * cm))
            story.append(Paragraph("Verifikasi Dokumen", styles["h2"]))
            if el.code and el.url:
                size = 3.4 * cm
                drawing = Image(io.BytesIO(_qr_png(el.url)), width=size, height=size)
                text = Paragraph(f"Kode verifikasi: <b>{escape(el.code)}</b><br/>Periksa keaslian dokumen ini di "
                                 f"{escape(el.url)}. Halaman tersebut menampilkan versi, status dan sidik sha256 "
                                 f"berkasnya.<br/>Disusun oleh SILABU pada {escape(tanggal(el.compiled_at))}.",
                                 styles["cell"])
                story.append(Table([[drawing, text]], colWidths=[size + 0.4 * cm, usable - size - 0.4 * cm],
                                   style=[("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
            else:
                story.append(Paragraph(escape(f"{el.status_label}: dokumen ini belum dikompilasi sebagai versi dan "
                                              "belum memiliki kode verifikasi."), base))
    doc.multiBuild(story)
    return doc.filename.getvalue()


def _pdf_blocks(blocks: Sequence[Block], style, ListFlowable, ListItem, Paragraph) -> list:  # noqa: ANN001, N803
    out: list = []
    bullets: list = []

    def flush() -> None:
        if bullets:
            out.append(ListFlowable(list(bullets), bulletType="bullet", start="•", leftIndent=14, bulletFontSize=8))
            bullets.clear()

    for block in blocks:
        para = Paragraph(_markup(block.runs), style)
        if block.kind == "bullet":
            bullets.append(ListItem(para, leftIndent=14))
        else:
            flush()
            out.append(para)
    flush()
    return out
