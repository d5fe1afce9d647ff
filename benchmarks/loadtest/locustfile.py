"""A month-end day at a KPU secretariat, for locust (run through benchmarks/loadtest/run.py).

- ASN (most users): sign in (API token and browser session), post entries through the API with a
  client_uuid (now and then the same one again, as an offline phone resending), upload a photo to them
  (mostly the page's own 1600 px compression, sometimes a 12 MP original), submit them, and browse
  their home page, month page and entry form.
- Kasubag (one per unit): load the verification pages and the queue, verify entries or return them
  with a note.
- Rendatin (one): build the pleno packet of the closed month once or twice, and look at it.

Every response is checked; anything unexpected counts as an error. The plan (accounts, months) comes
from the JSON file named by SILABU_LOAD_PLAN.

Phases: every user signs in first (API token and browser session, two password checks each); once all
SILABU_LOAD_USERS have, the sign-in numbers are written to SILABU_LOAD_SIGNIN_OUT, the statistics are reset
and the working day is measured for SILABU_LOAD_SECONDS, after which the run stops itself.
"""
from __future__ import annotations

import itertools
import json
import os
import random
import re
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import gevent
from gevent.event import Event
from locust import between, events, task
from locust.contrib.fasthttp import FastHttpSession, FastHttpUser

PLAN = json.loads(Path(os.environ["SILABU_LOAD_PLAN"]).read_text())
GOOD = Path(__file__).resolve().parents[3] / "shared" / "data" / "uploads" / "good"
BOUNDARY = "----silabu-load-" + uuid.uuid4().hex


def multipart(filename: str, data: bytes, content_type: str) -> bytes:
    return (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n"
            f"Content-Type: {content_type}\r\n\r\n").encode() + data + f"\r\n--{BOUNDARY}--\r\n".encode()


SMALL_PHOTO = multipart("IMG_1600.jpg", (GOOD / "browser_compressed_1600.jpg").read_bytes(), "image/jpeg")
BIG_PHOTO = multipart("IMG_20261103_091522.jpg", (GOOD / "phone_12mp_gps.jpg").read_bytes(), "image/jpeg")
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
TODAY = date.fromisoformat(PLAN["today"])
CURRENT_DAYS = [TODAY - timedelta(days=i) for i in range(min(TODAY.day, 10))]
ACTIVITIES = ["Mengagendakan surat masuk", "Menyusun notula rapat koordinasi", "Memutakhirkan data pemilih",
              "Menyiapkan bahan sosialisasi", "Merekap daftar hadir apel pagi", "Menyusun laporan realisasi"]
NOTES = ["Lampirkan foto daftar hadir.", "Uraian kegiatan terlalu singkat; sebutkan hasilnya.",
         "Jumlah output tidak sesuai bukti dukung."]

EXPECTED_USERS = int(os.environ.get("SILABU_LOAD_USERS", "0"))
MEASURE_SECONDS = float(os.environ.get("SILABU_LOAD_SECONDS", "60"))
SIGNIN_OUT = os.environ.get("SILABU_LOAD_SIGNIN_OUT")
BURST = os.environ.get("SILABU_LOAD_BURST") == "1"  # run.py --burst: every first request at the same instant
everyone_in = Event()
_signed_in = 0
_environment = None

_asn_accounts = itertools.cycle(PLAN["asn"])
_kasubag_units = itertools.cycle(sorted(PLAN["kasubag"]))


