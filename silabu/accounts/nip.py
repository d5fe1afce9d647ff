"""NIP (Nomor Induk Pegawai) validation: 18 digits, birth date, TMT CPNS, gender, sequence."""
from __future__ import annotations

from datetime import date


def nip_problem(nip: str, today: date | None = None) -> str | None:
    """Return why ``nip`` is not a valid NIP (Bahasa Indonesia), or None when it is."""
    today = today or date.today()
    if not isinstance(nip, str) or not nip:
        return "NIP wajib diisi."
    nip = nip.strip()
    if len(nip) != 18 or not (nip.isascii() and nip.isdigit()):
        return "NIP harus terdiri dari 18 digit angka."
    try:
        birth = date(int(nip[0:4]), int(nip[4:6]), int(nip[6:8]))
    except ValueError:
        return "Delapan digit pertama NIP bukan tanggal lahir yang sah (TTTTBBHH)."
    if birth.year < 1940 or birth > date(today.year - 17, today.month, min(today.day, 28)):
        return "Tanggal lahir pada NIP tidak masuk akal."
    tmt_year, tmt_month = int(nip[8:12]), int(nip[12:14])
    if not 1 <= tmt_month <= 12:
        return "Digit 13–14 NIP (bulan TMT CPNS) harus 01–12."
    if (tmt_year, tmt_month) > (today.year, today.month):
        return "TMT CPNS pada NIP berada di masa depan."
    if not 17 <= tmt_year - birth.year <= 60:
        return "TMT CPNS pada NIP tidak cocok dengan tanggal lahir."
    if nip[14] not in "12":
        return "Digit ke-15 NIP (jenis kelamin) harus 1 atau 2."
    if nip[15:] == "000":
        return "Tiga digit terakhir NIP (nomor urut) tidak boleh 000."
    return None


def is_valid_nip(nip: str, today: date | None = None) -> bool:
    return nip_problem(nip, today) is None
