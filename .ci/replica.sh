#!/usr/bin/env bash
# Starts a streaming replica of the local PostgreSQL (127.0.0.1:5432) on 127.0.0.1:5433, for the read-replica
# test (TEST_REPLICA_ADDRESS). Idempotent: a replica that is up and streaming is left as it is; otherwise it
# is made again from a fresh base backup (pg_basebackup) and started. PostgreSQL refuses to run as root,
# so the replica runs as the `postgres` user.
set -euo pipefail

PRIMARY_HOST=127.0.0.1
PRIMARY_PORT=5432
REPLICA_PORT=${REPLICA_PORT:-5433}
REPLICA_DIR=${REPLICA_DIR:-/var/tmp/congdanso-replica}

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

psql_primary() { psql -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U postgres -d postgres -Atqc "$1"; }

streaming() {
  pg_isready -h 127.0.0.1 -p "$REPLICA_PORT" -q 2>/dev/null &&
    [ "$(psql_primary "SELECT count(*) FROM pg_stat_replication WHERE application_name = 'congdanso_replica' AND state = 'streaming'")" -ge 1 ]
}

if streaming; then
  echo "replica already streaming on 127.0.0.1:$REPLICA_PORT"
  exit 0
fi

version=$(psql_primary "SHOW server_version_num")
bin=/usr/lib/postgresql/$((version / 10000))/bin

# The primary must let a replica connect from the loopback address for replication.
hba=$(psql_primary "SHOW hba_file")
if ! grep -Eq '^host[[:space:]]+replication[[:space:]]+all[[:space:]]+127\.0\.0\.1/32' "$hba"; then
  echo "host replication all 127.0.0.1/32 trust" >>"$hba"
  psql_primary "SELECT pg_reload_conf()" >/dev/null
fi

if [ -f "$REPLICA_DIR/postmaster.pid" ]; then
  as_postgres "$bin/pg_ctl" -D "$REPLICA_DIR" -m fast stop >/dev/null 2>&1 || true
fi
rm -rf "$REPLICA_DIR"
mkdir -p "$(dirname "$REPLICA_DIR")"
install -d -o postgres -g postgres -m 700 "$REPLICA_DIR"
as_postgres "$bin/pg_basebackup" -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U postgres -D "$REPLICA_DIR" \
  -X stream -c fast -R -d "application_name=congdanso_replica"

# Debian keeps the configuration outside the data directory, so the copy has none: give it its own.
as_postgres tee "$REPLICA_DIR/postgresql.conf" >/dev/null <<EOF
port = $REPLICA_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '/tmp'
hot_standby = on
# Long reads on the replica are not cancelled by the primary's clean-up of rows they still see.
hot_standby_feedback = on
max_connections = 200
shared_buffers = 128MB
logging_collector = off
EOF
as_postgres tee "$REPLICA_DIR/pg_hba.conf" >/dev/null <<EOF
local all all trust
host all all 127.0.0.1/32 trust
EOF
as_postgres "$bin/pg_ctl" -D "$REPLICA_DIR" -l "$REPLICA_DIR/replica.log" -w start >/dev/null

for _ in $(seq 1 60); do
  streaming && { echo "replica streaming on 127.0.0.1:$REPLICA_PORT"; exit 0; }
  sleep 0.5
done
echo "the replica did not start streaming; see $REPLICA_DIR/replica.log" >&2
exit 1
