"""``python -m game COMMAND``: serve, validate-deck, db-upgrade.

``serve`` monkey-patches (eventlet or gevent, by AANDACHT_ASYNC_MODE) before it
imports anything else of ours; the other commands never patch.
"""

import os
import sys


def main(argv: list[str]) -> int:
    """Dispatch to a command."""
    if argv[:1] == ["serve"]:
        mode = os.environ.get("AANDACHT_ASYNC_MODE", "eventlet")
        if mode == "eventlet":
            import warnings

            with warnings.catch_warnings():  # its maintenance-mode notice is for developers, not facilitators
                warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
                import eventlet
            eventlet.monkey_patch()
        elif mode == "gevent":
            from gevent import monkey

            monkey.patch_all()
        from game.server import serve

        return serve(argv[1:], mode)
    from game.cli import run

    return run(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
