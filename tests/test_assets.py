"""Light pages (game/web/assets.py): static files minified and gzipped once, hashed URLs cached for good, pages
gzipped, and the Socket.IO endpoint left alone. The real browser's byte count is in test_page_weight_browser.py."""

from __future__ import annotations

import gzip
import re
import shutil
import subprocess

import pytest
from flask import Flask

from game.web import assets as assets_module
from game.web.assets import IMMUTABLE, Assets, Bundle
from game.web.i18n import PAGE_SCRIPTS
from game.web.pages import SOCKET_IO_CLIENT

from .conftest import REPO, create_workshop

GZIP = {"Accept-Encoding": "gzip, deflate"}  # what a phone's browser sends over plain HTTP


def get(client, url: str, **headers):
    """GET a URL and read the whole answer (closing it, so no file stays open)."""
    response = client.get(url, headers=headers)
    response.get_data()
    response.close()
    return response


def room_code(app, client) -> str:
    """The room code of a fresh workshop."""
    key = create_workshop(client)
    svc = app.extensions["aandacht"]
    return svc.state(svc.store.workshop_id_by_key("facilitator", key)).workshop.code


def asset_urls(html: str) -> dict[str, str]:
    """The stylesheet and script URLs a page links, by file name."""
    urls = re.findall(r'(?:href|src)="([^"]+\.(?:css|js)\?v=[0-9a-f]{12})"', html)
    return {url.split("?")[0].rsplit("/", 1)[1]: url for url in urls}


def test_static_text_is_gzipped_only_when_the_client_takes_it(client):
    for url in ("/static/css/app.css", "/static/js/play.js", "/static/js/common.js", "/bundle/play.js"):
        plain = get(client, url)
        packed = get(client, url, **GZIP)
        assert plain.status_code == packed.status_code == 200, url
        assert "Content-Encoding" not in plain.headers, url
        assert packed.headers["Content-Encoding"] == "gzip", url
        assert "Accept-Encoding" in plain.headers["Vary"] and "Accept-Encoding" in packed.headers["Vary"]
        assert gzip.decompress(packed.data) == plain.data, url
        assert int(packed.headers["Content-Length"]) == len(packed.data) < len(plain.data) / 2, url
        assert packed.headers["ETag"] != plain.headers["ETag"], url  # two representations, two validators
        refused = get(client, url, **{"Accept-Encoding": "gzip;q=0, identity"})
        assert "Content-Encoding" not in refused.headers and refused.data == plain.data, url


def test_pages_are_gzipped_only_when_the_client_takes_it(app, client):
    key = create_workshop(client)
    svc = app.extensions["aandacht"]
    code = svc.state(svc.store.workshop_id_by_key("facilitator", key)).workshop.code
    for url in ("/play", f"/j/{code}"):
        plain = get(client, url)
        packed = get(client, url, **GZIP)
        assert plain.status_code == packed.status_code == 200, url
        assert "Content-Encoding" not in plain.headers and b"<!doctype html>" in plain.data, url
        assert packed.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed.headers["Vary"], url
        assert b"<!doctype html>" in gzip.decompress(packed.data), url
        assert "Content-Security-Policy" in packed.headers, url  # the security headers stay
    # the facilitator's pages hold a secret and are never compressed, so their length cannot help guess it (BREACH):
    # the console and the big screen (their key), the start page and the report (a form token, console links)
    screen_url = re.search(r'href="(/s/[^"]+)"', get(client, f"/f/{key}").get_data(as_text=True)).group(1)
    for url in (f"/f/{key}", screen_url, "/", f"/f/{key}/report"):
        secret = get(client, url, **GZIP)
        assert secret.status_code == 200 and len(secret.data) >= 500, url
        assert "Content-Encoding" not in secret.headers and b"<!doctype html>" in secret.data, url


