"""The Flask-SocketIO extension object; ``create_app`` binds it with the configured async mode."""

from flask_socketio import SocketIO

socketio = SocketIO()
