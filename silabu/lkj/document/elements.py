"""The LKj document as one list of elements, built chapter by chapter from a version's frozen figures and
narrative; ``docx`` and ``pdf`` write exactly this list.

Chapters as KPU practises PermenPANRB 53/2014: Kata Pengantar, Ringkasan Eksekutif, Bab I Pendahuluan,
Bab II Perencanaan Kinerja, Bab III Akuntabilitas Kinerja (A. Capaian Kinerja Organisasi, B. Realisasi
Anggaran), Bab IV Penutup, Lampiran (Perjanjian Kinerja, data dukung, tren bulanan).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from silabu.core.formatting import MONTHS, angka, bulan, tanggal
from silabu.lkj.capaian import capaian, capaian_text, consolidate, round2
from silabu.lkj.document.charts import Figure
from silabu.lkj.document.narrative import Block, _runs, parse_narrative

ROMAN = ["I", "II", "III", "IV"]
DASH = "–"

@dataclass(frozen=True)
class DocumentMeta:
    version: int | None
    code: str | None  # as printed: ABCD-EFGH
    url: str | None
    status_label: str
    compiled_at: datetime
    # Set when the version is signed: {"date": ISO date in the satker's timezone, "name", "nip", "title",
    # "paraf": [{"name", "title", "at": ISO date}]}; the document then is the final one, not a draft.
    signed: Mapping[str, Any] | None = None


@dataclass
class Cover:
    lines: list[str]
    subject: str
    year: int
    place: str
    issued_year: int  # the year printed at the foot: Semester I is issued in its own year, the others after it


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
class SectionBreak:
    """The end of the front matter (numbered i, ii, ...): the body from Bab I is numbered 1, 2, ..."""


@dataclass
class Party:
    label: str  # the title, e.g. "Sekretaris KPU Kabupaten Kudus"
    name: str
    nip: str
    lead: str = ""  # "Pihak Kedua,"


@dataclass
class Signatures:
    """Signature blocks side by side (the Perjanjian Kinerja: Pihak Kedua left, Pihak Pertama right)."""

    place_date: str
    parties: list[Party]


@dataclass
class Title:
    """A centred bold title line that is not a heading (not in the Daftar Isi)."""

    lines: list[str]


@dataclass
class Contents:
    kind: str  # "toc" | "tables" | "figures"


@dataclass
class Signature:
    place_date: str
    label: str
    name: str
    nip: str
    paraf: str = ""  # the paraf record beside the signature of the final document


@dataclass
class Verification:
    code: str | None
    url: str | None
    status_label: str
    compiled_at: datetime
    record: list[str] | None = None  # who initialled and signed, when (final document)


Element = (Cover | Heading | Text | TableEl | PageBreak | SectionBreak | Contents | Signature | Signatures | Title
           | Figure | Verification)


def fit_widths(el: TableEl, usable: float, measure, padding: float) -> list[float]:
    """Column widths (in the unit of ``usable``) in the table's proportions, widened where the longest word of a
    column (header in bold) would not fit, so no word is broken inside a cell; the others give way.

    ``measure(word, bold)`` is the printed width of a word in that unit; ``padding`` the cell's both margins."""
    total = sum(el.widths) or 1
    widths = [usable * w / total for w in el.widths]
    need = []
    for i in range(len(el.header)):
        words = [(w, True) for w in el.header[i].split()]
        words += [(w, False) for row in el.rows if i < len(row) for w in str(row[i]).split()]
        need.append(max([measure(w, bold) for w, bold in words] + [0]) + padding)
    if sum(need) >= usable:  # cannot fit every word: as close as the page allows
        return [usable * n / sum(need) for n in need]
    for _ in range(len(widths)):
        short = [i for i, (w, n) in enumerate(zip(widths, need)) if w < n - 1e-6]
        if not short:
            break
        deficit = sum(need[i] - widths[i] for i in short)
        for i in short:
            widths[i] = need[i]
        spare = [i for i in range(len(widths)) if i not in short and widths[i] > need[i]]
        room = sum(widths[i] - need[i] for i in spare)
        for i in spare:
            widths[i] -= deficit * (widths[i] - need[i]) / room
    return widths


