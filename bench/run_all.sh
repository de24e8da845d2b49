#!/usr/bin/env bash
# Every benchmark of bench/README.md, one after the other, on the current commit; each prints its
# header (date, commit, load average) and goes to var/bench/<name>.txt as well as the terminal.
#
#   DATABASE_URL=postgis://postgres@127.0.0.1:5432/<all of France loaded> \
#   SPATIALITE_URL=spatialite:///$PWD/var/sante-territoires.sqlite3 bench/run_all.sh
#
# Run it on a quiet machine: the figures of bench/README.md are copied from these files.
set -uo pipefail
cd "$(dirname "$0")/.."
: "${DATABASE_URL:?a PostGIS database with all of France loaded}"
SPATIALITE_URL=${SPATIALITE_URL:-spatialite:///$PWD/var/sante-territoires.sqlite3}
PY=.venv/bin/python
mkdir -p var/bench
run() {  # name, then the command
  local name=$1
  shift
  echo "== $name"
  "$@" 2>&1 | grep -v "WARNING django.request\|^Not Found\|^Forbidden" | tee "var/bench/$name.txt"
}
run pages-postgis env DATABASE_URL="$DATABASE_URL" $PY bench/bench_pages.py
run pages-spatialite env DATABASE_URL="$SPATIALITE_URL" $PY bench/bench_pages.py
run apl env DATABASE_URL="$DATABASE_URL" $PY bench/bench_apl.py
run run-postgis env DATABASE_URL="$DATABASE_URL" $PY bench/bench_run.py
run run-spatialite env DATABASE_URL="$SPATIALITE_URL" $PY bench/bench_run.py --repeat 1
run planning env DATABASE_URL="$DATABASE_URL" $PY bench/bench_planning.py
run api env DATABASE_URL="$DATABASE_URL" $PY bench/bench_api.py
run search env DATABASE_URL="$DATABASE_URL" $PY bench/bench_search.py
run markdown $PY bench/bench_markdown.py
run load env DATABASE_URL="$DATABASE_URL" $PY bench/bench_load.py
run variants env DATABASE_URL="$DATABASE_URL" $PY bench/check_real_variants.py
run territories $PY bench/bench_territories.py