def test_our_javascript_and_css_are_minified_and_still_parse(tmp_path):
    assets = Assets()
    for path in sorted((REPO / "static").rglob("*.css")) + sorted((REPO / "static").rglob("*.js")):
        served = assets.get(path).body
        assert len(served) < path.stat().st_size, path.name
        assert not re.search(rb"/\*(?!!)", served), path.name  # comments gone (a /*! licence would stay)
        if path.suffix == ".js":
            node = shutil.which("node")
            assert node, "Node.js is needed (npm ci installs the Socket.IO client)"
            copy = tmp_path / path.name
            copy.write_bytes(served)
            check = subprocess.run([node, "--check", str(copy)], capture_output=True, text=True)
            assert check.returncode == 0, f"{path.name} no longer parses once minified:\n{check.stderr}"
    vendor = REPO / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"
    assert assets.get(vendor).body == vendor.read_bytes()  # already minified: served as it is
    assert Assets(minify_files=False).get(REPO / "static" / "js" / "play.js").body == (
        REPO / "static" / "js" / "play.js"
    ).read_bytes()  # AANDACHT_MINIFY=0 serves the files as they are, for debugging


def test_hashed_urls_are_cached_for_good_and_change_with_the_file(app, client, tmp_path):
    code = room_code(app, client)
    urls = asset_urls(get(client, f"/j/{code}").get_data(as_text=True))
    assert set(urls) == {"app.css", "play.js"} and urls["play.js"].startswith("/bundle/play.js?v=")
    for url in urls.values():
        response = get(client, url, **GZIP)
        assert response.headers["Cache-Control"] == IMMUTABLE, url
    unversioned = get(client, "/static/js/play.js", **GZIP)
    assert unversioned.headers.get("Cache-Control") != IMMUTABLE  # an old or bare URL is revalidated instead
    stale = get(client, "/static/js/play.js?v=000000000000", **GZIP)
    assert stale.headers.get("Cache-Control") != IMMUTABLE

    # a file changed on disk gets a new hash, so a new URL, and is served fresh
    assets = Assets()
    changed = tmp_path / "x.js"
    changed.write_text("var a = 1; // one\n")
    before = assets.get(changed)
    changed.write_text("var a = 2; // two, and longer\n")  # another size: a change seen even within one mtime tick
    after = assets.get(changed)
    assert before.version != after.version and after.body == b"var a=2;"


def test_a_page_fetches_its_style_sheet_and_one_bundle_of_its_scripts(app, client, tmp_path):
    """Each page's scripts come as one file, in the order they ran as separate scripts; the icon is in the page."""
    code = room_code(app, client)
    key = create_workshop(client)
    console = get(client, f"/f/{key}").get_data(as_text=True)
    screen = re.search(r'href="(/s/[^"]+)"', console).group(1)
    assets = app.extensions["aandacht.assets"]
    catalogs = app.extensions["aandacht.i18n"]
    node = shutil.which("node")
    assert node, "Node.js is needed (npm ci installs the Socket.IO client)"
    for page, url in (("play", f"/j/{code}"), ("play", "/play"), ("screen", screen), ("console", f"/f/{key}")):
        html = get(client, url).get_data(as_text=True)
        linked = re.findall(r'(?:src|href)="(/[^"?]+)', html)
        assert [u for u in linked if u.startswith(("/static/", "/bundle/"))] == [
            "/static/css/app.css", f"/bundle/{page}.js"], url
        assert 'rel="icon" href="data:image/svg+xml;base64,' in html, url
        bundle = get(client, asset_urls(html)[f"{page}.js"], **GZIP)
        assert bundle.status_code == 200 and bundle.headers["Cache-Control"] == IMMUTABLE, url
        body = gzip.decompress(bundle.data)
        *shared, own = PAGE_SCRIPTS[page]
        parts = [SOCKET_IO_CLIENT, *(REPO / "static" / "js" / name for name in shared)]
        pieces = [assets.get(p).body for p in parts]
        pieces += [catalogs.get(page).body, assets.get(REPO / "static/js" / own).body]
        starts = [body.find(piece.split(b"//# sourceMappingURL=")[0].strip()) for piece in pieces]
        assert -1 not in starts and starts == sorted(starts), (page, starts)  # every part, in order
        assert b"sourceMappingURL" not in body  # the client's map is not served
        copy = tmp_path / f"{page}.js"
        copy.write_bytes(body)
        check = subprocess.run([node, "--check", str(copy)], capture_output=True, text=True)
        assert check.returncode == 0, f"the {page} bundle does not parse:\n{check.stderr}"
    assert get(client, "/bundle/nope.js").status_code == 404


