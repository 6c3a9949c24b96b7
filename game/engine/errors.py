"""The one error the rules raise: a machine-readable code and a human message."""


class GameError(Exception):
    """A command that the rules refuse; nothing changes when it is raised."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    def to_dict(self) -> dict:
        """Return the form sent back in an acknowledgement."""
        return {"code": self.code, "message": self.message}
