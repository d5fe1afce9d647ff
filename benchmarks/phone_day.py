"""Benchmark: a day on a phone, measured in a real browser (issue 14). Prints taps, requests and bytes transferred
(HTML, API, static assets and uploads, as the network sends them: headers plus gzip bodies) of

1. the ASN's daily entry: from the home page, "Catat", output code, activity, output, quantity, one photo from the
   camera, "Simpan & ajukan" -- once with an empty cache (the first day) and once with a warm one (every day after);
2. verifying a 10-person unit-month: from the home page, "Verifikasi", the unit, "Verifikasi semua (n) lalu lanjut
   ke ..." once per ASN, then "Tutup bulan" and its confirmation.

It serves SILABU with gunicorn on loopback (benchmarks/loadtest/server.py: a fresh SQLite migrated with
`flask db upgrade`, the demo organisation, its own upload folder), adds 4 ASN to the demo's KUL unit (6 + 4 = 10),
logs every working day of last month for each of them through the API and drives Debian's Chromium
(/usr/bin/chromium --no-sandbox --disable-background-networking --disable-component-update, its own
--user-data-dir) through Playwright at 390x844, with SILABU's service worker as a phone has it (it keeps the static
files on the device) or, with --no-service-worker, only the browser's HTTP cache.

Run from the project root:  python benchmarks/phone_day.py [--root OTHER_CHECKOUT] [--chromium PATH]
(--root serves another checkout of SILABU, e.g. an older commit extracted with `git archive`, for a before/after.)
"""
from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.loadtest import server as live  # noqa: E402 - after the path is set

CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-gpu",
                 "--no-first-run", "--disable-sync"]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "locale": "id-ID", "timezone_id": "Asia/Jakarta"}
PASSWORD = "silabu-demo"
EXTRA_PASSWORD = "Benchmark-Pass-2026"
CODE_KUL = "076.01.WA.4499.EBA.962"
ASN_KUL = "198603242014031003"  # Agus Handayani
KASUBAG_KUL = "197401301999012002"  # Agus Pratama
DEMO_KUL_ASN = ["198603242014031003", "196807301998022004", "197501161999022005", "199003032015032006",
                "199006072018022007", "198012172005041008"]
EXTRA = [(f"19900{i}0{i}2020121{i:03d}", f"Pegawai Tambahan {i}") for i in range(1, 5)]
PHOTO = ROOT.parent / "shared" / "data" / "uploads" / "good" / "browser_compressed_1600.jpg"
SATKER_TZ = ZoneInfo("Asia/Jakarta")


@dataclass
class Meter:
    """What one phone did: taps (and keys typed); requests that went over the network, apart from those the service
    worker or the browser cache answered on the device; bytes received and sent (headers + bodies as on the wire,
    gzip where the server compresses; the photo's upload included), by kind. The service worker's own fetches
    (its install copies the static files) count as network requests."""

    taps: int = 0
    keys: int = 0
    requests: int = 0
    local: int = 0
    received: int = 0
    sent: int = 0
    uploads: int = 0
    by_kind: dict[str, list[int]] = field(default_factory=dict)

    def attach(self, context, page) -> None:
        context.on("requestfinished", self._finished)

    @staticmethod
    def _kind(url: str) -> str:
        return "static" if "/static/" in url or url.endswith("/sw.js") else "api" if "/api/" in url else "page"

    def _finished(self, request) -> None:
        response = request.response()
        if response is None:
            return
        sizes = request.sizes()
        # Chromium reports a body size of minus the headers' size for an answer from its HTTP cache (nothing went
        # over the network), so only the sum is the transfer size.
        received = max(max(sizes["responseHeadersSize"], 0) + sizes["responseBodySize"], 0)
        if response.from_service_worker or received <= 0:
            self.local += 1
            return
        self.requests += 1
        self.received += received
        body = max(sizes["requestBodySize"], 0)
        if not body and request.method != "GET":  # Playwright reports no size for a multipart upload of a Blob
            body = int(request.all_headers().get("content-length") or 0)
        self.sent += max(sizes["requestHeadersSize"], 0) + body
        if body > 50_000:
            self.uploads += body
        row = self.by_kind.setdefault(self._kind(request.url), [0, 0])
        row[0] += 1
        row[1] += received

    def tap(self, locator, **kw) -> None:
        self.taps += 1
        locator.click(**kw)

    def type(self, locator, text: str) -> None:
        self.taps += 1
        locator.click()
        locator.fill(text)
        self.keys += len(text)

    def reset(self) -> None:
        self.taps = self.keys = self.requests = self.local = self.received = self.sent = self.uploads = 0
        self.by_kind.clear()

    def line(self, label: str) -> str:
        kinds = ", ".join(f"{k} {n}/{b / 1024:.1f} KB" for k, (n, b) in sorted(self.by_kind.items()))
        return (f"{label:44s} taps {self.taps:3d} keys {self.keys:3d} | requests {self.requests:3d} "
                f"(+{self.local} on the device) | received {self.received / 1024:6.1f} KB, sent {self.sent / 1024:6.1f} KB"
                f"{f' (photo {self.uploads / 1024:.0f} KB)' if self.uploads else ''}"
                f" | {kinds}")