def test_a_bundle_is_made_again_when_a_part_changes(tmp_path):
    assets = Assets()
    first, second = tmp_path / "a.js", tmp_path / "b.js"
    first.write_text("var a = 1 // no semicolon, no newline")
    second.write_text("(function () { window.b = 2; })()\n//# sourceMappingURL=b.js.map\n")
    bundle = Bundle([lambda: assets.get(first), lambda: assets.get(second)])
    before = bundle.get()
    assert before.body == b"var a=1\n;\n(function(){window.b=2;})()\n"  # in order, each part ended
    assert bundle.get() is before  # unchanged parts: the same prepared bundle
    second.write_text("(function () { window.b = 3; })()\n")
    after = bundle.get()
    assert after.version != before.version and b"window.b=3" in after.body


def test_a_missing_part_is_a_clear_error(tmp_path):
    app = Flask("t", static_folder=str(tmp_path))
    assets_module.init_app(app, bundles={"x": [tmp_path / "missing.js"]}, pages=frozenset())
    response = app.test_client().get("/bundle/x.js")
    assert response.status_code == 500 and b"missing.js" in response.data and b"run the set-up" in response.data


def test_conditional_requests_get_304_per_representation(client):
    url = "/static/css/app.css"
    packed = get(client, url, **GZIP)
    plain = get(client, url)
    again = get(client, url, **GZIP, **{"If-None-Match": packed.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    # the uncompressed validator does not stand for the gzipped body, nor the other way round
    other = get(client, url, **GZIP, **{"If-None-Match": plain.headers["ETag"]})
    assert other.status_code == 200 and other.headers["Content-Encoding"] == "gzip"
    # a Range request gets the whole file: ranges of a gzipped body would not mean what the client thinks
    ranged = get(client, url, **GZIP, Range="bytes=0-99")
    assert ranged.status_code == 200 and gzip.decompress(ranged.data) == plain.data


def test_scripts_and_styles_carry_only_the_headers_that_act_on_them(client):
    for url in ("/static/js/play.js", "/static/css/app.css", "/bundle/play.js"):
        response = get(client, url, **GZIP)
        assert response.headers["X-Content-Type-Options"] == "nosniff", url  # so never run or shown as a page
        assert response.headers["Referrer-Policy"] == "no-referrer", url  # a style sheet's own fetches leak nothing
        for header in ("Content-Security-Policy", "X-Frame-Options", "Cross-Origin-Opener-Policy"):
            assert header not in response.headers, (url, header)  # only documents obey them
    for url in ("/play", "/static/favicon.svg"):  # a page, and an image that could be opened as a document
        response = get(client, url, **GZIP)
        assert "script-src 'self'" in response.headers["Content-Security-Policy"], url
        assert response.headers["X-Frame-Options"] == "DENY", url


def test_small_and_non_text_answers_are_left_alone(client):
    health = get(client, "/healthz", **GZIP)
    assert "Content-Encoding" not in health.headers and health.json == {"ok": True}
    icon = get(client, "/static/favicon.svg", **GZIP)
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml" and "Content-Encoding" not in icon.headers


@pytest.mark.parametrize("accept", ["gzip, deflate, br", None])
def test_socket_io_endpoint_is_untouched(client, accept):
    headers = {"Accept-Encoding": accept} if accept else {}
    response = client.get("/socket.io/?EIO=4&transport=polling", headers=headers)
    body = response.get_data()
    response.close()
    assert response.status_code == 200 and body.startswith(b'0{"sid":')  # Engine.IO's open packet, as sent
    assert "Content-Encoding" not in response.headers
    # Flask never saw it: none of the page hooks (security headers, Vary, compression) ran on it
    assert "Content-Security-Policy" not in response.headers and "Vary" not in response.headers
