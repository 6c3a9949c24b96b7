"""The Flask-SocketIO extension object; ``create_app`` binds it with the configured async mode."""

from flask_socketio import SocketIO
from socketio.packet import Packet

socketio = SocketIO()


class JsonPacket(Packet):
    """Socket.IO packets of JSON only. Aandacht never sends or expects binary attachments, so python-socketio's
    search of every payload for bytes (a recursive walk of the whole view on every emit, the second largest cost
    of a publication in the benchmark's profile) is skipped; everything else is python-socketio's own encoding."""

    uses_binary_events = False


def without_websocket_compression(wsgi_app):
    """Decline the permessage-deflate extension that browsers offer on every websocket.

    eventlet's websocket keeps a zlib compressor with a 32 KB window per connection for its whole life (about
    256 KB of memory each: more than everything else a phone costs the server) and compresses every frame,
    even a two-byte ping. Without the offer the handshake simply agrees on no extension (RFC 7692): the same
    messages go uncompressed.
    """

    def app(environ, start_response):
        environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
        return wsgi_app(environ, start_response)

    return app