def _d(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def fmt_number(value: Any) -> str:
    number = _d(value)
    return DASH if number is None else angka(number)


def fmt_capaian(value: Any) -> str:
    """Capaian always with two decimals (100,00; 83,30), one format throughout the document."""
    number = _d(value)
    return DASH if number is None else capaian_text(number)


def fmt_pct(value: Any) -> str:
    number = _d(value)
    return DASH if number is None else f"{fmt_capaian(number)}%"


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


def document_title(snapshot: Mapping[str, Any]) -> str:
    """The file's title (DOCX/PDF metadata): "Laporan Kinerja <subject> Tahun 2026" or "… Semester I Tahun 2026"."""
    label = (snapshot.get("period") or {}).get("label") or f"Tahun {snapshot['year']}"
    return f"Laporan Kinerja {snapshot['subject']} {label}"


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


def average_sentence(summary: Mapping[str, Any]) -> str:
    """The headline average and what it includes (measurable rows; flagged rows named, and left out once)."""
    average = summary.get("average_capaian")
    if average is None:
        return ""
    text = (f" Rata-rata capaian {summary['measurable']} indikator yang dapat diukur adalah {fmt_capaian(average)}%"
            + (f" ({summary['not_measurable']} indikator yang belum dapat diukur tidak termasuk)"
               if summary.get("not_measurable") else "") + ".")
    flagged = summary.get("flagged_measurable") or []
    if flagged:
        text += (f" Rata-rata tersebut mencakup {len(flagged)} indikator yang bercatatan pemeriksaan "
                 f"({', '.join(flagged)}); ")
        if summary.get("average_unflagged") is not None:
            text += (f"tanpa indikator tersebut, rata-rata capaian {summary['unflagged_measurable']} indikator "
                     f"adalah {fmt_capaian(summary['average_unflagged'])}%.")
        else:
            text += "tidak ada indikator terukur tanpa catatan."
    return text


def grouped_by_sasaran(rows: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The rows with each sasaran's indicators together (in order of the sasaran's first indicator), so a
    sasaran is printed once even when its indicators are not adjacent in the Perjanjian Kinerja."""
    groups: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row.get("sasaran_code") or "", row.get("sasaran") or ""), []).append(row)
    return [row for group in groups.values() for row in group]


def fmt_rupiah(value: Any) -> str:
    number = _d(value)
    return DASH if number is None else angka(number)


def warnings_of(row: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return list(row.get("warnings") or [])


class Builder:
    """The document being built: the frozen figures, the narrative, and the elements so far."""

    def __init__(self, snapshot: Mapping[str, Any], narrative: Mapping[str, str], meta: DocumentMeta) -> None:
        self.snapshot, self.narrative, self.meta = snapshot, narrative, meta
        self.year = int(snapshot["year"])
        self.subject = snapshot["subject"]
        self.title = f"Laporan Kinerja {self.subject}"
        # The report's period: the annual one ("Tahun 2026") or a semester ("Semester I Tahun 2026").
        period = snapshot.get("period") or {}
        self.semester: int | None = period.get("semester")
        self.period_label: str = period.get("label") or f"Tahun {self.year}"
        self.rows: list[Mapping[str, Any]] = grouped_by_sasaran(snapshot["rows"])
        self.summary = snapshot["summary"]
        self.average = self.summary.get("average_capaian")
        self.place = place_of(snapshot)
        self.signer = dict(snapshot["signer"])
        # Semester I is signed within its year; the annual report and Semester II after the year ends.
        self.sign_place_date = (f"{self.place or '..........'}, .................... "
                                f"{self.year if self.semester == 1 else self.year + 1}")
        self.paraf_text = ""
        signed = meta.signed
        if signed:
            self.signer.update(label=signed.get("title") or self.signer.get("label", ""), name=signed.get("name", ""),
                               nip=signed.get("nip", ""))
            self.sign_place_date = f"{self.place}, {tanggal(date.fromisoformat(signed['date']))}"
            self.paraf_text = "; ".join(f"Paraf {p['name']} ({p['title']}), {tanggal(date.fromisoformat(p['at']))}"
                                        for p in signed.get("paraf") or [])
        self.pk_rows: list[list[str]] = [[str(i), r["sasaran"], f"{r['code']} {r['name']}", r["unit"],
                                          fmt_number(r["target_year"])] for i, r in enumerate(self.rows, start=1)]
        self.elements: list[Element] = []
        self.tables: list[TableEl] = []
        self.figures: list[Figure] = []

    def add(self, element: Element) -> None:
        self.elements.append(element)

    def table(self, caption: str, header: list[str], body: list[list[str]], widths: list[float], align: str = "",
              small: bool = False, group_column: int | None = None) -> TableEl:
        el = TableEl(caption, header, body, widths, align, small, group_column, number=len(self.tables) + 1)
        self.tables.append(el)
        return el

    def figure(self, fig: Figure) -> Figure:
        fig.number = len(self.figures) + 1
        self.figures.append(fig)
        return fig


def _cover(b: Builder) -> None:
    """The cover."""
    b.add(Cover(["LAPORAN KINERJA", b.subject.upper()] + ([f"SEMESTER {ROMAN[b.semester - 1]}"] if b.semester else []),
                b.subject, b.year, b.place, b.year if b.semester == 1 else b.year + 1))
    b.add(PageBreak())


def _kata_pengantar(b: Builder) -> None:
    """Kata Pengantar, signed."""
    b.add(Heading(1, "KATA PENGANTAR"))
    b.add(_narrative(b.narrative, "kata_pengantar", (
        f"Puji syukur kami panjatkan ke hadirat Tuhan Yang Maha Esa atas tersusunnya {b.title} "
        f"{b.period_label}. Laporan ini merupakan wujud pertanggungjawaban atas pelaksanaan Perjanjian Kinerja Tahun {b.year} "
        "sebagaimana diamanatkan Peraturan Presiden Nomor 29 Tahun 2014 tentang Sistem Akuntabilitas Kinerja "
        "Instansi Pemerintah dan Peraturan Menteri PANRB Nomor 53 Tahun 2014.\n\n"
        "Kami menyampaikan terima kasih kepada semua pihak yang telah membantu penyusunan laporan ini. Semoga "
        "laporan ini bermanfaat sebagai bahan evaluasi dan perbaikan kinerja pada tahun berikutnya.")))
    b.add(Signature(b.sign_place_date, b.signer.get("label", ""), b.signer.get("name", ""), b.signer.get("nip", "")))
    b.add(PageBreak())


def _contents(b: Builder) -> None:
    """Daftar Isi and Daftar Tabel."""
    b.add(Heading(1, "DAFTAR ISI", toc=False))
    b.add(Contents("toc"))
    b.add(Heading(1, "DAFTAR TABEL", toc=False))
    b.add(Contents("tables"))
    b.add(Heading(1, "DAFTAR GAMBAR", toc=False))
    b.add(Contents("figures"))
    b.add(PageBreak())


def _ringkasan(b: Builder) -> None:
    """Ringkasan Eksekutif: the narrative and the figures in brief."""
    b.add(Heading(1, "RINGKASAN EKSEKUTIF"))
    b.add(_narrative(b.narrative, "ringkasan_eksekutif"))
    by_kategori = b.summary.get("by_kategori") or {}
    kategori_text = ", ".join(f"{count} indikator {label}" for label, count in by_kategori.items() if count)
    months = b.snapshot.get("final_periods") or []
    b.add(_text(
        f"{b.subject} menetapkan {b.summary['sasaran']} sasaran dengan {b.summary['indicators']} indikator kinerja dalam "
        f"Perjanjian Kinerja Tahun {b.year}. "
        + (f"Dari indikator tersebut, {kategori_text}" if kategori_text else "Belum ada indikator yang dapat diukur")
        + (f", dan {b.summary['not_measurable']} indikator belum dapat diukur." if b.summary["not_measurable"]
           and kategori_text else ".")
        + average_sentence(b.summary),
        (f"Realisasi dihitung dari entri kinerja harian yang telah diverifikasi dan ditetapkan dalam "
         f"{len(months)} rapat pleno laporan bulanan ({', '.join(bulan(p) for p in months)})."
         if months else "Belum ada paket pleno laporan bulanan yang final untuk "
         + (f"{b.period_label}." if b.semester else "tahun ini."))))
    b.add(b.table("Ringkasan capaian indikator kinerja per kategori",
                          ["Kategori", "Rentang capaian (%)", "Jumlah indikator"],
                          [[b["label"], b["range"], str(by_kategori.get(b["label"], 0))] for b in b.snapshot["bands"]]
                          + [["Tidak dapat diukur", DASH, str(b.summary["not_measurable"])]],
                          [3, 3, 2], "llr"))
    b.add(SectionBreak())


def _bab1(b: Builder) -> None:
    """Bab I Pendahuluan."""
    b.add(Heading(1, "BAB I PENDAHULUAN"))
    b.add(Heading(2, "A. Latar Belakang"))
    b.add(_narrative(b.narrative, "bab1_latar_belakang", (
        f"Laporan Kinerja {b.subject} {b.period_label} disusun sebagai bentuk pertanggungjawaban pelaksanaan tugas dan "
        "fungsi dalam mencapai sasaran yang ditetapkan dalam Perjanjian Kinerja. Penyusunan laporan ini "
        "berpedoman pada:\n"
        "- Undang-Undang Nomor 7 Tahun 2017 tentang Pemilihan Umum;\n"
        "- Peraturan Presiden Nomor 29 Tahun 2014 tentang Sistem Akuntabilitas Kinerja Instansi Pemerintah;\n"
        "- Peraturan Menteri PANRB Nomor 53 Tahun 2014 tentang Petunjuk Teknis Perjanjian Kinerja, Pelaporan "
        "Kinerja dan Tata Cara Reviu atas Laporan Kinerja Instansi Pemerintah;\n"
        "- Keputusan KPU Nomor 5/PR.03-Kpt/03/KPU/I/2018 tentang Petunjuk Teknis Perjanjian Kinerja dan "
        "Pelaporan Kinerja di Lingkungan Komisi Pemilihan Umum.")))
    b.add(Heading(2, "B. Tugas, Fungsi dan Struktur Organisasi"))
    b.add(_narrative(b.narrative, "bab1_organisasi",
                               [_para("(Bagian ini belum diisi oleh tim penyusun: tugas, fungsi, susunan organisasi "
                                      "dan sumber daya manusia.)")]))
    b.add(Heading(2, "C. Permasalahan Utama (Isu Strategis)"))
    b.add(_narrative(b.narrative, "bab1_isu_strategis",
                               [_para("(Bagian ini belum diisi oleh tim penyusun: permasalahan utama yang dihadapi "
                                      "organisasi pada tahun ini.)")]))
    b.add(Heading(2, "D. Sistematika Penyajian"))
    b.add(Text(parse_narrative(
        "Laporan Kinerja ini disajikan dengan sistematika sebagai berikut:\n"
        "- **Ringkasan Eksekutif**: gambaran singkat sasaran dan capaian kinerja;\n"
        "- **Bab I Pendahuluan**: latar belakang, tugas, fungsi, struktur organisasi dan isu strategis;\n"
        "- **Bab II Perencanaan Kinerja**: Perjanjian Kinerja dan Rencana Aksi;\n"
        "- **Bab III Akuntabilitas Kinerja**: capaian kinerja organisasi beserta analisisnya, dan realisasi "
        "anggaran;\n"
        "- **Bab IV Penutup**: kesimpulan dan langkah perbaikan;\n"
        "- **Lampiran**: Perjanjian Kinerja dan data dukung.")))
    b.add(PageBreak())


def _bab2(b: Builder) -> None:
    """Bab II Perencanaan Kinerja: the Perjanjian Kinerja and its Rencana Aksi."""
    b.add(Heading(1, "BAB II PERENCANAAN KINERJA"))
    b.add(_narrative(b.narrative, "bab2_perencanaan"))
    b.add(Heading(2, f"A. Perjanjian Kinerja Tahun {b.year}"))
    b.add(_text(f"Perjanjian Kinerja Tahun {b.year} memuat {b.summary['sasaran']} sasaran dan "
                          f"{b.summary['indicators']} indikator kinerja sebagai berikut."))
    b.add(b.table(f"Perjanjian Kinerja Tahun {b.year}", ["No", "Sasaran", "Indikator Kinerja", "Satuan",
                                                               "Target"], b.pk_rows, [0.6, 3.2, 4.2, 1.4, 1.4],
                          "cllcr", group_column=1))
    b.add(Heading(2, "B. Rencana Aksi"))
    if any(r.get("rencana_aksi") for r in b.rows):
        ra_rows = []
        for r in b.rows:
            ra = r.get("rencana_aksi") or {}
            ra_rows.append([f"{r['code']} {r['name']}", r["unit"]]
                           + [fmt_number(ra.get(f"quarter{q}")) if f"quarter{q}" in ra else
                              fmt_number(r["periods"][f"tw{q}"]["target"]) for q in range(1, 5)]
                           + [fmt_number(r["target_year"])])
        b.add(_text("Target Perjanjian Kinerja dijabarkan ke dalam target triwulanan (Rencana Aksi) "
                              "sebagai berikut."))
        b.add(b.table(f"Rencana Aksi Tahun {b.year} (target per triwulan)",
                              ["Indikator Kinerja", "Satuan", "TW I", "TW II", "TW III", "TW IV", "Tahun"],
                              ra_rows, [4.2, 1.3, 1.1, 1.1, 1.1, 1.1, 1.2], "llrrrrr", small=True))
    else:
        b.add(_text("Rencana Aksi triwulanan belum ditetapkan dalam SILABU; target yang digunakan adalah "
                              "target tahunan Perjanjian Kinerja."))
    b.add(PageBreak())


def _bab3(b: Builder) -> None:
    """Bab III Akuntabilitas Kinerja: the Tabel Capaian and an analysis per indicator."""
    b.add(Heading(1, "BAB III AKUNTABILITAS KINERJA"))
    b.add(Heading(2, "A. Capaian Kinerja Organisasi" + (f" {b.period_label}" if b.semester else "")))
    b.add(_narrative(b.narrative, "bab3_capaian"))
    b.add(Text(parse_narrative(
        "Pengukuran kinerja dilakukan dengan membandingkan realisasi terhadap target setiap indikator:\n"
        "- indikator yang makin tinggi makin baik: capaian = realisasi / target × 100%;\n"
        "- indikator yang makin rendah makin baik: capaian = (2 × target - realisasi) / target × 100%; bila "
        "targetnya 0, capaian 100% jika realisasi 0 dan 0% jika tidak;\n"
        "- indikator lain dengan target 0 tidak dapat dihitung capaiannya.\n"
        "Kategori capaian: " + "; ".join(f"{b['range']}: {b['label']}" for b in b.snapshot["bands"]) + ".")))
    notes: list[str] = []
    capaian_rows = []
    for i, r in enumerate(b.rows, start=1):
        if r["capaian"] is None:
            notes.append(f"{r['code']}: {r.get('reason') or 'data belum tersedia.'}")
            kategori_cell = f"Belum dapat diukur (catatan {len(notes)})"
        else:
            kategori_cell = r.get("kategori") or DASH
        flags = []
        for warning in warnings_of(r):
            notes.append(f"{r['code']}: {warning['message']}")
            flags.append(str(len(notes)))
        indicator_cell = f"{r['code']} {r['name']}" + (f" (catatan {', '.join(flags)})" if flags else "")
        capaian_rows.append([str(i), r["sasaran"], indicator_cell, r["unit"], fmt_number(r["target"]),
                             fmt_number(r["realisasi"]), fmt_capaian(r["capaian"]), kategori_cell])
    b.add(b.table(f"Capaian Kinerja {b.period_label}",
                          ["No", "Sasaran", "Indikator Kinerja", "Satuan", "Target", "Realisasi", "Capaian (%)",
                           "Kategori"], capaian_rows, [0.55, 2.1, 3.1, 1.6, 1.35, 1.6, 1.6, 1.9], "cllcrrrl",
                          small=True, group_column=1))
    if notes:
        b.add(Text([_para("Catatan:")] + [Block("bullet", _runs(f"({n}) {text}"))
                                                    for n, text in enumerate(notes, start=1)]))
    b.add(b.figure(capaian_figure(b.rows, b.year, b.period_label)))
    quarter_rows = []
    for r in b.rows:
        cells = [f"{r['code']} {r['name']}"]
        for q in range(1, 5):
            p = r["periods"][f"tw{q}"]
            cells.append(f"{fmt_number(p['realisasi'])} / {fmt_capaian(p['capaian'])}%"
                         if p["capaian"] is not None else fmt_number(p["realisasi"]))
        for s in (1, 2):
            p = r["periods"][f"s{s}"]
            cells.append(fmt_pct(p["capaian"]))
        quarter_rows.append(cells)
    b.add(_text("Realisasi dan capaian per triwulan serta per semester (realisasi / capaian):"))
    b.add(b.table(f"Realisasi dan capaian per triwulan dan semester Tahun {b.year}",
                          ["Indikator Kinerja", "TW I", "TW II", "TW III", "TW IV", "Smt I", "Smt II"],
                          quarter_rows, [3.8, 1.5, 1.5, 1.5, 1.5, 1.1, 1.1], "lrrrrrr", small=True))
    previous_year = b.snapshot.get("previous_year")
    _years_compared(b)
    _renstra(b)
    _semesters_cited(b)
    b.add(b.figure(trend_figure(b.rows, b.year, b.period_label)))
    b.add(Heading(3, "Analisis capaian per indikator", toc=False))
    for r in b.rows:
        b.add(Heading(3, f"Indikator {r['code']}: {r['name']}"))
        p = r.get("previous") or {}
        analysis = [["Sasaran", r["sasaran"]],
                    ["Satuan / arah", f"{r['unit']} / {_polarity_label(r['polarity'])}, "
                                      f"konsolidasi {_consolidation_label(r['consolidation'])}"],
                    ["Target", fmt_number(r["target"])],
                    ["Realisasi", fmt_number(r["realisasi"])],
                    ["Capaian (%)", fmt_capaian(r["capaian"])],
                    ["Kategori", _kategori_cell(r)]]
        for warning in warnings_of(r):
            analysis.append(["Catatan pemeriksaan", warning["message"]])
        if previous_year:
            analysis.append([f"Realisasi / capaian {previous_year}",
                             f"{fmt_number(p.get('realisasi'))} / {fmt_pct(p.get('capaian'))}"
                             if p else "Indikator tidak ada pada tahun sebelumnya"])
        for q in range(1, 5):
            period = r["periods"][f"tw{q}"]
            analysis.append([f"Triwulan {ROMAN[q - 1]} (target / realisasi / capaian)",
                             f"{fmt_number(period['target'])} / {fmt_number(period['realisasi'])} / "
                             f"{fmt_pct(period['capaian'])}"])
        analysis.append(["Sumber data", _source_text(r)])
        b.add(b.table(f"Analisis indikator {r['code']}", ["Uraian", "Nilai"], analysis, [4.5, 7.5], "ll",
                              small=True))
        b.add(_narrative(b.narrative, f"analisis:{r['code']}", _auto_analysis(r, b.year, previous_year,
                                                                                  b.period_label)))
        explanation = (b.narrative.get(f"penjelasan:{r['code']}") or "").strip()
        if explanation and warnings_of(r):
            b.add(Text([_para("**Penjelasan catatan pemeriksaan:**")] + parse_narrative(explanation)))
    _anggaran(b)
    b.add(PageBreak())


def _semesters_cited(b: Builder) -> None:
    """The annual report cites the semester reports compiled for its year (Mentawai): which version of each,
    where it stands, when it was signed, and each indicator's realisasi in it beside the annual."""
    cited = b.snapshot.get("semesters") or []
    if b.semester or not cited:
        return
    sentences = []
    for c in cited:
        state = (f"ditandatangani pada {tanggal(date.fromisoformat(c['signed_date']))}" if c.get("signed_date")
                 else f"berstatus {c['status_label']}, belum ditandatangani")
        sentences.append(f"{b.title} {c['label']} (versi {c['version']}, kode verifikasi "
                         f"{_code_text(c.get('verification_code'))}) {state}")
    b.add(Heading(3, "Laporan Kinerja Semester", toc=False))
    b.add(_text("Laporan tahunan ini disusun dari laporan kinerja semester: " + "; ".join(sentences) + ". "
                "Realisasi setiap indikator pada laporan semester tersebut, di samping realisasi tahunan:"))
    by_period = {c["period"]: c.get("realisasi") or {} for c in cited}
    body = [[f"{r['code']} {r['name']}", r["unit"], fmt_number(by_period.get("s1", {}).get(r["code"])),
             fmt_number(by_period.get("s2", {}).get(r["code"])), fmt_number(r["realisasi"])] for r in b.rows]
    b.add(b.table(f"Realisasi Semester I, Semester II dan {b.period_label}",
                  ["Indikator Kinerja", "Satuan", "Semester I", "Semester II", "Tahunan"], body,
                  [4.6, 1.6, 1.5, 1.5, 1.5], "llrrr", small=True))


def _code_text(code: str | None) -> str:
    return f"{code[:4]}-{code[4:]}" if code and len(code) == 8 else (code or DASH)


CHART_CAP = 200.0  # the bar chart's scale ends here; a bar above it is cut, its figure printed in bold


def capaian_figure(rows: Sequence[Mapping[str, Any]], year: int, period_label: str | None = None) -> Figure:
    """Capaian per indicator as bars (a dash where it cannot be measured), the target line at 100%."""
    values = [None if r.get("capaian") is None else float(r["capaian"]) for r in rows]
    clipped = [r["code"] for r, v in zip(rows, values) if v is not None and v > CHART_CAP]
    return Figure(f"Capaian indikator kinerja {period_label or f'Tahun {year}'}", "bar", [r["code"] for r in rows],
                  [("Capaian", values)], value_labels=[fmt_capaian(r.get("capaian")) for r in rows],
                  note=(f"Batang {', '.join(clipped)} dipotong pada {CHART_CAP:.0f}%; angka di atasnya adalah "
                        "capaian sebenarnya.") if clipped else "")


def trend_capaian(row: Mapping[str, Any]) -> list[float | None]:
    """Capaian s.d. each month against the year's target: the months so far consolidated as the indicator is."""
    target = _d(row.get("target_year"))
    months = [_d(v) for v in row.get("months") or []]
    out: list[float | None] = []
    for m in range(1, 13):
        if m > len(months) or months[m - 1] is None or target is None:
            out.append(None)
            continue
        value = consolidate(months[:m], row.get("consolidation") or "sum")
        result = capaian(target, value, row.get("polarity") or "+")
        out.append(None if result.value is None else float(result.value))
    return out


def trend_figure(rows: Sequence[Mapping[str, Any]], year: int, period_label: str | None = None) -> Figure:
    """The monthly trend: capaian s.d. each month of every indicator with a figure."""
    series = [(r["code"], trend_capaian(r)) for r in rows]
    series = [(code, values) for code, values in series if any(v is not None for v in values)]
    return Figure(f"Tren capaian kumulatif bulanan {period_label or f'Tahun {year}'} (capaian s.d. bulan terhadap target tahunan)",
                  "line", [m[:3] for m in MONTHS], series)


def _years_compared(b: Builder) -> None:
    """Realisasi and capaian against the earlier years (up to five) that have data in SILABU."""
    years = list(b.snapshot.get("history_years") or [])
    b.add(Heading(3, "Perbandingan dengan tahun-tahun sebelumnya", toc=False))
    if b.semester:
        b.add(_text(f"Laporan {b.period_label} memuat realisasi bulan-bulan semester ini saja; perbandingan dengan "
                    "tahun-tahun sebelumnya disajikan dalam Laporan Kinerja tahunan."))
        return
    if not years:
        b.add(_text(f"Belum ada Perjanjian Kinerja tahun-tahun sebelumnya di SILABU; perbandingan antartahun "
                    f"dimulai Tahun {b.year}."))
        return
    all_years = years + [b.year]
    b.add(_text(f"Realisasi dan capaian Tahun {b.year} dibandingkan dengan Tahun "
                f"{', '.join(str(y) for y in years)} (tahun yang datanya ada di SILABU: paket pleno final, entri "
                "terverifikasi dan realisasi yang diisi Rendatin). Tanda – berarti indikator tidak ada atau belum "
                "dapat diukur pada tahun tersebut."))

    def by_year(r: Mapping[str, Any]) -> dict[int, Mapping[str, Any]]:
        found = {h["year"]: h for h in r.get("history") or []}
        found[b.year] = r
        return found

    real_rows, cap_rows = [], []
    for r in b.rows:
        found = by_year(r)
        real_rows.append([f"{r['code']} {r['name']}", r["unit"]]
                         + [fmt_number((found.get(y) or {}).get("realisasi")) for y in all_years])
        prev = found.get(b.year - 1) or {}
        delta = DASH
        if prev.get("capaian") is not None and r.get("capaian") is not None:
            delta = fmt_capaian(_d(r["capaian"]) - _d(prev["capaian"]))
        cap_rows.append([f"{r['code']} {r['name']}"] + [fmt_capaian((found.get(y) or {}).get("capaian"))
                                                         for y in all_years]
                        + ([delta] if b.year - 1 in years else []))
    n = len(all_years)
    b.add(b.table(f"Perbandingan realisasi Tahun {all_years[0]}–{b.year}", ["Indikator Kinerja", "Satuan"]
                  + [str(y) for y in all_years], real_rows, [4.0, 1.5] + [1.3] * n, "ll" + "r" * n, small=True))
    b.add(b.table(f"Perbandingan capaian (%) Tahun {all_years[0]}–{b.year}", ["Indikator Kinerja"]
                  + [str(y) for y in all_years] + ([f"Selisih {b.year} thd {b.year - 1} (poin)"]
                                                   if b.year - 1 in years else []),
                  cap_rows, [4.0] + [1.3] * n + ([1.7] if b.year - 1 in years else []),
                  "l" + "r" * (n + (1 if b.year - 1 in years else 0)), small=True))


def _renstra(b: Builder) -> None:
    """Realisasi against the Renstra's end-of-period target."""
    rows = [r for r in b.rows if (r.get("renstra") or {}).get("target") is not None]
    b.add(Heading(3, "Perbandingan dengan target akhir periode Renstra", toc=False))
    if not rows:
        b.add(_text("Target akhir periode Renstra belum dicantumkan pada indikator Perjanjian Kinerja."))
        return
    body = []
    first_years = set()
    for r in rows:
        rs = r["renstra"]
        if rs.get("cumulative"):
            first_years.add(rs.get("from_year"))
            basis = (f"kumulatif {rs['from_year']}–{b.year}" if rs.get("from_year") != b.year
                     else f"Tahun {b.year}")
        else:
            basis = f"nilai Tahun {b.year}"
        body.append([f"{r['code']} {r['name']}", r["unit"], fmt_number(r["target"]), fmt_number(r["realisasi"]),
                     fmt_capaian(r["capaian"]), fmt_number(rs["target"]), f"{fmt_number(rs['realisasi'])} ({basis})",
                     fmt_capaian(rs.get("capaian"))])
    b.add(_text("Indikator yang dijumlahkan dibandingkan dengan target Renstra berdasarkan realisasi kumulatif "
                "tahun-tahun yang datanya ada di SILABU; indikator berupa nilai atau rata-rata dibandingkan "
                f"berdasarkan nilai Tahun {b.year}."))
    b.add(b.table(f"Capaian {b.period_label} terhadap target tahunan dan target akhir periode Renstra",
                  ["Indikator Kinerja", "Satuan", f"Target {b.year}", f"Realisasi {b.year}", "Capaian (%)",
                   "Target Renstra", "Realisasi terhadap Renstra", "Capaian Renstra (%)"], body,
                  [3.4, 1.3, 1.2, 1.3, 1.2, 1.3, 2.0, 1.3], "llrrrrrr", small=True))


def sasaran_capaian(rows: Sequence[Mapping[str, Any]]) -> dict[tuple[str, str], Decimal | None]:
    """The mean capaian of each sasaran's measurable indicators (two decimals)."""
    values: dict[tuple[str, str], list[Decimal]] = {}
    for r in rows:
        key = (r.get("sasaran_code") or "", r.get("sasaran") or "")
        values.setdefault(key, [])
        if r.get("capaian") is not None:
            values[key].append(_d(r["capaian"]))
    return {k: round2(sum(v, Decimal(0)) / len(v)) if v else None for k, v in values.items()}


def _anggaran(b: Builder) -> None:
    """Bab III B: pagu and realisasi per output code, absorption per sasaran beside its capaian, earlier years."""
    b.add(Heading(2, "B. Realisasi Anggaran"))
    budget = b.snapshot.get("budget") or {}
    lines = budget.get("lines") or []
    if not lines:
        b.add(_narrative(b.narrative, "bab3_anggaran",
                         [_para("(Bagian ini belum diisi oleh tim penyusun: pagu dan realisasi anggaran per "
                                "program/kegiatan beserta penjelasannya.)")]))
        b.add(_text(f"Data pagu dan realisasi anggaran Tahun {b.year} belum diimpor ke SILABU."))
        return
    total = budget["total"]
    b.add(_text(f"Pagu anggaran {b.subject} Tahun {b.year} sebesar Rp{fmt_rupiah(total['pagu'])} dengan realisasi "
                f"Rp{fmt_rupiah(total['realisasi'])}, sehingga penyerapan anggaran "
                f"{fmt_capaian(total['absorption'])}% (penyerapan = realisasi / pagu × 100%)."))
    b.add(_narrative(b.narrative, "bab3_anggaran"))
    body = [[line["code"], line["name"], fmt_rupiah(line["pagu"]), fmt_rupiah(line["realisasi"]),
             fmt_capaian(line["absorption"])] for line in lines]
    body.append(["Jumlah", "", fmt_rupiah(total["pagu"]), fmt_rupiah(total["realisasi"]),
                 fmt_capaian(total["absorption"])])
    b.add(b.table(f"Pagu dan realisasi anggaran per kode output Tahun {b.year}",
                  ["Kode Output", "Uraian", "Pagu (Rp)", "Realisasi (Rp)", "Penyerapan (%)"], body,
                  [3.3, 3.8, 2.1, 2.1, 1.6], "llrrr", small=True))
    by_sasaran = sasaran_capaian(b.rows)
    items = budget.get("sasaran") or []
    sas_body, analysis = [], []
    for item in items:
        cap = by_sasaran.get((item["sasaran_code"] or "", item["sasaran"] or ""))
        sas_body.append([item["sasaran"], fmt_capaian(cap), fmt_rupiah(item.get("pagu")),
                         fmt_rupiah(item.get("realisasi")), fmt_capaian(item.get("absorption"))])
        if item.get("absorption") is None:
            analysis.append(f"{item['sasaran']}: indikatornya belum dipetakan ke kode output yang beranggaran, "
                            "sehingga penyerapan anggarannya tidak dapat disandingkan.")
        elif cap is not None:
            gap = cap - _d(item["absorption"])
            word = ("lebih tinggi daripada" if gap > 0 else "lebih rendah daripada" if gap < 0 else "sama dengan")
            analysis.append(f"{item['sasaran']}: rata-rata capaian {fmt_capaian(cap)}% {word} penyerapan anggaran "
                            f"{fmt_capaian(item['absorption'])}%"
                            + (" (hasil dicapai dengan sumber daya yang lebih kecil dari rencana)." if gap > 0
                               else "." if gap == 0 else " (perlu dianalisis penyebabnya)."))
    b.add(b.table(f"Capaian kinerja dan penyerapan anggaran per sasaran Tahun {b.year}",
                  ["Sasaran", "Rata-rata capaian (%)", "Pagu (Rp)", "Realisasi (Rp)", "Penyerapan (%)"], sas_body,
                  [4.6, 1.8, 2.2, 2.2, 1.7], "lrrrr", small=True))
    if analysis:
        b.add(Text([_para("Efisiensi penggunaan sumber daya per sasaran:")]
                   + [Block("bullet", _runs(text)) for text in analysis]))
    history = budget.get("history") or []
    if history:
        b.add(b.table(f"Penyerapan anggaran Tahun {history[0]['year']}–{b.year}",
                      ["Tahun", "Pagu (Rp)", "Realisasi (Rp)", "Penyerapan (%)"],
                      [[str(h["year"]), fmt_rupiah(h["pagu"]), fmt_rupiah(h["realisasi"]),
                        fmt_capaian(h["absorption"])] for h in history]
                      + [[str(b.year), fmt_rupiah(total["pagu"]), fmt_rupiah(total["realisasi"]),
                          fmt_capaian(total["absorption"])]], [1.5, 3, 3, 2], "lrrr", small=True))


def _source_text(r: Mapping[str, Any]) -> str:
    codes = ", ".join(r.get("output_codes") or [])
    measure = r.get("measure") or ("manual" if r["source"] == "manual" else "sum_quantity")
    if measure == "sum_quantity":
        return (f"Jumlah kuantitas entri harian terverifikasi bersatuan {r['unit']} dengan kode output {codes} pada "
                "bulan dengan paket pleno final")
    if measure == "count_entries":
        return f"Jumlah entri harian terverifikasi kode output {codes} pada bulan dengan paket pleno final"
    if measure == "count_final_packets":
        return "Jumlah bulan yang paket pleno laporan bulanannya final (Lampiran 2)"
    return "Realisasi diisi Rendatin dengan bukti dukung (Lampiran 2)"


def _bab4(b: Builder) -> None:
    """Bab IV Penutup, signed."""
    b.add(Heading(1, "BAB IV PENUTUP"))
    below = [r for r in b.rows if r.get("capaian") is not None and _d(r["capaian"]) < 100]
    default_closing = [_para(f"Laporan Kinerja {b.subject} {b.period_label} menggambarkan capaian {b.summary['indicators']} "
                             "indikator kinerja yang ditetapkan dalam Perjanjian Kinerja."
                             + average_sentence(b.summary))]
    if below:
        default_closing.append(_para("Indikator yang belum mencapai target dan perlu menjadi perhatian pada tahun "
                                     "berikutnya:"))
        default_closing += [Block("bullet", _runs(f"{r['code']} {r['name']}: capaian {fmt_capaian(r['capaian'])}%"))
                            for r in below]
    b.add(_narrative(b.narrative, "bab4_penutup", default_closing))
    b.add(Signature(b.sign_place_date, b.signer.get("label", ""), b.signer.get("name", ""), b.signer.get("nip", ""),
                    b.paraf_text))
    b.add(PageBreak())


def _lampiran(b: Builder) -> None:
    """Lampiran: the PK, the data behind the figures, the monthly trend."""
    b.add(Heading(1, "LAMPIRAN"))
    _perjanjian_kinerja(b)
    b.add(PageBreak())
    b.add(Heading(2, "Lampiran 2. Data Dukung"))
    packets = b.snapshot.get("packets") or []
    if packets:
        b.add(b.table("Paket pleno laporan bulanan yang menjadi dasar realisasi",
                              ["Bulan", "Versi", "Nomor Berita Acara", "Tanggal pleno", "Sidik data (sha256)"],
                              [[bulan(p["period"]), str(p["version"]), p.get("berita_acara_number") or DASH,
                                tanggal(date.fromisoformat(p["pleno_date"])) if p.get("pleno_date") else DASH,
                                (p.get("data_sha256") or DASH)[:16]] for p in packets],
                              [1.8, 0.8, 3.6, 2.2, 3.2], "lclll", small=True))
    else:
        b.add(_text("Belum ada paket pleno laporan bulanan yang final."))
    manual = b.snapshot.get("manual") or []
    if manual:
        b.add(b.table("Realisasi yang diisi Rendatin beserta bukti dukungnya",
                              ["Indikator", "Bulan", "Nilai", "Keterangan", "Bukti dukung"],
                              [[m["indicator_code"], bulan(m["period"]), fmt_number(m["value"]), m.get("note") or "",
                                m.get("evidence_name") or DASH] for m in manual],
                              [1.4, 1.8, 1.2, 4.6, 2.6], "llrll", small=True))
    b.add(Heading(2, f"Lampiran 3. Tren Realisasi Bulanan Tahun {b.year}"))
    month_head = [m[:3] for m in MONTHS]
    b.add(b.table(f"Tren realisasi bulanan Tahun {b.year}", ["Indikator"] + month_head,
                          [[r["code"]] + [fmt_number(v) for v in r["months"]] for r in b.rows],
                          [1.4] + [0.88] * 12, "l" + "r" * 12, small=True))
    record = None
    if b.meta.signed:
        signed = b.meta.signed
        record = [f"Diparaf oleh {p['name']} ({p['title']}) pada {tanggal(date.fromisoformat(p['at']))}."
                  for p in signed.get("paraf") or []]
        record.append(f"Ditandatangani oleh {signed.get('name', '')}"
                      + (f" (NIP {signed['nip']})" if signed.get("nip") else "")
                      + f", {signed.get('title', '')}, pada {tanggal(date.fromisoformat(signed['date']))}.")
    b.add(Verification(b.meta.code, b.meta.url, b.meta.status_label, b.meta.compiled_at, record))


def _perjanjian_kinerja(b: Builder) -> None:
    """Lampiran 1: the Perjanjian Kinerja in its own format: the parties, the targets, programme and budget."""
    b.add(Heading(2, f"Lampiran 1. Perjanjian Kinerja Tahun {b.year}"))
    b.add(Title(["PERJANJIAN KINERJA TAHUN " + str(b.year), b.subject.upper()]))
    first = b.signer
    second = dict(b.snapshot.get("pk_party") or {})
    b.add(_text("Dalam rangka mewujudkan manajemen pemerintahan yang efektif, transparan dan akuntabel serta "
                "berorientasi pada hasil, kami yang bertanda tangan di bawah ini:"))
    b.add(b.table(f"Para pihak Perjanjian Kinerja Tahun {b.year}", ["Pihak", "Nama", "NIP", "Jabatan"],
                  [["Pihak Pertama", first.get("name") or "..........", first.get("nip") or DASH,
                    first.get("label", "")],
                   ["Pihak Kedua", second.get("name") or "..........", second.get("nip") or DASH,
                    second.get("label", "")]], [2.2, 3.6, 3.0, 4.6], "llll", small=True))
    b.add(_text("Pihak Pertama berjanji akan mewujudkan target kinerja yang seharusnya sesuai lampiran perjanjian "
                "ini, dalam rangka mencapai target kinerja jangka menengah seperti yang telah ditetapkan dalam "
                "dokumen perencanaan. Keberhasilan dan kegagalan pencapaian target kinerja tersebut menjadi "
                "tanggung jawab Pihak Pertama.",
                "Pihak Kedua akan melakukan supervisi yang diperlukan serta akan melakukan evaluasi terhadap "
                "capaian kinerja dari perjanjian ini dan mengambil tindakan yang diperlukan dalam rangka "
                "pemberian penghargaan dan sanksi."))
    b.add(b.table(f"Lampiran Perjanjian Kinerja Tahun {b.year}: sasaran, indikator dan target",
                  ["No", "Sasaran", "Indikator Kinerja", "Satuan", "Target"],
                  [list(r) for r in b.pk_rows], [0.6, 3.2, 4.2, 1.4, 1.4], "cllcr", group_column=1))
    programs = (b.snapshot.get("budget") or {}).get("programs") or []
    if programs:
        body = [[str(i), f"{p['code']} {p['name']}", fmt_rupiah(p["pagu"])] for i, p in enumerate(programs, start=1)]
        total = sum((_d(p["pagu"]) for p in programs), Decimal(0))
        body.append(["", "Jumlah", fmt_rupiah(total)])
    else:
        body = [["1", "Anggaran belum diimpor ke SILABU", DASH]]
    b.add(b.table(f"Program dan anggaran Perjanjian Kinerja Tahun {b.year}", ["No", "Program", "Anggaran (Rp)"],
                  body, [0.6, 8.4, 3], "clr", small=True))
    pk_date = f"{b.place}, {b.year}" if b.meta.signed else f"{b.place or '..........'}, .................... {b.year}"
    b.add(Signatures(pk_date, [Party(second.get("label", ""), second.get("name", ""), second.get("nip", ""),
                                     "Pihak Kedua,"),
                               Party(first.get("label", ""), first.get("name", ""), first.get("nip", ""),
                                     "Pihak Pertama,")]))


CHAPTERS = (_cover, _kata_pengantar, _contents, _ringkasan, _bab1, _bab2, _bab3, _bab4, _lampiran)


def build_elements(snapshot: Mapping[str, Any], narrative: Mapping[str, str], meta: DocumentMeta) -> list[Element]:
    """The whole document, in order, from frozen data: both writers write exactly this."""
    b = Builder(snapshot, narrative, meta)
    for chapter in CHAPTERS:
        chapter(b)
    return b.elements


def _auto_analysis(r: Mapping[str, Any], year: int, previous_year: int | None,
                   period_label: str | None = None) -> list[Block]:
    unit = r["unit"]
    label = period_label or f"Tahun {year}"
    if r.get("capaian") is None:
        text = (f"Capaian indikator {r['name']} pada {label} belum dapat diukur: "
                f"{(r.get('reason') or '').rstrip('.')}.")
    else:
        text = (f"Pada {label}, indikator {r['name']} ditargetkan {fmt_number(r['target'])} {unit} dan "
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
