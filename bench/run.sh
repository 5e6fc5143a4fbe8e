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
# pgbench opens as many connections as the scenario has clients (128), beside the server's pool.
if [ "$(psql -h 127.0.0.1 -U postgres -Atc 'SHOW max_connections')" -lt 200 ]; then
  echo "== raising PostgreSQL's max_connections to 200 (restarts it)"
  psql -h 127.0.0.1 -U postgres -qc "ALTER SYSTEM SET max_connections = 200"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main restart
fi
echo "== building the release server"
cargo build --release --bin congdanso
exec python3 bench/run.py
