#!/usr/bin/env bash
# One command for every benchmark scenario (see bench/README.md): installs wrk (Debian's package) when
# missing, makes sure PostgreSQL is up, builds the release server, then bench/run.py seeds the database
# once (1 M reports, 100 k citizens, events and ratings) and runs each scenario at 1, 32 and 128 clients
# with wrk against the server as its own process, next to pgbench running the same answer's best SQL.
# It prints a Markdown table and writes bench/results/latest.json. Settings: see bench/run.py.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v wrk >/dev/null 2>&1; then
  echo "== installing wrk"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  echo "== starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main start
fi
echo "== building the release server"
cargo build --release --bin congdanso
exec python3 bench/run.py
