"""Browser end-to-end fixtures: a live SILABU (gunicorn on loopback, fresh SQLite migrated with
`flask db upgrade` and loaded with `flask demo-data --no-entries`, its own upload folder) driven by Debian's
Chromium through Playwright at a phone viewport.

Without Chromium or the playwright package the whole folder is skipped with the reason; with
SILABU_E2E_REQUIRED=1 (CI) it fails instead. Screenshots go to artifacts/screenshots/ (git-ignored).
Select or deselect the suite with ``-m e2e`` / ``-m "not e2e"``.
"""
from __future__ import annotations

import importlib.util
import os
import sys
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

HERE = Path(__file__).resolve().parent
CHROMIUM = os.environ.get("SILABU_CHROMIUM", "/usr/bin/chromium")
REQUIRED = os.environ.get("SILABU_E2E_REQUIRED", "").strip().lower() in {"1", "true", "yes", "on"}
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
UPLOADS_GOOD = ROOT.parent / "shared" / "data" / "uploads" / "good"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-gpu",
                 "--disable-quic", "--no-first-run", "--disable-sync"]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "locale": "id-ID", "timezone_id": "Asia/Jakarta"}
SATKER_TZ = ZoneInfo("Asia/Jakarta")  # the demo satker (3319 Kudus) is in WIB
DEMO_PASSWORD = "silabu-demo"
TIMEOUT_MS = 30_000


@dataclass(frozen=True)
class Account:
    login: str
    name: str
    unit: str


# The demo organisation (silabu/demo/data/users.csv), loaded by `flask demo-data --no-entries`.
ASN_KUL = Account("198603242014031003", "Agus Handayani", "KUL")
KASUBAG_KUL = Account("197401301999012002", "Agus Pratama", "KUL")
RENDATIN = Account("198102142011012017", "Eko Maharani", "RDI")
ASN_TPH = Account("197603161999041010", "Budi Firmansyah", "TPH")
ASN_HSD = Account("198008022008011024", "Agus Hidayat", "HSD")
ASN_HSD_2 = Account("197108022000032025", "Dewi Santoso", "HSD")
CODE_KUL = "076.01.WA.4499.EBA.962"  # Mengelola surat masuk dan keluar


def missing_reason() -> str | None:
    if not Path(CHROMIUM).is_file() or not os.access(CHROMIUM, os.X_OK):
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is not installed (pip install -r requirements-e2e.txt)"
    return None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: browser end-to-end test (Playwright + Debian's Chromium, live gunicorn)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = missing_reason()
    for item in items:
        if HERE not in Path(str(item.fspath)).resolve().parents:
            continue
        item.add_marker(pytest.mark.e2e)
        if reason and not REQUIRED:
            item.add_marker(pytest.mark.skip(reason=f"e2e skipped: {reason}"))


# ---------- dates the flow can use ----------

def satker_today() -> date:
    return datetime.now(SATKER_TZ).date()


def working_days(year: int, month: int) -> list[date]:
    """Monday-Friday minus national holidays: what MonthCalendar says on a fresh database (no office days)."""
    import holidays

    national = holidays.Indonesia(years=year, language="id")
    day = date(year, month, 1)
    out = []
    while day.month == month:
        if day.weekday() < 5 and day not in national:
            out.append(day)
        day += timedelta(days=1)
    return out


def previous_month(today: date | None = None) -> tuple[str, list[date]]:
    """The month before today's (satker time) and its working days: past its last working day, so closable."""
    first = (today or satker_today()).replace(day=1)
    prev = first - timedelta(days=1)
    return f"{prev.year:04d}-{prev.month:02d}", working_days(prev.year, prev.month)


# ---------- the server ----------

@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    reason = missing_reason()
    if reason:
        if REQUIRED:
            pytest.fail(f"SILABU_E2E_REQUIRED=1 but {reason}")
        pytest.skip(reason)
    from benchmarks.loadtest.server import LiveServer

    for old in SCREENSHOTS.glob("*.png"):  # this run's pictures only
        old.unlink()
    server = LiveServer(tmp_path_factory.mktemp("e2e-server"), database_url=os.environ.get("SILABU_E2E_DATABASE_URL"),
                        workers=2, threads=4)
    if server.database_url.startswith("postgres"):
        from benchmarks.loadtest.server import recreate_postgres_database

        server.env["DATABASE_URL"] = server.database_url = recreate_postgres_database(server.database_url)
    server.prepare()
    server.start()
    yield server
    server.stop()


# ---------- the browser ----------

@pytest.fixture(scope="session")
def playwright_driver(live_server):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=15_000)
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright_driver):
    # Playwright gives every launch its own temporary --user-data-dir; nothing touches ~/.config/chromium.
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield browser
    browser.close()


