"""A light phone page: static files minified and gzipped once, cache-busting URLs, gzipped pages.

Phones reach the laptop over plain HTTP on the venue's Wi-Fi, where browsers offer only gzip and deflate (brotli and
zstd only over HTTPS or to localhost), so gzip from the standard library is the one encoding. Each static file is
prepared once per version (minified, gzipped, hashed) and served from memory: thousands of phones joining at once cost
no compression work. Socket.IO traffic never passes here: Flask-SocketIO's middleware answers ``/socket.io/`` before
Flask does (and Engine.IO compresses its own long-polling responses). Only the pages named in ``init_app`` are
gzipped: the phone's, which hold no secret. The facilitator's pages hold a form token or a secret link and are never
compressed, so that over HTTPS the length of a compressed page cannot help guess it (BREACH); nor is any page sent
``Cache-Control: no-store``, a secret link's mark.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path

import rcssmin
import rjsmin
from flask import Flask, Response, request
from werkzeug.security import safe_join

COMPRESSIBLE = frozenset(
    {"text/html", "text/css", "text/javascript", "application/javascript", "application/json", "image/svg+xml"}
)
MIN_SIZE = 500  # below this gzip's own overhead eats the gain
PAGE_LEVEL = 6  # pages change per request: a fast level
IMMUTABLE = "public, max-age=31536000, immutable"  # a URL with the file's hash never changes content


@dataclass(frozen=True)
class Asset:
    """A static file as it is served."""

    version: str  # the first 12 hex digits of the SHA-256 of ``body``
    body: bytes  # minified .js and .css (unless already minified), else the file as it is
    gzipped: bytes | None  # None when gzip would not make it smaller


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
        body = minify(path.name, raw) if self.minify_files else raw
        packed = gzip.compress(body, compresslevel=9, mtime=0)
        worth = len(body) >= MIN_SIZE and len(packed) < len(body)
        asset = Asset(hashlib.sha256(body).hexdigest()[:12], body, packed if worth else None)
        self._cache[path] = (stamp, asset)  # one assignment: safe with green threads and real ones
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


def init_app(app: Flask, files: dict[str, Path], pages: frozenset[str]) -> Assets:
    """Serve static files (and ``files``: endpoint -> file) prepared, give their URLs a ``v`` hash, gzip ``pages``
    (endpoints whose pages hold no secret).

    Call it before registering the hooks that mark secret pages ``no-store``: Flask runs the last registered first.
    """
    assets = Assets(minify_files=app.config.get("MINIFY_ASSETS", True))
    app.extensions["aandacht.assets"] = assets

    def path_for(endpoint: str | None, values: dict | None) -> Path | None:
        """The file an endpoint serves, or None."""
        if endpoint in files:
            return files[endpoint]
        if endpoint == "static" and values and app.static_folder:
            found = safe_join(app.static_folder, str(values.get("filename", "")))
            return Path(found) if found else None
        return None

    @app.url_defaults
    def _version(endpoint, values):
        """url_for('static', ...) gets ?v=<hash>: a changed file gets a new URL, so it can be cached for good."""
        path = path_for(endpoint, values)
        if path is not None and "v" not in values:
            try:
                values["v"] = assets.get(path).version
            except OSError:
                pass

    @app.after_request
    def _light(response):
        """Static files from memory, the phone's pages gzipped, everything else as it is."""
        path = path_for(request.endpoint, request.view_args)
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
