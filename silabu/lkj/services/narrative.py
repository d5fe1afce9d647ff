"""The team's narrative text of an LKj: the fixed chapters and one analysis per indicator."""
from __future__ import annotations

from dataclasses import dataclass

from silabu.accounts.models import User
from silabu.core import audit
from silabu.core.clock import utcnow
from silabu.core.errors import Conflict, NotFound, ValidationFailed
from silabu.extensions import db
from silabu.lkj.models import LkjReport
from silabu.lkj.services.indicators import indicators_for

SECTION_MAX = 20000


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    hint: str


FIXED_SECTIONS: tuple[Section, ...] = (
    Section("kata_pengantar", "Kata Pengantar",
            "Pengantar singkat dari pimpinan: maksud laporan dan ucapan terima kasih."),
    Section("ringkasan_eksekutif", "Ringkasan Eksekutif",
            "Gambaran singkat tujuan, sasaran dan capaian utama. Ringkasan angka dibuat otomatis di bawah teks ini."),
    Section("bab1_latar_belakang", "Bab I A. Latar Belakang", "Dasar hukum dan maksud penyusunan LKj."),
    Section("bab1_organisasi", "Bab I B. Tugas, Fungsi dan Struktur Organisasi",
            "Tugas, fungsi, susunan organisasi dan sumber daya manusia."),
    Section("bab1_isu_strategis", "Bab I C. Permasalahan Utama (Isu Strategis)",
            "Permasalahan utama yang dihadapi organisasi pada tahun ini."),
    Section("bab2_perencanaan", "Bab II Perencanaan Kinerja",
            "Rencana Strategis, Rencana Kinerja Tahunan dan Perjanjian Kinerja. Tabel PK dibuat otomatis."),
    Section("bab3_capaian", "Bab III A. Capaian Kinerja Organisasi",
            "Pengantar capaian kinerja. Tabel Capaian dan analisis per indikator dibuat otomatis dari data."),
    Section("bab3_anggaran", "Bab III B. Realisasi Anggaran",
            "Pagu dan realisasi anggaran per program/kegiatan beserta penjelasannya."),
    Section("bab4_penutup", "Bab IV Penutup", "Kesimpulan capaian, kendala, dan langkah perbaikan tahun berikutnya."),
)


# Sections a version cannot be initialled without: the document prints a placeholder while they are empty.
MANDATORY_SECTIONS = ("ringkasan_eksekutif", "bab1_organisasi", "bab1_isu_strategis", "bab3_anggaran")
EXPLANATION_PREFIX = "penjelasan:"


def sections_for(report: LkjReport) -> list[Section]:
    """The fixed sections, and per indicator its analysis and the explanation of its warnings."""
    sections = list(FIXED_SECTIONS)
    for ind in indicators_for(report.year, report.report_code):
        sections.append(Section(f"analisis:{ind.code}", f"Analisis indikator {ind.code}: {ind.name}",
                                "Analisis capaian: penyebab keberhasilan/kegagalan, perbandingan dengan tahun lalu, "
                                "efisiensi, dan program penunjang. Tabel angka dibuat otomatis."))
        sections.append(Section(f"{EXPLANATION_PREFIX}{ind.code}", f"Penjelasan catatan pemeriksaan {ind.code}",
                                "Wajib bila baris indikator ini bercatatan (satuan berbeda, capaian tidak wajar, "
                                "bulan belum final): penyebabnya dan apa yang akan dilakukan."))
    return sections


def paraf_blockers(data: dict | None, narrative: dict | None) -> list[str]:
    """What keeps a compiled version from receiving paraf: placeholder sections, flagged rows left unexplained.

    Read from the version's own frozen figures and narrative, so a text written after compiling counts only once
    it is compiled into a version."""
    narrative = narrative or {}
    titles = {s.key: s.title for s in FIXED_SECTIONS}
    missing = [f"{titles[key]} masih berupa teks pengganti: tulis bagian ini."
               for key in MANDATORY_SECTIONS if not (narrative.get(key) or "").strip()]
    for row in (data or {}).get("rows", []):
        flags = row.get("warnings") or []
        if flags and not (narrative.get(f"{EXPLANATION_PREFIX}{row['code']}") or "").strip():
            missing.append(f"Indikator {row['code']} bercatatan ({'; '.join(w['message'] for w in flags)}) tetapi "
                           "belum diberi penjelasan penyebab dan tindak lanjutnya.")
    return missing


def save_section(report: LkjReport, key: str, text: str, actor: User | None) -> None:
    """Keep the team's text of one narrative section (plain text: paragraphs, **tebal**, butir '- ')."""
    if report.is_signed:
        raise Conflict("LKj sudah ditandatangani; narasinya tidak dapat diubah lagi.", code="lkj_signed")
    if key not in {s.key for s in sections_for(report)}:
        raise NotFound("Bagian narasi tidak ditemukan.")
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(text) > SECTION_MAX:
        raise ValidationFailed({"text": f"Teks maksimal {SECTION_MAX} karakter (sekarang {len(text)})."})
    narrative = dict(report.narrative or {})
    before = narrative.get(key, "")
    if text:
        narrative[key] = text
    else:
        narrative.pop(key, None)
    report.narrative = narrative
    report.updated_at = utcnow()
    db.session.flush()
    audit.record("lkj.narrative.set", report, actor=actor, before={"section": key, "text": before},
                 after={"section": key, "text": text})