def working_days(year: int, month: int) -> list[date]:
    import holidays

    national = holidays.Indonesia(years=year, language="id")
    day, out = date(year, month, 1), []
    while day.month == month:
        if day.weekday() < 5 and day not in national:
            out.append(day)
        day += timedelta(days=1)
    return out


def previous_month() -> tuple[str, list[date]]:
    first = datetime.now(SATKER_TZ).date().replace(day=1)
    prev = first - timedelta(days=1)
    return f"{prev.year:04d}-{prev.month:02d}", working_days(prev.year, prev.month)


def token(request_ctx, login: str, password: str) -> str:
    resp = request_ctx.post("/api/v1/auth/token", data={"username": login, "password": password})
    assert resp.status == 200, resp.text()
    return resp.json()["token"]


def fill_month(pw, base_url: str, logins: list[tuple[str, str]], days: list[date]) -> int:
    """Every working day of the month, one submitted entry per ASN, through the API."""
    count = 0
    anon = pw.request.new_context(base_url=base_url)
    for login, password in logins:
        ctx = pw.request.new_context(base_url=base_url,
                                     extra_http_headers={"Authorization": f"Bearer {token(anon, login, password)}"})
        for n, day in enumerate(days):
            resp = ctx.post("/api/v1/entries", data={
                "entry_date": day.isoformat(), "output_code": CODE_KUL, "activity": f"Mengagendakan surat masuk {n + 1}",
                "output": "Agenda surat", "quantity": 2, "unit": "Dokumen"})
            assert resp.status == 201, resp.text()
            sent = ctx.post(f"/api/v1/entries/{resp.json()['id']}/submit")
            assert sent.status == 200, sent.text()
            count += 1
        ctx.dispose()
    anon.dispose()
    return count


def login(page, base_url: str, who: str, password: str = PASSWORD) -> None:
    """Log in (not measured: the Kasubag's phone is logged in already)."""
    page.goto(base_url + "/masuk")
    page.get_by_label("NIP atau nama pengguna").fill(who)
    page.get_by_label("Kata sandi").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Masuk").click()


def daily_entry(browser, base_url: str, day: date, workers: str) -> list[str]:
    """The ASN's entry of the day: the first day (logging in, empty cache), then a day after (logged in, warm cache)."""
    out = []
    context = browser.new_context(**PHONE, service_workers=workers)
    page = context.new_page()
    meter = Meter()
    meter.attach(context, page)
    for run in range(2):
        if run == 0:
            page.goto(base_url + "/masuk")
            meter.type(page.get_by_label("NIP atau nama pengguna"), ASN_KUL)
            meter.type(page.get_by_label("Kata sandi"), PASSWORD)
            with page.expect_navigation():
                meter.tap(page.get_by_role("button", name="Masuk"))
        else:
            page.goto(base_url + "/beranda")  # opening the app, still logged in
        page.wait_for_load_state("networkidle")
        meter.tap(page.locator("nav.bottomnav").get_by_role("link", name="Catat"))
        page.wait_for_url("**/entri/baru**")
        form = page.locator("#entry-form")
        if form.locator("input[name=entry_date]").input_value() != day.isoformat():
            meter.type(form.locator("input[name=entry_date]"), day.isoformat())
        meter.taps += 2  # the code list opens, one code is chosen
        form.locator("select[name=output_code]").select_option(CODE_KUL)
        meter.type(form.get_by_label("Uraian kegiatan"), f"Mengagendakan surat masuk dari KPU Provinsi ({run + 1})")
        meter.type(form.get_by_label("Hasil / output"), "Agenda surat masuk")
        meter.type(form.get_by_label("Jumlah"), "3")
        meter.taps += 2  # "Ambil foto", then the camera's shutter
        form.locator("input[name=camera]").set_input_files(str(PHOTO))
        meter.tap(page.get_by_role("button", name="Simpan & ajukan"))
        page.get_by_text("Entri diajukan ke verifikator.").first.wait_for(timeout=60_000)
        page.wait_for_load_state("networkidle")
        out.append(meter.line("  first day: log in, entry, photo (cold)" if run == 0
                              else "  every day after: entry, photo (warm)"))
        meter.reset()
    context.close()
    return out