class Person(FastHttpUser):
    abstract = True
    login_name = ""
    password = ""

    def expect(self, method: str, path: str, status: tuple[int, ...], *, name: str | None = None, client=None,
               **kwargs):
        """One request; a status not in ``status`` is an error. Returns the response or None."""
        with (client or self.client).request(method, path, name=name, catch_response=True, **kwargs) as resp:
            if resp.status_code not in status:
                body = (resp.text or "")[:200].replace("\n", " ")
                resp.failure(f"{resp.status_code}: {body}")
                return None
            resp.success()
            return resp

    def sign_in(self) -> None:
        # The phone app's calls carry the bearer token and no session cookie (the API asks a call that sends a
        # session cookie for the CSRF token, token or not): a client of their own, apart from the browser's.
        self.api_client = FastHttpSession(self.host, self.environment.events.request, user=self)
        resp = self.expect("POST", "/api/v1/auth/token", (200,), client=self.api_client,
                           json={"username": self.login_name, "password": self.password})
        self.bearer = {"Authorization": f"Bearer {resp.json()['token']}"} if resp is not None else {}
        page = self.expect("GET", "/masuk", (200,))
        token = CSRF.search(page.text).group(1) if page is not None else ""
        self.expect("POST", "/masuk", (200, 302), name="/masuk [POST]", allow_redirects=False,
                    data=f"csrf_token={token}&login={self.login_name}&password={self.password}",
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
        _arrived()
        everyone_in.wait()
        # People do not all press a button in the same millisecond: each starts the working day after a
        # think time of their own, as between any two of their actions (without it the barrier above would
        # send all 50 first requests at once, a burst no office produces).
        if not BURST:
            gevent.sleep(self.wait_time())

    def api(self, method: str, path: str, status: tuple[int, ...], *, name: str | None = None, **kwargs):
        headers = dict(self.bearer, Accept="application/json", **kwargs.pop("headers", {}))
        return self.expect(method, path, status, name=name, headers=headers, client=self.api_client, **kwargs)


def _arrived() -> None:
    """Count signed-in users; the last one starts the measured working day."""
    global _signed_in
    _signed_in += 1
    if everyone_in.is_set() or not EXPECTED_USERS or _signed_in < EXPECTED_USERS:
        return
    stats = _environment.stats
    if SIGNIN_OUT:
        rows = []
        for entry in stats.entries.values():
            rows.append({"name": entry.name, "method": entry.method, "count": entry.num_requests,
                         "failures": entry.num_failures, "p50": entry.get_response_time_percentile(0.5),
                         "p95": entry.get_response_time_percentile(0.95),
                         "p99": entry.get_response_time_percentile(0.99), "max": entry.max_response_time})
        Path(SIGNIN_OUT).write_text(json.dumps({"seconds": time.time() - stats.start_time, "requests": rows}))
    stats.reset_all()
    everyone_in.set()
    gevent.spawn_later(MEASURE_SECONDS, _environment.runner.quit)


@events.init.add_listener
def _remember(environment, **_kwargs) -> None:
    global _environment
    _environment = environment


class Asn(Person):
    """An ASN catching up on the day's log at the end of the month."""

    weight = 1
    wait_time = between(1, 4)

    def on_start(self) -> None:
        account = next(_asn_accounts)
        self.login_name, self.password = account["login"], PLAN["password"]
        self.codes = PLAN["unit_codes"][account["unit"]]
        self.needs_photo: list[int] = []
        self.ready: list[int] = []
        self.sent: list[tuple[str, dict]] = []
        self.sign_in()

    @task(4)
    def post_entry(self) -> None:
        if self.sent and random.random() < 0.1:
            # An offline phone resending what already arrived: the same entry comes back, nothing new is made.
            client_uuid, body = random.choice(self.sent)
            self.api("POST", "/api/v1/entries", (200,), name="/api/v1/entries [POST resend]",
                     json=dict(body, client_uuid=client_uuid))
            return
        body = {"entry_date": random.choice(CURRENT_DAYS).isoformat(), "output_code": random.choice(self.codes),
                "activity": f"{random.choice(ACTIVITIES)} ({random.randint(1, 999)})", "output": "Dokumen",
                "quantity": random.randint(1, 4),
                "unit": "Dokumen"}
        client_uuid = str(uuid.uuid4())
        resp = self.api("POST", "/api/v1/entries", (201,), name="/api/v1/entries [POST]",
                        json=dict(body, client_uuid=client_uuid))
        if resp is not None:
            self.sent.append((client_uuid, body))
            self.needs_photo.append(resp.json()["id"])

    @task(3)
    def upload_photo(self) -> None:
        if not self.needs_photo:
            return self.post_entry()
        entry_id = self.needs_photo.pop(0)
        big = random.random() < PLAN.get("big_photo_share", 0.1)
        resp = self.api("POST", f"/api/v1/entries/{entry_id}/evidence", (201,),
                        name="/api/v1/entries/[id]/evidence [12 MP]" if big else "/api/v1/entries/[id]/evidence [1600 px]",
                        data=BIG_PHOTO if big else SMALL_PHOTO, headers={"Content-Type": MULTIPART})
        if resp is not None:
            self.ready.append(entry_id)
        return None

    @task(2)
    def submit(self) -> None:
        if self.ready:
            self.api("POST", f"/api/v1/entries/{self.ready.pop(0)}/submit", (200,),
                     name="/api/v1/entries/[id]/submit")

    @task(3)
    def browse_month(self) -> None:
        self.expect("GET", "/bulan", (200,))
        self.api("GET", f"/api/v1/entries?month={PLAN['current']}", (200,), name="/api/v1/entries?month=")

    @task(2)
    def home(self) -> None:
        self.expect("GET", "/beranda", (200,))

    @task(1)
    def entry_form(self) -> None:
        self.expect("GET", "/entri/baru", (200,))


class Kasubag(Person):
    """One unit's head working through last month's queue."""

    fixed_count = 4
    wait_time = between(2, 5)

    def on_start(self) -> None:
        self.unit = next(_kasubag_units)
        self.login_name, self.password = PLAN["kasubag"][self.unit], PLAN["demo_password"]
        self.sign_in()

    @task(1)
    def overview(self) -> None:
        self.expect("GET", f"/verifikasi/?month={PLAN['last']}", (200,), name="/verifikasi/")

    @task(2)
    def queue_page(self) -> None:
        self.expect("GET", f"/verifikasi/{self.unit}/{PLAN['last']}", (200,), name="/verifikasi/[unit]/[month]")

    @task(6)
    def verify_or_return(self) -> None:
        resp = self.api("GET", f"/api/v1/verification/queue?month={PLAN['last']}&unit={self.unit}", (200,),
                        name="/api/v1/verification/queue")
        if resp is None:
            return
        waiting = [e for g in resp.json()["groups"] for e in g["entries"] if e["status"] == "submitted"]
        if not waiting:
            return
        for entry in random.sample(waiting, min(3, len(waiting))):
            if random.random() < 0.85:
                self.api("POST", f"/api/v1/entries/{entry['id']}/verify", (200,), name="/api/v1/entries/[id]/verify",
                         json={"version": entry["version"]})
            else:
                self.api("POST", f"/api/v1/entries/{entry['id']}/return", (200,), name="/api/v1/entries/[id]/return",
                         json={"version": entry["version"], "note": random.choice(NOTES)})


class Rendatin(Person):
    """Rendatin compiling the closed month for the pleno: builds the packet once, later once more."""

    fixed_count = 1
    wait_time = between(3, 6)

    def on_start(self) -> None:
        self.login_name, self.password = PLAN["rendatin"], PLAN["demo_password"]
        self.sign_in()
        self.builds = 0
        self.started = time.monotonic()  # after the barrier: the working day starts now

    @task
    def work(self) -> None:
        due = (5, 35)  # seconds into the run: the first build, then a rebuild after corrections
        if self.builds < len(due) and time.monotonic() - self.started >= due[self.builds]:
            self.builds += 1
            self.api("POST", f"/api/v1/packets/{PLAN['closed']}/build", (201, 202),
                     name="/api/v1/packets/[month]/build")
            return
        self.expect("GET", f"/pleno/{PLAN['closed']}", (200,), name="/pleno/[month]")
        self.api("GET", f"/api/v1/packets/{PLAN['closed']}", (200, 404), name="/api/v1/packets/[month]")


