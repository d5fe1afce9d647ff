"""Field conditions of the entry page (issue 6): what a phone downloads, and whether it works as a PWA.

Starts SILABU under gunicorn on loopback (fresh SQLite, demo organisation), drives Debian's Chromium through
Playwright at a phone viewport and prints:
1. bytes over the network for the entry page (/entri/baru): a first visit with a cold cache, a repeat
   visit with the service worker in control, and a repeat visit with the service worker blocked
   (HTTP cache only); requests made by the service worker while it installs are counted apart;
2. load time of a first visit on an emulated slow 3G link (400 ms RTT, 400 kbit/s down);
3. the PWA: manifest served and complete, service worker controlling the page after a reload, the entry page
   opening offline from the service worker's cache.

Usage: python benchmarks/field_conditions.py [--database-url URL] [--json]
Needs /usr/bin/chromium (apt-get install chromium) and `pip install -r requirements-e2e.txt`.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-gpu",
                 "--disable-quic", "--no-first-run", "--disable-sync"]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "locale": "id-ID", "timezone_id": "Asia/Jakarta"}
ENTRY_PAGE = "/entri/baru"
ASN_LOGIN, ASN_PASSWORD = "197502141999041011", "silabu-demo"  # Ayu Firmansyah (TPH), demo organisation
SLOW_3G = {"offline": False, "latency": 400, "downloadThroughput": 400 * 1000 // 8, "uploadThroughput": 400 * 1000 // 8}


@dataclass
class Weight:
    """Bytes a page load cost on the network (headers + encoded bodies), by who asked for them."""

    page_bytes: int = 0          # requests of the page that reached the network
    page_requests: int = 0
    from_sw: int = 0             # requests the service worker answered (no page bytes on the network)
    sw_bytes: int = 0            # the service worker's own network requests (install, network-first pages)
    sw_requests: int = 0
    by_type: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def network_bytes(self) -> int:
        return self.page_bytes + self.sw_bytes


def login_context(context, base_url: str, login: str = ASN_LOGIN, password: str = ASN_PASSWORD) -> None:
    """Log the browser context in without loading any page (so nothing lands in its caches)."""
    resp = context.request.get(base_url + "/masuk")
    token = re.search(r'name="csrf_token" value="([^"]+)"', resp.text())
    assert token, "no CSRF token on the login page"
    resp = context.request.post(base_url + "/masuk", form={"csrf_token": token.group(1), "login": login,
                                                          "password": password})
    assert resp.ok and resp.url.endswith("/beranda"), f"login failed: {resp.status} {resp.url}"


def measure(context, page, url: str, *, settle_ms: int = 1500) -> Weight:
    """Load ``url`` in ``page`` and add up what went over the network until it settled."""
    weight = Weight()

    def finished(request) -> None:
        response = request.response()
        if response is None:
            return
        sizes = request.sizes()
        size = max(0, sizes["responseBodySize"]) + max(0, sizes["responseHeadersSize"])
        if response.from_service_worker:
            weight.from_sw += 1
        elif request.service_worker is not None:
            weight.sw_bytes += size
            weight.sw_requests += 1
        else:
            weight.page_bytes += size
            weight.page_requests += 1
            weight.by_type[request.resource_type] = weight.by_type.get(request.resource_type, 0) + size

    context.on("requestfinished", finished)
    started = time.perf_counter()
    page.goto(url, wait_until="load")
    weight.seconds = time.perf_counter() - started
    page.wait_for_timeout(settle_ms)  # the service worker installs after "load"
    context.remove_listener("requestfinished", finished)
    return weight


def wait_for_controller(page) -> bool:
    """Wait until the service worker is active, reload, and say whether it now controls the page."""
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload(wait_until="load")
    return bool(page.evaluate("!!navigator.serviceWorker.controller"))


def manifest_problems(context, base_url: str) -> tuple[str | None, list[str]]:
    """The manifest the pages link to, and what an installable PWA would miss in it."""
    resp = context.request.get(base_url + "/static/manifest.webmanifest")
    if not resp.ok:
        return None, [f"manifest answered {resp.status}"]
    data = json.loads(resp.text())
    problems = [f"manifest has no {key}" for key in ("name", "short_name", "start_url", "icons") if not data.get(key)]
    if data.get("display") not in ("standalone", "fullscreen", "minimal-ui"):
        problems.append(f"manifest display is {data.get('display')!r}")
    return resp.headers.get("content-type"), problems


def run(base_url: str) -> dict:
    from playwright.sync_api import sync_playwright

    out: dict = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # 1. first visit, then repeat visits under the service worker
            ctx = browser.new_context(**PHONE)
            login_context(ctx, base_url)
            page = ctx.new_page()
            out["first"] = measure(ctx, page, base_url + ENTRY_PAGE)
            out["sw_controls_after_reload"] = wait_for_controller(page)
            out["repeat_sw"] = measure(ctx, page, base_url + ENTRY_PAGE)
            out["manifest_type"], out["manifest_problems"] = manifest_problems(ctx, base_url)
            ctx.set_offline(True)
            try:
                page.reload(wait_until="load")
                out["offline_entry_page"] = page.locator("#entry-form").count() == 1
            except Exception as exc:
                out["offline_entry_page"] = f"failed: {exc.__class__.__name__}"
            ctx.set_offline(False)
            ctx.close()

            # 2. repeat visit with the HTTP cache only (service worker blocked)
            ctx = browser.new_context(**PHONE, service_workers="block")
            login_context(ctx, base_url)
            page = ctx.new_page()
            out["first_no_sw"] = measure(ctx, page, base_url + ENTRY_PAGE, settle_ms=300)
            out["repeat_http_cache"] = measure(ctx, page, base_url + ENTRY_PAGE, settle_ms=300)
            ctx.close()

            # 3. a first visit on a slow 3G link
            ctx = browser.new_context(**PHONE, service_workers="block")
            login_context(ctx, base_url)
            page = ctx.new_page()
            cdp = ctx.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.emulateNetworkConditions", SLOW_3G)
            out["first_slow_3g"] = measure(ctx, page, base_url + ENTRY_PAGE, settle_ms=0)
            ctx.close()
        finally:
            browser.close()
    return out


def kb(n: int) -> str:
    return f"{n / 1024:.1f} KB"


def report(out: dict) -> None:
    print(f"== entry page {ENTRY_PAGE} at a phone viewport (bytes on the network: headers + encoded bodies)")
    rows = [("first visit, cold cache", out["first"]), ("repeat visit, service worker", out["repeat_sw"]),
            ("first visit, no service worker", out["first_no_sw"]),
            ("repeat visit, HTTP cache only", out["repeat_http_cache"])]
    print(f"{'visit':34} {'page bytes':>11} {'requests':>9} {'from SW':>8} {'SW own':>10} {'load':>8}")
    for name, w in rows:
        print(f"{name:34} {kb(w.page_bytes):>11} {w.page_requests:>9} {w.from_sw:>8} "
              f"{kb(w.sw_bytes) + ' /' + str(w.sw_requests):>10} {w.seconds * 1000:>6.0f}ms")
    first = out["first"]
    print("first visit by type: " + ", ".join(f"{k} {kb(v)}" for k, v in sorted(first.by_type.items())))
    print(f"first visit on slow 3G (400 ms RTT, 400 kbit/s): load after {out['first_slow_3g'].seconds:.1f} s, "
          f"{kb(out['first_slow_3g'].page_bytes)}")
    print("== PWA")
    print(f"manifest: {out['manifest_type']}; " + ("complete" if not out["manifest_problems"]
                                                   else "; ".join(out["manifest_problems"])))
    print(f"service worker controls the page after a reload: {out['sw_controls_after_reload']}")
    print(f"entry page opens offline from the service worker cache: {out['offline_entry_page']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (recreated); default: fresh SQLite")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON too")
    args = parser.parse_args()
    from benchmarks.loadtest.server import LiveServer, recreate_postgres_database

    url = recreate_postgres_database(args.database_url) if args.database_url else None
    with tempfile.TemporaryDirectory(prefix="silabu-field-") as tmp, \
            LiveServer(Path(tmp), database_url=url, workers=2, threads=4) as server:
        server.prepare()
        server.start()
        out = run(server.url)
    report(out)
    if args.json:
        print(json.dumps({k: asdict(v) if isinstance(v, Weight) else v for k, v in out.items()}, indent=2))
    ok = out["sw_controls_after_reload"] is True and out["offline_entry_page"] is True and not out["manifest_problems"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
