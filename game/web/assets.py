"""A light phone page: static files minified and gzipped once, each page's scripts as one file, cache-busting URLs,
gzipped pages, the icon inline.

Phones reach the laptop over plain HTTP on the venue's Wi-Fi, where browsers offer only gzip and deflate (brotli and
zstd only over HTTPS or to localhost), so gzip from the standard library is the one encoding. Each static file is
prepared once per version (minified, gzipped, hashed) and served from memory: thousands of phones joining at once cost
no compression work. A page's scripts come as one bundle, and the icon is part of the page: a phone fetches the page,
its style sheet and its script, over two connections instead of six (each connection the server accepts leaves memory
behind, see ``Bundle``). Socket.IO traffic never passes here: Flask-SocketIO's middleware answers ``/socket.io/`` before
Flask does (and Engine.IO compresses its own long-polling responses). Only the pages named in ``init_app`` are
gzipped: the phone's, which hold no secret. The facilitator's pages hold a form token or a secret link and are never
compressed, so that over HTTPS the length of a compressed page cannot help guess it (BREACH); nor is any page sent
``Cache-Control: no-store``, a secret link's mark.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import mimetypes
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import rcssmin
import rjsmin
from flask import Flask, Response, abort, request
from werkzeug.security import safe_join

COMPRESSIBLE = frozenset(
    {"text/html", "text/css", "text/javascript", "application/javascript", "application/json", "image/svg+xml"}
)
MIN_SIZE = 500  # below this gzip's own overhead eats the gain
PAGE_LEVEL = 6  # pages change per request: a fast level
IMMUTABLE = "public, max-age=31536000, immutable"  # a URL with the file's hash never changes content
SOURCE_MAP = re.compile(rb"^//# sourceMappingURL=\S*\s*$", re.MULTILINE)  # names a file we do not serve


@dataclass(frozen=True)
class Asset:
    """A static file as it is served."""

    version: str  # the first 12 hex digits of the SHA-256 of ``body``
    body: bytes  # minified .js and .css (unless already minified), else the file as it is
    gzipped: bytes | None  # None when gzip would not make it smaller


def prepare(body: bytes) -> Asset:
    """A body as it is served: hashed, and gzipped at the best level when that is worth it."""
    packed = gzip.compress(body, compresslevel=9, mtime=0)
    worth = len(body) >= MIN_SIZE and len(packed) < len(body)
    return Asset(hashlib.sha256(body).hexdigest()[:12], body, packed if worth else None)


def minify(name: str, raw: bytes) -> bytes:
    """Our own JavaScript and CSS without comments and spare whitespace; other files unchanged."""
    if name.endswith((".min.js", ".min.css")):
        return raw
    if name.endswith(".js"):
        return rjsmin.jsmin(raw.decode("utf-8"), keep_bang_comments=True).encode("utf-8")
    if name.endswith(".css"):
        return rcssmin.cssmin(raw.decode("utf-8"), keep_bang_comments=True).encode("utf-8")
    return raw


class Assets:
    """Static files prepared once per version of each file: a file changed on disk is prepared again."""

    def __init__(self, minify_files: bool = True):
        self.minify_files = minify_files
        self._cache: dict[Path, tuple[tuple[int, int], Asset]] = {}

    def get(self, path: Path) -> Asset:
        """The served form of a file (raises OSError when it is missing)."""
        stat = path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
        hit = self._cache.get(path)
        if hit is not None and hit[0] == stamp:
            return hit[1]
        raw = path.read_bytes()
        asset = prepare(minify(path.name, raw) if self.minify_files else raw)
        self._cache[path] = (stamp, asset)  # one assignment: safe with green threads and real ones
        return asset

    def data_uri(self, path: Path) -> str:
        """A small file as a ``data:`` URI, to put it inside the page instead of a request of its own."""
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return f"data:{mime};base64,{base64.b64encode(self.get(path).body).decode('ascii')}"


class Bundle:
    """Several scripts served as one file, in the order a page ran them as separate ``defer`` scripts.

    A phone's browser fetches a page's scripts in parallel, each over a connection of its own (up to six). The server
    accepts each, with a green thread, buffers and socket objects, while the phone's websocket is being set up;
    the benchmark measured what that interleaving leaves behind after a join burst of 1,000 phones: about 30 KB of
    Python's small-object memory per phone that is never given back, next to 70 KB for everything else a connected
    phone costs. One bundle and an inline icon make it two connections per phone.

    ``parts`` are callables giving the served form of each script (a static file, a generated catalog); the bundle
    is made again when any part's version changed. The parts are separated by ``;`` on a line of its own, so
    that no part's last statement runs on into the next.
    """

    def __init__(self, parts: Sequence[Callable[[], Asset]]):
        self.parts = tuple(parts)
        self._built: tuple[tuple[str, ...], Asset] | None = None

    def get(self) -> Asset:
        """The bundle as served."""
        pieces = [part() for part in self.parts]
        key = tuple(piece.version for piece in pieces)
        built = self._built
        if built is not None and built[0] == key:
            return built[1]
        body = b"\n;\n".join(SOURCE_MAP.sub(b"", piece.body).rstrip() for piece in pieces) + b"\n"
        asset = prepare(body)
        self._built = (key, asset)  # one assignment: safe with green threads and real ones
        return asset


def accepts_gzip() -> bool:
    """Whether the client takes a gzipped body (``Accept-Encoding``, with its q-values and ``*``)."""
    return request.accept_encodings["gzip"] > 0


def _drop_body(response: Response) -> None:
    """Close the file behind a response whose body is about to be replaced."""
    close = getattr(response.response, "close", None)
    if close is not None:
        close()


def serve_asset(response: Response, asset: Asset, version: str | None) -> Response:
    """Answer with the prepared file: gzipped if the client takes it, a content ETag, long caching for a hashed URL."""
    packed = asset.gzipped is not None and accepts_gzip()
    _drop_body(response)
    response.direct_passthrough = False
    response.status_code = 200  # a Range or If-Modified-Since answer of the file handler is re-decided below
    for header in ("Content-Range", "Accept-Ranges", "Last-Modified", "Content-Encoding", "Content-Disposition"):
        response.headers.pop(header, None)
    response.set_data(asset.gzipped if packed else asset.body)
    if packed:
        response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    response.set_etag(asset.version + ("-gzip" if packed else ""))
    if version == asset.version:
        response.headers["Cache-Control"] = IMMUTABLE
    return response.make_conditional(request)


def compress_page(response: Response) -> Response:
    """Gzip a page when the client takes it and it is worth it."""
    if response.mimetype not in COMPRESSIBLE:
        return response
    response.vary.add("Accept-Encoding")
    if (
        response.status_code != 200
        or "Content-Encoding" in response.headers
        or (response.is_streamed and not response.direct_passthrough)  # a generator: never buffer a stream
        or response.cache_control.no_store  # a secret link's page (console, screen): no length to learn it by
        or not accepts_gzip()
    ):
        return response
    response.direct_passthrough = False
    body = response.get_data()
    if len(body) < MIN_SIZE:
        return response
    packed = gzip.compress(body, compresslevel=PAGE_LEVEL, mtime=0)
    if len(packed) >= len(body):
        return response
    response.set_data(packed)
    response.headers["Content-Encoding"] = "gzip"
    etag, weak = response.get_etag()
    if etag:
        response.set_etag(etag + "-gzip", weak=weak)
    return response


def init_app(app: Flask, bundles: dict[str, Sequence[Path | Callable[[], Asset]]], pages: frozenset[str]) -> Assets:
    """Serve static files prepared, each of ``bundles`` (name -> its scripts: files, or callables giving a generated
    one) at ``/bundle/<name>.js``, give their URLs a ``v`` hash, gzip ``pages`` (endpoints whose pages hold no
    secret), and give templates ``inline_static(filename)``, a small static file as a ``data:`` URI.

    Call it before registering the hooks that mark secret pages ``no-store``: Flask runs the last registered first.
    """
    assets = Assets(minify_files=app.config.get("MINIFY_ASSETS", True))
    app.extensions["aandacht.assets"] = assets
    built = {
        name: Bundle([part if callable(part) else (lambda path=part: assets.get(path)) for part in parts])
        for name, parts in bundles.items()
    }

    def static_path(values: dict | None) -> Path | None:
        """The static file a URL's values name, or None."""
        if not values or not app.static_folder:
            return None
        found = safe_join(app.static_folder, str(values.get("filename", "")))
        return Path(found) if found else None

    def bundle(name: str):
        """A page's scripts as one file."""
        if name not in built:
            abort(404)
        try:
            asset = built[name].get()
        except OSError as error:  # node_modules not installed, say
            abort(500, description=f"A script of this page is missing ({error.filename}): run the set-up.")
        return serve_asset(Response(asset.body, mimetype="text/javascript"), asset, request.args.get("v"))

    app.add_url_rule("/bundle/<name>.js", "bundle", bundle)

    @app.url_defaults
    def _version(endpoint, values):
        """Static files and bundles get ?v=<hash>: a changed file gets a new URL, so it can be cached for good."""
        if "v" in values:
            return
        try:
            if endpoint == "bundle" and values.get("name") in built:
                values["v"] = built[values["name"]].get().version
            elif endpoint == "static" and (path := static_path(values)) is not None:
                values["v"] = assets.get(path).version
        except OSError:
            pass  # a missing file: the URL without a hash, whose request answers the error

    @app.template_global()
    def inline_static(filename: str) -> str:
        """A small static file (the icon) as a ``data:`` URI: part of the page, no request of its own."""
        return assets.data_uri(Path(app.static_folder) / filename)

    @app.after_request
    def _light(response):
        """Static files from memory, the phone's pages gzipped, everything else as it is."""
        path = static_path(request.view_args) if request.endpoint == "static" else None
        if path is not None and request.method in ("GET", "HEAD") and response.status_code in (200, 206, 304):
            try:
                asset = assets.get(path)
            except OSError:
                return response
            return serve_asset(response, asset, request.args.get("v"))
        if request.endpoint in pages:
            return compress_page(response)
        return response

    return assets
