"""Static files on a slow phone network (issue 14): every static URL a page names carries the file's content hash,
that URL may be cached for a year, anything else (the service worker above all) revalidates, a changed file gets a
new URL, and text answers are gzipped without changing a byte of what the browser decodes."""
from __future__ import annotations

import gzip
import re

import lxml.html
import pytest

from silabu.core.static_assets import IMMUTABLE, StaticAssets
from tests.daily_log import asn, web  # noqa: F401 - fixtures pytest finds by name

HASHED = re.compile(r"^/static/(?P<file>[^?#]+)\?v=(?P<v>[0-9a-f]{12})$")


def static_urls(html: str) -> list[str]:
    tree = lxml.html.fromstring(html)
    return [u for u in tree.xpath("//@href | //@src") if u.startswith("/static/") or "/static/" in u]


def assert_all_hashed(app, urls: list[str]) -> None:
    assets = app.extensions["silabu_static"]
    assert urls
    for url in urls:
        m = HASHED.match(url)
        assert m, f"static URL without its hash: {url}"
        assert m["v"] == assets.version(m["file"]), url


def test_every_static_url_on_the_pages_carries_its_hash(app, client, web, make_kasubag, login_as):
    seen = set()
    for path in ("/beranda", "/entri/baru", "/entri", "/kode"):
        resp = web.get(path)
        assert resp.status_code == 200, path
        urls = static_urls(resp.get_data(as_text=True))
        assert_all_hashed(app, urls)
        seen.update(u.split("?")[0] for u in urls)
    web.get("/keluar")
    anon = app.test_client()
    assert_all_hashed(app, static_urls(anon.get("/masuk").get_data(as_text=True)))
    login_as(make_kasubag())
    resp = client.get("/verifikasi/", follow_redirects=True)
    assert_all_hashed(app, static_urls(resp.get_data(as_text=True)))
    assert {"/static/css/app.css", "/static/js/app.js", "/static/js/entry-form.js", "/static/css/entries.css"} <= seen


def test_the_hashed_url_is_cached_for_a_year_and_answers_304_to_a_revalidation(app, web):
    url = next(u for u in static_urls(web.get("/entri/baru").get_data(as_text=True)) if "app.js" in u)
    resp = web.get(url)
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == IMMUTABLE
    assert resp.mimetype in ("text/javascript", "application/javascript") and resp.headers["ETag"]
    assert "Set-Cookie" not in resp.headers and "Cookie" not in resp.headers.get("Vary", "")
    again = web.get(url, headers={"If-None-Match": resp.headers["ETag"]})
    assert again.status_code == 304 and again.headers["Cache-Control"] == IMMUTABLE


def test_a_static_url_without_its_hash_or_with_an_old_one_revalidates(web):
    for url in ("/static/js/app.js", "/static/js/app.js?v=000000000000"):
        resp = web.get(url)
        assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-cache", url
    assert web.get("/static/../config.py").status_code == 404
    assert web.get("/static/js/nope.js").status_code == 404


def test_the_service_worker_is_never_cached_for_a_year_and_precaches_the_hashed_urls(app, client, org):
    resp = client.get("/sw.js")
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-cache"
    assert "immutable" not in resp.headers["Cache-Control"]
    body = resp.get_data(as_text=True)
    assets = re.search(r"const ASSETS = (\[.*?\]);", body)[1]
    urls = re.findall(r'"([^"]+)"', assets)
    assert "/static/css/app.css" in {u.split("?")[0] for u in urls}
    assert_all_hashed(app, urls)
    # Its source under /static/ is no service worker anyone registers, and even with a hash it revalidates.
    version = app.extensions["silabu_static"].version("sw.js")
    assert client.get(f"/static/sw.js?v={version}").headers["Cache-Control"] == "no-cache"


def test_the_stylesheet_names_its_icons_by_hash(app, web):
    css = web.get("/static/css/app.css").get_data(as_text=True)
    icons = re.findall(r'url\("(\.\./img/[^"]+)"\)', css)
    assert icons and all(re.search(r"\.svg\?v=[0-9a-f]{12}$", u) for u in icons), icons
    home = next(u for u in icons if "home.svg" in u)
    version = home.split("?v=")[1]
    assert version == app.extensions["silabu_static"].version("img/home.svg")
    assert web.get(f"/static/img/home.svg?v={version}").headers["Cache-Control"] == IMMUTABLE


def test_a_changed_file_gets_a_new_hash(app, tmp_path, monkeypatch):
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "dot.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    (tmp_path / "site.css").write_text('.a{background:url("img/dot.svg")}')
    (tmp_path / "app.js").write_text("console.log(1);")
    monkeypatch.setattr(app, "static_folder", str(tmp_path))
    assets = StaticAssets(app)
    js, css, icon = assets.version("app.js"), assets.version("site.css"), assets.version("img/dot.svg")
    assert assets.version("app.js") == js  # cached, the same answer
    (tmp_path / "app.js").write_text("console.log(22);")
    assert assets.version("app.js") not in (None, js)
    # The icon changes, the stylesheet's text does not: its served text names the new icon, so its hash changes too.
    (tmp_path / "img" / "dot.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="1"/>')
    assert assets.version("img/dot.svg") != icon
    assert assets.version("site.css") != css
    assert f"dot.svg?v={assets.version('img/dot.svg')}" in assets.get("site.css").data.decode()
    # Through the app: the page's URL follows the file.
    app.extensions["silabu_static"]._cache.clear()
    with app.test_request_context():
        from flask import url_for

        before = url_for("static", filename="app.js")
        (tmp_path / "app.js").write_text("console.log(333);")
        after = url_for("static", filename="app.js")
    assert before != after and after.endswith("?v=" + assets.version("app.js"))
    client = app.test_client()
    assert client.get(after).get_data() == b"console.log(333);"
    assert client.get(after).headers["Cache-Control"] == IMMUTABLE
    assert client.get(before).headers["Cache-Control"] == "no-cache"


@pytest.mark.parametrize("path", ["/static/css/app.css", "/static/js/entry-form.js", "/entri/baru", "/beranda"])
def test_text_answers_are_gzipped_and_decode_to_the_same_bytes(web, path):
    plain = web.get(path, headers={"Accept-Encoding": "identity"})
    packed = web.get(path, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert plain.status_code == packed.status_code == 200
    assert "Content-Encoding" not in plain.headers and packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in plain.headers["Vary"] and "Accept-Encoding" in packed.headers["Vary"]
    if path.startswith("/static/"):
        assert gzip.decompress(packed.get_data()) == plain.get_data()
        assert packed.headers["ETag"] != plain.headers["ETag"]
    else:  # a page carries a fresh CSRF token and form id each time: the same page, apart from those
        text = gzip.decompress(packed.get_data()).decode()
        strip = re.compile(r'(content|value)="[0-9a-f.\-A-Za-z_]{20,}"')
        assert strip.sub("", text) == strip.sub("", plain.get_data(as_text=True))
    assert len(packed.get_data()) < len(plain.get_data()) / 2


def test_small_files_and_clients_without_gzip_get_plain_bytes(web):
    small = web.get("/static/img/home.svg", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in small.headers and small.get_data().startswith(b"<svg")
    refused = web.get("/static/css/app.css", headers={"Accept-Encoding": "gzip;q=0, br"})
    assert "Content-Encoding" not in refused.headers and refused.get_data().startswith(b"")