@dataclass
class Watch:
    """What a browser context reported: console errors, uncaught page errors, CSP violations."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)

    def csp_problems(self) -> list[str]:
        return self.csp_violations + [m for m in self.console_errors if "content security policy" in m.lower()]


# Every document reports CSP violations to the test at once (securitypolicyviolation events).
CSP_LISTENER = """
document.addEventListener('securitypolicyviolation', function (e) {
  if (window.__silabuCsp) {
    window.__silabuCsp(location.pathname + ': ' + e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') +
                       ' at ' + e.sourceFile + ':' + e.lineNumber);
  }
}, true);
"""


class Phone:
    """One person's phone: a browser context with the phone viewport, and helpers to drive SILABU."""

    def __init__(self, context, base_url: str, watch: Watch) -> None:
        self.context = context
        self.base_url = base_url
        self.watch = watch
        self.page = context.new_page()
        self._hook(self.page)

    def _hook(self, page) -> None:
        def on_console(msg) -> None:
            if msg.type == "error":
                self.watch.console_errors.append(f"{page.url}: {msg.text}")

        page.on("console", on_console)
        page.on("pageerror", lambda exc: self.watch.page_errors.append(f"{page.url}: {exc}"))

    def goto(self, path: str):
        return self.page.goto(self.base_url + path)

    def login(self, account: Account, password: str = DEMO_PASSWORD, *, shot: str | None = None) -> None:
        self.goto("/masuk")
        if shot:
            screenshot(self.page, shot)
        self.page.get_by_label("NIP atau nama pengguna").fill(account.login)
        self.page.get_by_label("Kata sandi").fill(password)
        with self.page.expect_navigation():
            self.page.get_by_role("button", name="Masuk").click()
        assert self.page.url.endswith("/beranda"), f"login as {account.name} ended at {self.page.url}"


def overflow(page) -> list[str]:
    """Elements wider than the phone: on a real phone the whole page would be shown zoomed out."""
    return page.evaluate("""() => {
      const width = document.documentElement.clientWidth;
      if (document.documentElement.scrollWidth <= width + 1 && window.innerWidth <= width + 1) return [];
      return Array.from(document.querySelectorAll('body *'))
        .filter((e) => e.getBoundingClientRect().right > width + 1)
        .slice(0, 5)
        .map((e) => e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).trim().replace(/\\s+/g, '.') : '') +
                    ' right=' + Math.round(e.getBoundingClientRect().right) + 'px');
    }""")


def assert_fits_phone(page) -> None:
    wide = overflow(page)
    assert not wide, (f"{page.url} is wider than the {PHONE['viewport']['width']} px phone screen "
                      f"(the browser zooms the whole page out): {wide}")


def screenshot(page, name: str) -> Path:
    """A small PNG of what the phone shows (CSS pixels, viewport only) under artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), scale="css", animations="disabled")
    return path


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.e2e_failed = report.failed


@pytest.fixture()
def phone(browser, live_server, request):
    """Factory: ``phone()`` opens a fresh phone (own cookies, storage, service worker)."""
    opened: list = []

    def _open(*, javascript: bool = True, **options) -> Phone:
        context = browser.new_context(**PHONE, java_script_enabled=javascript, accept_downloads=True, **options)
        context.set_default_timeout(TIMEOUT_MS)
        watch = Watch()
        context.expose_function("__silabuCsp", lambda text: watch.csp_violations.append(text))
        context.add_init_script(CSP_LISTENER)
        p = Phone(context, live_server.url, watch)
        opened.append(p)
        return p

    yield _open
    for n, p in enumerate(opened, 1):
        if getattr(request.node, "e2e_failed", False):
            try:  # what each phone showed when the test failed, kept with the other screenshots
                screenshot(p.page, f"FAILED-{request.node.name}-{n}")
            except Exception:
                pass
        p.context.close()


@pytest.fixture()
def api(playwright_driver, live_server):
    """Factory: ``api(account)`` returns a Playwright request context with that person's API token."""
    opened: list = []

    def _open(account: Account, password: str = DEMO_PASSWORD):
        anon = playwright_driver.request.new_context(base_url=live_server.url)
        resp = anon.post("/api/v1/auth/token", data={"username": account.login, "password": password})
        assert resp.status == 200, resp.text()
        token = resp.json()["token"]
        anon.dispose()
        ctx = playwright_driver.request.new_context(base_url=live_server.url,
                                                    extra_http_headers={"Authorization": f"Bearer {token}"})
        opened.append(ctx)
        return ctx

    yield _open
    for ctx in opened:
        ctx.dispose()


@pytest.fixture(scope="session")
def photo() -> Path:
    path = UPLOADS_GOOD / "browser_compressed_1600.jpg"
    assert path.is_file(), f"upload corpus missing: {path}"
    return path
