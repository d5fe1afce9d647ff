"""The expectation table of the access matrix (tests/test_access_matrix.py): for every endpoint and method of the
app's URL map, what each kind of person gets.

The people (all in one satker; the objects belong to ``asn``, an ASN of Sub Bagian KUL):

- ``anon``          nobody logged in
- ``asn``           the owner of the entries, evidence and notification (KUL)
- ``asn_same``      another ASN of the same unit (KUL)
- ``asn_other``     an ASN of another unit (TPH)
- ``kasubag``       the Kepala Sub Bagian of KUL: verifies ``asn``
- ``kasubag_other`` the Kepala Sub Bagian of TPH
- ``plh``           an ASN of HSD appointed Plh verifier of KUL for today (a Delegation)
- ``rendatin``      Sub Bagian RDI staff with the rendatin role (asn + rendatin)
- ``sekretaris``    the Sekretaris (SEK): sees everything in the secretariat, verifies no ordinary staff entry
- ``ketua``         the Ketua (SEK): reads pleno packets and the LKj
- ``admin``         the administrator (account with a username, role admin only)

The objects (see ``World`` in the test module): a submitted October entry of ``asn`` with a photo and a document,
a draft November entry of ``asn`` with a photo, a notification for ``asn``, the Plh delegation, the October
pleno packet (version 1, draft), the 2026 LKj Sekretariat (indicators from the demo PK, compiled version 1,
a manual realisasi with a PDF), an office day, the output codes.

Outcomes:

- ``OK``      allowed. GET: 200. Other methods: anything but 401/403/404/405 and 5xx (an empty or minimal body may
              legitimately answer 400/409/422 to someone allowed to act).
- ``LOGIN``   the anonymous answer of a protected route: 302 to /masuk for pages, 401 for /api/.
- an int or a set of ints: exactly that status.

The rules come from DOMAIN.md, API.md and the issues ("objects a user may not see are 404, role-restricted pages
use role_required (403)"). Where the app answers otherwise, the table keeps the rule, not the app: such a case
fails and is a finding. Behaviour that is debatable rather than wrong is encoded as the app does it and listed in
DEBATABLE at the bottom.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

ACTORS = ("anon", "asn", "asn_same", "asn_other", "kasubag", "kasubag_other", "plh", "rendatin", "sekretaris",
          "ketua", "admin")
LOGGED_IN = ACTORS[1:]

# unit code and roles of each person (anon has none)
PEOPLE: dict[str, tuple[str, str]] = {
    "asn": ("KUL", "asn"),
    "asn_same": ("KUL", "asn"),
    "asn_other": ("TPH", "asn"),
    "kasubag": ("KUL", "asn,kasubag"),
    "kasubag_other": ("TPH", "asn,kasubag"),
    "plh": ("HSD", "asn"),
    "rendatin": ("RDI", "asn,rendatin"),
    "sekretaris": ("SEK", "sekretaris"),
    "ketua": ("SEK", "ketua"),
    "admin": ("SEK", "admin"),
}


class _Outcome:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


OK = _Outcome("OK")
LOGIN = _Outcome("LOGIN")
Outcome = Any  # OK | LOGIN | int | frozenset[int]


def holding(*roles: str) -> frozenset[str]:
    """The people who hold any of ``roles``."""
    return frozenset(a for a, (_, r) in PEOPLE.items() if set(r.split(",")) & set(roles))


EVERYONE = frozenset(LOGGED_IN)
OWNER = frozenset({"asn"})
# Who reads the ASN's entry: the owner, the unit's verifiers (Kasubag, Plh on duty) and the Sekretaris.
ENTRY_READERS = frozenset({"asn", "kasubag", "plh", "sekretaris"})
VERIFIERS = frozenset({"kasubag", "plh"})  # of asn's entries (KUL staff)
# Who opens the verification pages of KUL: its verifiers and the Sekretaris (oversight). The admin keeps the
# organisation's settings (DOMAIN.md: users, units, output codes, holidays, settings), not its work.
KUL_VIEWERS = frozenset({"kasubag", "plh", "sekretaris"})
KUL_CLOSERS = frozenset({"kasubag", "plh"})  # close/reopen the unit-month
OVERSEERS = holding("sekretaris")  # progress of every unit
DELEGATORS = holding("sekretaris", "admin")  # appoint and revoke Plh/Plt
ADMIN = holding("admin")
PLENO_VIEW = holding("rendatin", "sekretaris", "ketua")
PLENO_MANAGE = holding("rendatin", "sekretaris")
LKJ_VIEW = holding("rendatin", "sekretaris", "ketua", "kasubag", "admin")
LKJ_MANAGE = holding("rendatin")
LKJ_BANDS = holding("rendatin", "admin")
LKJ_SIGNED_COPY = holding("rendatin", "sekretaris")
QUEUE_USERS = frozenset({"kasubag", "kasubag_other", "plh", "sekretaris"})


@dataclass(frozen=True)
class Expect:
    """What every person gets from one endpoint + method."""

    outcomes: Mapping[str, Outcome]
    args: Mapping[str, str] = field(default_factory=dict)  # argument name -> which object (see the resolvers)
    body: Mapping[str, Any] | None = None  # form (pages) or JSON (API); None = empty
    query: Mapping[str, str] | None = None
    download: bool = False  # a file download: nosniff (and never text/html)
    variants: tuple[Mapping[str, str], ...] = ()  # extra runs with other objects (same outcomes)
    fresh: bool = False  # restore the world before every request (failed logins count towards the lockout)
    # more objects with their own outcomes: ((args, outcomes), ...), e.g. the Kasubag's own entry
    others: tuple[tuple[Mapping[str, str], Mapping[str, Outcome]], ...] = ()
    note: str = ""


def allow(who: Iterable[str], ok: Outcome = OK, deny: Outcome = 403, anon: Outcome = LOGIN,
          **exceptions: Outcome) -> dict[str, Outcome]:
    """``who`` get ``ok``; every other logged-in person ``deny``; ``anon`` as given; ``exceptions`` by name."""
    who = set(who)
    out: dict[str, Outcome] = {"anon": anon}
    for actor in LOGGED_IN:
        out[actor] = ok if actor in who else deny
    for actor, outcome in exceptions.items():
        assert actor in ACTORS, actor
        out[actor] = outcome
    return out


def public(status: Outcome = 200, **exceptions: Outcome) -> dict[str, Outcome]:
    return allow(EVERYONE, ok=status, anon=exceptions.pop("anon", status), **exceptions)


def logged_in(ok: Outcome = OK) -> dict[str, Outcome]:
    return allow(EVERYONE, ok=ok)


def E(outcomes: Mapping[str, Outcome], **kw: Any) -> Expect:
    return Expect(outcomes=outcomes, **kw)


SUBMITTED = {"entry_id": "submitted"}
DRAFT = {"entry_id": "draft"}
# The Kasubag's own submitted entry: the Sekretaris verifies it (no head verifier is set for KUL); the Kasubag
# sees it but may not verify it (403); the Plh of KUL stands in for the Kasubag, not above them: 404.
HEAD_ENTRY = {"entry_id": "kasubag"}
HEAD_READERS = frozenset({"kasubag", "sekretaris"})
HEAD_VERIFY = allow({"sekretaris"}, deny=404, kasubag=403)

# ---------------------------------------------------------------------------------------------------------------------
# endpoint -> method -> Expect
EXPECTATIONS: dict[str, dict[str, Expect]] = {
    # ---- accounts: login, logout, password ----
    "auth.root": {"GET": E(public(302))},
    # GET: the form, or straight home when logged in. POST with an empty form: 401 "wrong credentials" page.
    "auth.login": {"GET": E(public(302, anon=200)), "POST": E(public(302, anon=401), fresh=True)},
    "auth.logout": {"POST": E(public(302))},
    "auth.change_password": {"GET": E(logged_in(200)), "POST": E(logged_in())},
    # the second login step: without a pending password step, back to /masuk; logged in, home
    "auth.login_code": {"GET": E(public(302)), "POST": E(public(302), fresh=True)},
    # one's own two-factor login (TOTP): every logged-in person, on their own account only
    "auth.two_factor_page": {"GET": E(logged_in(200))},
    "auth.two_factor_start": {"POST": E(logged_in())},
    "auth.two_factor_confirm": {"POST": E(logged_in())},
    "auth.two_factor_disable": {"POST": E(logged_in())},
    "auth.two_factor_recovery_codes": {"POST": E(logged_in())},

    # ---- admin ----
    "admin.index": {"GET": E(allow(ADMIN))},
    "admin.audit_log": {"GET": E(allow(ADMIN))},
    "admin.kop_surat": {"GET": E(allow(ADMIN)), "POST": E(allow(ADMIN))},
    "admin.indicators": {"GET": E(allow(ADMIN)), "POST": E(allow(ADMIN))},
    "admin.calendar": {"GET": E(allow(ADMIN))},
    "admin.office_day_remove": {"POST": E(allow(ADMIN))},
    "admin.cuti_bersama_adopt": {"POST": E(allow(ADMIN))},
    "admin.office_day_add": {"POST": E(allow(ADMIN))},
    "admin.codes": {"GET": E(allow(ADMIN))},
    "admin.code_activate": {"POST": E(allow(ADMIN))},
    "admin.code_deactivate": {"POST": E(allow(ADMIN))},
    "admin.code_edit": {"GET": E(allow(ADMIN)), "POST": E(allow(ADMIN))},
    "admin.codes_import": {"GET": E(allow(ADMIN)), "POST": E(allow(ADMIN))},
    "admin.codes_paste": {"POST": E(allow(ADMIN))},
    "ops.index": {"GET": E(allow(ADMIN))},
    "admin.users": {"GET": E(allow(ADMIN))},
    "admin.user_detail": {"GET": E(allow(ADMIN))},
    "admin.user_activate": {"POST": E(allow(ADMIN))},
    "admin.user_reset_password": {"POST": E(allow(ADMIN))},
    "admin.user_deactivate": {"POST": E(allow(ADMIN))},
    "admin.user_reset_two_factor": {"POST": E(allow(ADMIN))},
    "admin.security": {"GET": E(allow(ADMIN)), "POST": E(allow(ADMIN))},
    "admin.token_revoke": {"POST": E(allow(ADMIN))},
    "admin.tokens_revoke_all": {"POST": E(allow(ADMIN))},
    "admin.user_edit": {"GET": E(allow(ADMIN)), "POST": E(allow(ADMIN))},
    "admin.user_new": {"GET": E(allow(ADMIN)), "POST": E(allow(ADMIN))},
    "admin.users_import": {"GET": E(allow(ADMIN)), "POST": E(allow(ADMIN))},
    "admin.units_list": {"GET": E(allow(ADMIN))},
    "admin.unit_edit": {"GET": E(allow(ADMIN)), "POST": E(allow(ADMIN))},
    "admin.unit_new": {"GET": E(allow(ADMIN)), "POST": E(allow(ADMIN))},

    # ---- entries (pages): everyone logs their own; objects of others are 404 ----
    "entries.home": {"GET": E(logged_in(200))},
    "entries.month": {"GET": E(logged_in(200), variants=({"?m": "2026-10"},))},
    "entries.list_entries": {"GET": E(logged_in(200), variants=({"?m": "2026-10"},))},
    # the daily-log form is for those who log (issue 14): an account without the asn role is told so with a 403
    "entries.new": {"GET": E(allow(holding("asn"), ok=200)), "POST": E(allow(holding("asn")))},
    # a form filled from the latest earlier entry; without one, a redirect to the empty form
    "entries.copy_yesterday": {"GET": E(allow(holding("asn"), ok=frozenset({200, 302})))},
    "entries.submit_many": {"POST": E(logged_in(), body={"entry_id": "@entry_id:draft"},
                                      note="someone else's entry_id in the list is skipped, never submitted")},
    # a draft is its owner's alone until submitted (issue 11 item 9): its verifiers get 404 like anyone else
    "entries.detail": {"GET": E(allow(ENTRY_READERS, deny=404), args=SUBMITTED,
                                others=((DRAFT, allow(OWNER, deny=404)), (HEAD_ENTRY, allow(HEAD_READERS, deny=404))))},
    "entries.use_again": {"GET": E(allow(OWNER, deny=404), args=SUBMITTED)},
    "entries.edit": {"GET": E(allow(OWNER, deny=404), args=DRAFT), "POST": E(allow(OWNER, deny=404), args=DRAFT)},
    "entries.delete": {"POST": E(allow(OWNER, deny=404), args=DRAFT)},
    "entries.submit": {"POST": E(allow(OWNER, deny=404), args=DRAFT)},
    "entries.withdraw": {"POST": E(allow(OWNER, deny=404), args=SUBMITTED)},
    "entries.delete_evidence": {"POST": E(allow(OWNER, deny=404), args={"entry_id": "draft",
                                                                         "evidence_id": "draft_photo"})},
    # JSON for the offline outbox; anonymous gets a JSON 401 although the path is not under /api/
    "entries.csrf_token": {"GET": E(logged_in(200) | {"anon": 401})},
    "entries.service_worker": {"GET": E(public(200))},

    # ---- catalog ----
    "entries.code_search": {"GET": E(logged_in(200))},
    "catalog.favorite": {"POST": E(logged_in())},

    # ---- evidence bytes: whoever may see the entry ----
    "evidence.download": {"GET": E(allow(ENTRY_READERS, deny=404, anon=LOGIN), args={"evidence_id": "doc"},
                                   variants=({"evidence_id": "photo"},), download=True,
                                   others=(({"evidence_id": "draft_photo"}, allow(OWNER, deny=404, anon=LOGIN)),))},
    "evidence.thumbnail": {"GET": E(allow(ENTRY_READERS, deny=404), args={"evidence_id": "photo"}, download=True,
                                    others=(({"evidence_id": "draft_photo"}, allow(OWNER, deny=404)),))},

    # ---- verification (pages) ----
    # a unit is no secret (its name is on every page): a unit's queue, close, reopen and exports refuse with the
    # reason, 403 (issue 14); only an entry the person may not see stays 404
    "verification.index": {"GET": E(allow(QUEUE_USERS))},
    "verification.queue_page": {"GET": E(allow(KUL_VIEWERS, deny=403))},
    # the Sekretaris sees the unit but verifies no ordinary staff entry: 403
    "verification.verify_all": {"POST": E(allow(VERIFIERS, deny=403, sekretaris=403),
                                          args={"user_id": "owner"},
                                          others=(({"user_id": "kasubag"},
                                                   allow({"sekretaris"}, deny=403, kasubag=403, plh=403)),))},
    "verification.reopen": {"GET": E(allow(KUL_CLOSERS, deny=403, sekretaris=403)),
                            "POST": E(allow(KUL_CLOSERS, deny=403, sekretaris=403))},
    "verification.export_pdf": {"GET": E(allow(KUL_VIEWERS, deny=403), download=True)},
    "verification.export_xlsx": {"GET": E(allow(KUL_VIEWERS, deny=403), download=True)},
    "verification.close": {"POST": E(allow(KUL_CLOSERS, deny=403, sekretaris=403))},
    "verification.delegations": {"GET": E(allow(DELEGATORS)), "POST": E(allow(DELEGATORS))},
    "verification.revoke": {"POST": E(allow(DELEGATORS))},
    "verification.entry_page": {"GET": E(allow(ENTRY_READERS, deny=404), args=SUBMITTED,
                                         others=((HEAD_ENTRY, allow(HEAD_READERS, deny=404)),))},
    # the owner and the Sekretaris see the entry but may not verify it: 403; the rest never see it: 404
    "verification.return_": {"POST": E(allow(VERIFIERS, deny=404, asn=403, sekretaris=403), args=SUBMITTED,
                                       others=((HEAD_ENTRY, HEAD_VERIFY),))},
    "verification.verify": {"POST": E(allow(VERIFIERS, deny=404, asn=403, sekretaris=403), args=SUBMITTED,
                                      others=((HEAD_ENTRY, HEAD_VERIFY),))},
    "verification.oversight": {"GET": E(allow(OVERSEERS))},

    # ---- notifications ----
    "notifications.index": {"GET": E(logged_in(200))},
    "notifications.open_": {"POST": E(allow(OWNER, deny=404))},
    "notifications.read_all": {"POST": E(logged_in())},

    # ---- pleno (pages) ----
    "pleno.index": {"GET": E(allow(PLENO_VIEW))},
    "pleno.month": {"GET": E(allow(PLENO_VIEW))},
    "pleno.dashboard": {"GET": E(allow(PLENO_VIEW))},
    "pleno.build": {"POST": E(allow(PLENO_MANAGE))},
    "pleno.present": {"POST": E(allow(PLENO_MANAGE))},
    "pleno.finalize": {"POST": E(allow(PLENO_MANAGE))},
    # A province's pages: this world's satker has no satker under it, so they are refused to everyone (with why);
    # tests/test_satker_scope.py runs them for a province.
    "pleno.province": {"GET": E(allow(()))},
    "pleno.province_build": {"POST": E(allow(()))},
    "pleno.province_present": {"POST": E(allow(()))},
    "pleno.province_finalize": {"POST": E(allow(()))},
    "pleno.province_file": {"GET": E(allow(()))},
    # ---- background tasks: the world's task is rendatin's packet build; the requester and the builders read it ----
    "tasks.show": {"GET": E(allow(PLENO_MANAGE, deny=404))},

    # ---- LKj (pages) ----
    "lkj.index": {"GET": E(allow(LKJ_VIEW))},
    "lkj.report": {"GET": E(allow(LKJ_VIEW))},
    "lkj.capaian": {"GET": E(allow(LKJ_VIEW))},
    "lkj.indicators": {"GET": E(allow(LKJ_VIEW))},
    "lkj.new_indicator": {"GET": E(allow(LKJ_MANAGE)), "POST": E(allow(LKJ_MANAGE))},
    "lkj.import_indicators": {"POST": E(allow(LKJ_MANAGE))},
    "lkj.compile_": {"POST": E(allow(LKJ_MANAGE))},
    # "ajukan_koreksi" (draft -> koreksi) is Rendatin's step: the other readers of the LKj are refused (403)
    "lkj.step": {"POST": E(allow(LKJ_MANAGE), body={"action": "ajukan_koreksi"})},
    "lkj.narrative": {"GET": E(allow(LKJ_VIEW))},
    "lkj.edit_section": {"GET": E(allow(LKJ_MANAGE)), "POST": E(allow(LKJ_MANAGE))},
    "lkj.preview": {"GET": E(allow(LKJ_VIEW), download=True)},
    "lkj.download": {"GET": E(allow(LKJ_VIEW), download=True)},
    "lkj.delete_indicator": {"POST": E(allow(LKJ_MANAGE))},
    "lkj.trace": {"GET": E(allow(LKJ_VIEW))},
    "lkj.manual": {"GET": E(allow(LKJ_VIEW)), "POST": E(allow(LKJ_MANAGE))},
    "lkj.targets": {"POST": E(allow(LKJ_MANAGE))},
    "lkj.edit_indicator": {"GET": E(allow(LKJ_MANAGE)), "POST": E(allow(LKJ_MANAGE))},
    "lkj.bands": {"GET": E(allow(LKJ_BANDS)), "POST": E(allow(LKJ_BANDS))},
    "lkj.budget": {"GET": E(allow(LKJ_BANDS)), "POST": E(allow(LKJ_BANDS))},
    "lkj.manual_evidence": {"GET": E(allow(LKJ_VIEW), download=True)},
    "lkj.delete_manual": {"POST": E(allow(LKJ_MANAGE))},
    # the cover letter and archive are issued by kirim/arsipkan: the world's draft has none yet (404 to readers)
    "lkj.issued_file": {"GET": E(allow(LKJ_VIEW, ok=404))},
    # the copy signed outside SILABU: Rendatin or the signer (Sekretaris for the LKj Sekretariat); the draft is
    # not signed yet, so they are refused with 409 (flashed, back to the report page)
    "lkj.signed_copy": {"POST": E(allow(LKJ_SIGNED_COPY))},
    # public: anyone holding a printed LKj checks its verification code
    "lkj.verify_form": {"GET": E(public(200))},
    "lkj.verify": {"GET": E(public(200)), "POST": E(public(200))},

    # ---- API: auth ----
    # an empty body is "wrong credentials" for everybody, token or not
    "api.issue_token": {"POST": E(public(401), fresh=True)},
    "api.revoke_current_token": {"DELETE": E(logged_in(200))},
    "api.me": {"GET": E(logged_in(200))},
    "api.openapi": {"GET": E(public(200))},
    "api.output_codes": {"GET": E(logged_in(200))},

    # ---- API: entries and evidence ----
    "api.create_entry": {"POST": E(logged_in())},
    # someone else's month answers 200 with only what the caller may see (checked by SECRETS)
    "api.list_entries": {"GET": E(logged_in(200), others=(
        ({"?user_id": "@user_id:owner", "?month": "2026-10"}, allow(ENTRY_READERS, deny=404)),))},
    "api.get_entry": {"GET": E(allow(ENTRY_READERS, deny=404), args=SUBMITTED,
                               others=((DRAFT, allow(OWNER, deny=404)), (HEAD_ENTRY, allow(HEAD_READERS, deny=404))))},
    "api.patch_entry": {"PATCH": E(allow(OWNER, deny=404), args=DRAFT)},
    "api.delete_entry": {"DELETE": E(allow(OWNER, deny=404), args=DRAFT)},
    "api.submit_entry": {"POST": E(allow(OWNER, deny=404), args=DRAFT)},
    "api.withdraw_entry": {"POST": E(allow(OWNER, deny=404), args=SUBMITTED)},
    "api.upload_evidence": {"POST": E(allow(OWNER, deny=404), args=DRAFT)},
    "api.get_evidence": {"GET": E(allow(ENTRY_READERS, deny=404), args={"evidence_id": "photo"},
                                  others=(({"evidence_id": "draft_photo"}, allow(OWNER, deny=404)),))},
    "api.delete_evidence": {"DELETE": E(allow(OWNER, deny=404), args={"evidence_id": "draft_photo"})},

    # ---- API: verification ----
    "api.verification_queue": {"GET": E(allow(QUEUE_USERS))},
    "api.verify_entry": {"POST": E(allow(VERIFIERS, deny=404, asn=403, sekretaris=403), args=SUBMITTED,
                                   others=((HEAD_ENTRY, HEAD_VERIFY),))},
    "api.return_entry": {"POST": E(allow(VERIFIERS, deny=404, asn=403, sekretaris=403), args=SUBMITTED,
                                   others=((HEAD_ENTRY, HEAD_VERIFY),))},
    "api.verify_all": {"POST": E(allow(VERIFIERS, deny=404, sekretaris=403), args={"user_id": "owner"},
                                 others=(({"user_id": "kasubag"},
                                          allow({"sekretaris"}, deny=404, kasubag=403, plh=403)),))},
    "api.unit_month": {"GET": E(allow(KUL_VIEWERS, deny=403))},
    "api.close_month": {"POST": E(allow(KUL_CLOSERS, deny=403, sekretaris=403))},
    "api.reopen_month": {"POST": E(allow(KUL_CLOSERS, deny=403, sekretaris=403))},
    "api.export_pdf": {"GET": E(allow(KUL_VIEWERS, deny=403), download=True)},
    "api.export_xlsx": {"GET": E(allow(KUL_VIEWERS, deny=403), download=True)},
    "api.oversight": {"GET": E(allow(OVERSEERS))},
    "api.list_delegations": {"GET": E(allow(DELEGATORS))},
    "api.create_delegation": {"POST": E(allow(DELEGATORS))},
    "api.revoke_delegation": {"POST": E(allow(DELEGATORS))},

    # ---- API: pleno packets (readers see them; others get 404 as if there were none) ----
    "api.list_packets": {"GET": E(allow(PLENO_VIEW, deny=404))},
    "api.get_packet": {"GET": E(allow(PLENO_VIEW, deny=404))},
    "api.province_month": {"GET": E(allow(()))},  # no satker under this world's: refused to all
    "api.packet_versions": {"GET": E(allow(PLENO_VIEW, deny=404))},
    "api.packet_file": {"GET": E(allow(PLENO_VIEW, deny=404), download=True)},
    # building is refused with 403 (API.md, OpenAPI: "403 Bukan Rendatin/Sekretaris")
    "api.build_packet": {"POST": E(allow(PLENO_MANAGE))},
    "api.get_task": {"GET": E(allow(PLENO_MANAGE, deny=404))},
    # present/finalize: the Ketua reads packets but does not manage them (403); the rest do not see them (404)
    "api.present_packet": {"POST": E(allow(PLENO_MANAGE, deny=404, ketua=403))},
    "api.finalize_packet": {"POST": E(allow(PLENO_MANAGE, deny=404, ketua=403))},

    # ---- API: LKj ----
    "api.lkj_report": {"GET": E(allow(LKJ_VIEW))},
    "api.lkj_capaian": {"GET": E(allow(LKJ_VIEW))},
    "api.lkj_compile": {"POST": E(allow(LKJ_MANAGE))},
    "api.lkj_document_docx": {"GET": E(allow(LKJ_VIEW), download=True)},
    "api.lkj_document_pdf": {"GET": E(allow(LKJ_VIEW), download=True)},
    "api.lkj_trace": {"GET": E(allow(LKJ_VIEW))},
    "api.lkj_review": {"POST": E(allow(LKJ_MANAGE), body={"action": "ajukan_koreksi"})},
    "api.lkj_file": {"GET": E(allow(LKJ_VIEW, ok=404))},
    "api.lkj_signed_copy": {"POST": E(allow(LKJ_SIGNED_COPY))},
}

# Texts that only some people may ever see, in any page or JSON answer (any status) of any route of the matrix:
# the activity of asn's two entries, and the title of asn's notification.
ENTRY_SECRET = "Rapat anggaran RHS-7Q4"
NOTE_SECRET = "Pemberitahuan RHS-9K2"
HEAD_SECRET = "Nota dinas Kasubag RHS-3M8"  # the Kasubag's own entry
SECRETS: dict[str, frozenset[str]] = {
    # the admin sees no entry content anywhere: not the entry routes, not the queues, not the audit log
    ENTRY_SECRET: ENTRY_READERS,
    NOTE_SECRET: OWNER,
    HEAD_SECRET: HEAD_READERS,
}


@dataclass(frozen=True)
class Probe:
    """One refused person sending something malformed: the refusal must come first (API.md: 403 not allowed,
    404 for objects the caller may not see; a 422 tells them their input would have been looked at)."""

    endpoint: str
    method: str
    actor: str
    expected: int
    label: str
    raw_args: Mapping[str, Any] = field(default_factory=dict)  # URL arguments taken as they are
    query: Mapping[str, Any] | None = None
    body: Mapping[str, Any] | None = None
    raw_json: str | None = None  # a body sent as application/json, as it is


BAD_MONTH = {"month": "2026-13"}
BAD_PERIOD = {"period": "2026-13"}
PROBES: list[Probe] = [
    # malformed months in the URL
    Probe("api.build_packet", "POST", "asn", 403, "bad-month", BAD_MONTH),
    Probe("api.packet_versions", "GET", "asn", 404, "bad-month", BAD_MONTH),
    Probe("api.get_packet", "GET", "asn", 404, "bad-month", BAD_MONTH),
    Probe("api.unit_month", "GET", "asn_other", 403, "bad-month", BAD_MONTH),
    Probe("api.close_month", "POST", "asn_other", 403, "bad-month", BAD_MONTH),
    Probe("api.reopen_month", "POST", "asn_other", 403, "bad-month", BAD_MONTH),
    Probe("api.export_xlsx", "GET", "asn_other", 403, "bad-month", BAD_MONTH),
    Probe("api.verify_all", "POST", "asn_other", 404, "bad-month", BAD_MONTH),
    Probe("verification.queue_page", "GET", "asn_other", 403, "bad-period", BAD_PERIOD),
    Probe("verification.close", "POST", "asn_other", 403, "bad-period", BAD_PERIOD),
    Probe("verification.reopen", "GET", "asn_other", 403, "bad-period", BAD_PERIOD),
    Probe("verification.export_pdf", "GET", "asn_other", 403, "bad-period", BAD_PERIOD),
    Probe("verification.verify_all", "POST", "asn_other", 403, "bad-period", BAD_PERIOD),
    Probe("pleno.month", "GET", "asn", 403, "bad-month", BAD_MONTH),
    # malformed query parameters
    Probe("api.get_packet", "GET", "asn", 404, "bad-version", query={"version": "x"}),
    Probe("api.verification_queue", "GET", "asn", 403, "bad-month", query={"month": "2026-13"}),
    Probe("api.oversight", "GET", "asn", 403, "bad-month", query={"month": "2026-13"}),
    Probe("api.lkj_capaian", "GET", "asn", 403, "bad-period", query={"period": "xx"}),
    # malformed bodies
    Probe("api.present_packet", "POST", "asn", 404, "bad-json", raw_json="{"),
    Probe("api.finalize_packet", "POST", "asn", 404, "bad-json", raw_json="{"),
    Probe("api.finalize_packet", "POST", "ketua", 403, "bad-json", raw_json="{"),
    Probe("api.verify_entry", "POST", "asn", 403, "bad-json", raw_json="{"),
    Probe("api.verify_entry", "POST", "asn_same", 404, "bad-json", raw_json="{"),
    Probe("api.return_entry", "POST", "sekretaris", 403, "note-not-text", body={"note": 5}),
    Probe("api.reopen_month", "POST", "sekretaris", 403, "reason-not-text", body={"reason": 5}),
    Probe("api.patch_entry", "PATCH", "kasubag", 404, "bad-json", raw_json="{"),
    Probe("api.patch_entry", "PATCH", "asn_same", 404, "bad-json", raw_json="{"),
    Probe("api.create_delegation", "POST", "asn", 403, "unknown-unit", body={"unit": "ZZZ", "delegate_id": 1}),
    Probe("api.create_delegation", "POST", "asn", 403, "bad-json", raw_json="{"),
    Probe("api.create_delegation", "POST", "kasubag", 403, "bad-dates",
          body={"unit": "KUL", "delegate_id": "@user_id:owner", "start_date": "x"}),
    Probe("api.lkj_compile", "POST", "kasubag", 403, "unknown-report", raw_args={"report_code": "TIDAK-ADA"}),
    Probe("lkj.manual", "POST", "kasubag", 403, "empty-form"),
    Probe("verification.return_", "POST", "sekretaris", 403, "empty-note"),
    Probe("verification.reopen", "POST", "sekretaris", 403, "empty-reason"),
    Probe("entries.edit", "POST", "kasubag", 404, "empty-form", raw_args={}, body={}),
    Probe("api.upload_evidence", "POST", "kasubag", 404, "no-file"),
]


# Endpoints the matrix does not request, with the reason.
NOT_REQUESTED = {
    "static": "files of silabu/static, public by design (CSS, JS, icons)",
}

# Debatable behaviour encoded as the app does it (not failures).
DEBATABLE = {
    "entries.* for sekretaris / ketua / admin": "every account, also an admin-only one, may log daily entries",
    "admin and the audit log": "the admin reads who changed which field of an entry and when, but the values of its "
                               "text fields, return notes and evidence names are hidden (core.audit.event_view)",
    "LKj for every Kasubag": "any unit's Kasubag reads the LKj pages (lkj.services.LKJ_VIEW_ROLES)",
}
