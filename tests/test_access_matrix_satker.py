"""The access matrix's satker axis (issue 15): a person of another satker, whatever their role, gets nothing of
the matrix's world — not through a page, not through the API, not with the world's own ids in the URL.

The world (tests/test_access_matrix.py) is KPU Kabupaten Kudus with its entries, evidence, notification, Plh,
packet, LKj and office day. Beside it stands KPU Kabupaten Jepara with the same unit codes and catalogue and one
person for each role of the world. Every GET route of the app is opened by each of them with the world's
arguments: an object of the world named by id is not there for them (404, or 403 where the page is refused for
the role anyway), and no answer carries a secret of the world or a name of its people.
"""
from __future__ import annotations

import time_machine

from tests.access_matrix_data import ENTRY_SECRET, HEAD_SECRET, NOTE_SECRET
from tests.conftest import PASSWORD, SHARED
from tests.test_access_matrix import (  # noqa: F401  (the world's fixtures)
    NOW,
    ROUTES,
    _matrix,
    _url,
    world,
)

TWINS = {"twin_asn": ("KUL", "asn"), "twin_kasubag": ("KUL", "asn,kasubag"), "twin_rendatin": ("RDI", "asn,rendatin"),
         "twin_sekretaris": ("SEK", "sekretaris"), "twin_ketua": ("SEK", "ketua"), "twin_admin": ("SEK", "admin")}
# URL arguments that name one object of the world by its id (not a month, a year or a code every satker has).
OBJECT_ARGS = {"entry_id", "evidence_id", "user_id", "token_id", "unit_id", "manual_id", "notification_id",
               "delegation_id", "indicator_id", "code_id"}
# Public by design: the LKj's verification page (anyone holding the printed code), the login and static pages.
PUBLIC = {"lkj.verify", "static"}
SECRETS = (ENTRY_SECRET, HEAD_SECRET, NOTE_SECRET, "Matriks ")


def _twins(app, db):
    """Jepara, its units (same codes, other names), its catalogue and one person per role, each with a token and
    a session cookie."""
    from silabu.accounts.org import ensure_satker, ensure_unit
    from silabu.accounts.services import UserData, create_user
    from silabu.accounts.tenancy import satker_scope
    from silabu.accounts.tokens import issue_token
    from silabu.catalog.services import import_output_codes
    from silabu.core.tables import read_table
    from tests.conftest import make_nip

    jepara = ensure_satker("3320", "KPU Kabupaten Jepara", "Asia/Jakarta")
    people = {}
    with satker_scope(jepara):
        ensure_unit(jepara, "SEK", "Sekretariat Jepara")
        for code in ("KUL", "TPH", "RDI", "HSD"):
            ensure_unit(jepara, code, f"Sub Bagian {code} Jepara", "SEK")
        import_output_codes(read_table("output_codes.csv", (SHARED / "data/demo/output_codes.csv").read_bytes()).rows)
        for actor, (unit, roles) in TWINS.items():
            user, _ = create_user(UserData(name=f"Kembar {actor}", unit_code=unit, roles=roles, nip=make_nip(),
                                           password=PASSWORD), must_change_password=False)
            people[actor] = user
        db.session.commit()
        tokens = {actor: issue_token(user, 24, name="kembar")[0] for actor, user in people.items()}
        db.session.commit()
    cookies = {}
    for actor, user in people.items():
        client = app.test_client()
        resp = client.post("/masuk", data={"login": user.nip, "password": PASSWORD})
        assert resp.status_code == 302, actor
        cookies[actor] = client.get_cookie(app.config["SESSION_COOKIE_NAME"], domain="silabu.test")
    return tokens, cookies


def test_a_person_of_another_satker_gets_nothing_of_this_one(app, world):
    from silabu.extensions import db

    with time_machine.travel(NOW, tick=False), app.app_context():
        tokens, cookies = _twins(app, db)
        problems = []
        rules = {r.endpoint: r for r in app.url_map.iter_rules()}
        checked = 0
        for endpoint, method in ROUTES:
            if method != "GET" or endpoint == "static":
                continue
            url = _url(app, world, endpoint, method, {})
            if endpoint in PUBLIC:  # whoever holds the printed code checks the document, signed in or not
                client = app.test_client()
                c = cookies["twin_asn"]
                client.set_cookie(c.key, c.value, domain=c.domain, path=c.path)
                if client.get(url).status_code != 200:
                    problems.append(f"twin_asn GET {url} ({endpoint}): a public page refused")
                continue
            names_object = bool(set(rules[endpoint].arguments) & OBJECT_ARGS)
            for actor in TWINS:
                auths = ["bearer", "session"] if url.startswith("/api/") else ["session"]
                for auth in auths:
                    client = app.test_client()
                    headers = {}
                    if auth == "bearer":
                        headers["Authorization"] = f"Bearer {tokens[actor]}"
                    else:
                        c = cookies[actor]
                        client.set_cookie(c.key, c.value, domain=c.domain, path=c.path)
                    resp = client.get(url, headers=headers)
                    checked += 1
                    where = f"{actor} [{auth}] GET {url} ({endpoint}): {resp.status_code}"
                    if resp.status_code >= 500:
                        problems.append(f"{where} server error")
                    if names_object and resp.status_code not in (403, 404):
                        problems.append(f"{where}, expected 404 (the object is another satker's)")
                    if resp.mimetype.startswith("text/") or resp.mimetype.endswith("json"):
                        text = resp.get_data(as_text=True)
                        problems += [f"{where} shows {s!r}" for s in SECRETS if s in text]
                    elif resp.status_code == 200 and names_object:
                        problems.append(f"{where} sends a file of another satker")
        assert checked > 100
        assert not problems, "\n".join(problems)