def verify_month(browser, base_url: str, period: str, asn_count: int, workers: str) -> list[str]:
    """The Kasubag, logged in on the home page (empty cache): the unit-month verified ASN by ASN, then closed."""
    context = browser.new_context(**PHONE, service_workers=workers)
    page = context.new_page()
    meter = Meter()
    meter.attach(context, page)
    login(page, base_url, KASUBAG_KUL)
    page.wait_for_load_state("networkidle")
    meter.reset()
    meter.tap(page.locator("nav.bottomnav").get_by_role("link", name="Verifikasi"))
    page.wait_for_load_state("networkidle")
    if f"month={period}" not in page.url and page.locator(".v-unit", has_text="Keuangan").count() == 0:
        page.goto(base_url + f"/verifikasi/?month={period}")
    meter.tap(page.locator(".v-unit", has_text="Keuangan").get_by_role("link").first)
    page.wait_for_load_state("networkidle")
    started = time.perf_counter()
    done = 0
    while page.locator(".v-verify-all button").count():
        meter.tap(page.locator(".v-verify-all button"))
        page.wait_for_load_state("networkidle")
        done += 1
        if done > asn_count + 2:
            raise RuntimeError("verify-all does not move on")
    page.once("dialog", lambda d: d.accept())
    meter.taps += 1  # the confirmation
    meter.tap(page.get_by_role("button", name=re.compile("^Tutup bulan")))
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("ditutup; entri terkunci").count(), "the month did not close"
    seconds = time.perf_counter() - started
    context.close()
    return [meter.line(f"  verify {asn_count} ASN ({done} x verify-all) and close"),
            f"  {'':44s} wall time {seconds:.1f} s"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=str(ROOT), help="the SILABU checkout to serve (default: this one)")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--no-service-worker", action="store_true", help="block the service worker")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    live.ROOT = Path(args.root).resolve()
    period, days = previous_month()
    with tempfile.TemporaryDirectory(prefix="silabu-phone-day-") as tmp:
        server = live.LiveServer(Path(tmp) / "server", workers=2, threads=4)
        print(f"== SILABU from {live.ROOT} at {server.url}; preparing the demo organisation ...", flush=True)
        server.prepare()
        for nip, name in EXTRA:
            server.flask("create-user", "--nip", nip, "--name", name, "--unit", "KUL", "--roles", "asn",
                         "--password", EXTRA_PASSWORD)
        server.start()
        try:
            with sync_playwright() as pw:
                logins = [(n, PASSWORD) for n in DEMO_KUL_ASN] + [(n, EXTRA_PASSWORD) for n, _ in EXTRA]
                t0 = time.perf_counter()
                entries = fill_month(pw, server.url, logins, days)
                print(f"   {entries} submitted entries of {period} for {len(logins)} ASN of KUL "
                      f"({time.perf_counter() - t0:.0f} s through the API)", flush=True)
                browser = pw.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS, headless=True)
                try:
                    today = datetime.now(SATKER_TZ).date()
                    while today.weekday() >= 5:
                        today -= timedelta(days=1)
                    print("== the ASN's daily entry (Chromium 390x844)")
                    workers = "block" if args.no_service_worker else "allow"
                    print(f"   service worker: {'blocked' if args.no_service_worker else 'allowed'}")
                    for line in daily_entry(browser, server.url, today, workers):
                        print(line, flush=True)
                    print(f"== verifying the 10-person unit-month {period} ({entries} entries)")
                    for line in verify_month(browser, server.url, period, len(logins), workers):
                        print(line, flush=True)
                finally:
                    browser.close()
        finally:
            server.stop()


if __name__ == "__main__":
    main()
