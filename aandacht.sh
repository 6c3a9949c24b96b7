#!/usr/bin/env bash
# Aandacht's two commands. Each sets up what it needs first (idempotent, fast when nothing changed):
#   ./aandacht.sh run    set up, create/upgrade the SQLite database, start the server (prints the facilitator's URL)
#   ./aandacht.sh test   set up (also Debian's Chromium, nginx, PostgreSQL and Redis) and run every test; the tests
#                        start their own throwaway PostgreSQL and Redis, nothing needs to be running
#   ./aandacht.sh cluster  set up and start several server processes behind nginx (PostgreSQL + Redis; docs/deploy.md)
#   ./aandacht.sh bench  set up and run the benchmark (bench/run.py: the real server against a bare one, N phones)
# Extra arguments go to the server (run) or to pytest (test).
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-python3}
VENV=.venv

say() { printf '\033[1m[aandacht]\033[0m %s\n' "$*"; }

stamp_ok() {  # stamp_ok NAME FILE...: true when the files are unchanged since the last successful step NAME
  local want; want=$(cat "${@:2}" | sha256sum | cut -d' ' -f1)
  [ -f "$VENV/.stamp-$1" ] && [ "$(cat "$VENV/.stamp-$1")" = "$want" ]
}
stamp_set() { cat "${@:2}" | sha256sum | cut -d' ' -f1 > "$VENV/.stamp-$1"; }

setup_python() {  # setup_python SPEC: "." for the app, ".[test]" with the test tools
  if [ ! -x "$VENV/bin/python" ]; then
    say "creating the virtual environment in $VENV"
    "$PYTHON" -m venv "$VENV"
  fi
  local name; name=$(printf '%s' "$1" | tr -c 'a-z' '_')
  if ! stamp_ok "python$name" pyproject.toml; then
    say "installing Python packages from PyPI ($1)"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$1"
    stamp_set "python$name" pyproject.toml
  fi
}

setup_node() {  # the Socket.IO client (served to the pages) and axe-core (the accessibility tests)
  if [ ! -f node_modules/socket.io-client/dist/socket.io.min.js ] || [ ! -f node_modules/axe-core/axe.min.js ] \
      || ! stamp_ok node package-lock.json; then
    command -v npm >/dev/null || { say "npm is missing: install Node.js 18+ (apt-get install nodejs npm)"; exit 1; }
    say "installing front-end packages from the npm registry (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error
    stamp_set node package-lock.json
  fi
}

setup_translations() {  # the message catalogs: game/translations/*/LC_MESSAGES/messages.po -> .mo (build output)
  local po f missing=""
  po=$(ls game/translations/*/LC_MESSAGES/messages.po)
  for f in $po; do [ -f "${f%.po}.mo" ] || missing=1; done
  # shellcheck disable=SC2086
  if [ -n "$missing" ] || ! stamp_ok translations $po; then
    say "compiling the message catalogs (pybabel compile)"
    "$VENV/bin/pybabel" compile --statistics -d game/translations
    # shellcheck disable=SC2086
    stamp_set translations $po
  fi
}

setup_chromium() {
  if [ -x /usr/bin/chromium ]; then return; fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian's Chromium for the browser tests"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    say "the browser tests need Debian's Chromium: sudo apt-get install chromium"; exit 1
  fi
}

setup_nginx() {  # nginx for the cluster (and its test); Debian's nginx-light is enough
  if command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; then return; fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian's nginx-light for the cluster"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx-light >/dev/null
  else
    say "the cluster needs nginx: sudo apt-get install nginx-light"; exit 1
  fi
}

setup_test_servers() {  # the tests start their own throwaway PostgreSQL and Redis from these (tests/conftest.py)
  local missing=""
  if [ -z "${AANDACHT_TEST_DATABASE_URL:-}" ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
      && ! command -v initdb >/dev/null; then
    missing="postgresql"
  fi
  if [ -z "${AANDACHT_TEST_REDIS_URL:-}" ] && ! command -v redis-server >/dev/null && [ ! -x /usr/bin/redis-server ]; then
    missing="$missing redis-server"
  fi
  missing=${missing# }
  if [ -z "$missing" ]; then return; fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian's $missing for the tests (they start their own throwaway servers; none is used as is)"
    # shellcheck disable=SC2086
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
  else
    say "the tests start their own PostgreSQL and Redis from Debian's packages: sudo apt-get install $missing"
    say "(or name running servers: AANDACHT_TEST_DATABASE_URL=postgresql+psycopg2://user@host/postgres and"
    say " AANDACHT_TEST_REDIS_URL=redis://host:6379/0)"
    exit 1
  fi
}

case "${1:-}" in
  run)
    shift
    setup_python .
    setup_node
    setup_translations
    "$VENV/bin/python" -m game db-upgrade
    exec "$VENV/bin/python" -m game serve "$@"
    ;;
  test)
    shift
    setup_python ".[test]"
    setup_node
    setup_translations
    setup_chromium
    setup_nginx
    setup_test_servers
    say "lint: ruff check (the rules are in pyproject.toml)"
    "$VENV/bin/ruff" check .
    exec "$VENV/bin/python" -m pytest "$@"
    ;;
  cluster)
    shift
    setup_python .
    setup_node
    setup_translations
    case " $* " in *" --no-nginx "*) ;; *) setup_nginx ;; esac
    exec "$VENV/bin/python" -m game cluster "$@"
    ;;
  bench)
    shift
    setup_python ".[test,bench]"
    setup_node
    setup_translations
    exec "$VENV/bin/python" -m bench.run "$@"
    ;;
  *)
    echo "usage: ./aandacht.sh run [--port N]   |   ./aandacht.sh test [pytest args]   |   ./aandacht.sh cluster [-n N] [--port P]   |   ./aandacht.sh bench [--phones N]" >&2
    exit 2
    ;;
esac
