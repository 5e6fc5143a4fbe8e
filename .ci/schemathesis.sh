#!/usr/bin/env bash
# Contract check: Schemathesis generates requests from api-spec/openapi.yaml and checks every answer of a
# real server (on PostgreSQL) against it, three times: without a token, as a citizen, as an official.
# Any failure fails the script. Usage: bash .ci/schemathesis.sh (PostgreSQL must answer on PG_HOST:PG_PORT).
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
MAX_EXAMPLES=${ST_MAX_EXAMPLES:-25}
PG_HOST=${PG_HOST:-127.0.0.1}
PG_PORT=${PG_PORT:-5432}
PG_DB=congdanso_schemathesis
PG_URL="postgres://postgres:${PGPASSWORD:-postgres}@$PG_HOST:$PG_PORT"

# Checks switched off, with the reason (everything else in `--checks all` runs):
# - positive_data_acceptance: a request valid by the schema may still name things that do not exist
#   (a random UUID as report id, a random 5-digit unit code), which the server rightly answers 404/409/422;
#   the schema cannot say which ids exist.
EXCLUDED_CHECKS=positive_data_acceptance
# Operations left out of the signed-in runs (they still run unauthenticated):
# - logoutAll ends every session of the account, so every later request of the run would only
#   see 401; its behaviour is covered by tests/api/auth.rs.
SIGNED_IN_EXCLUDE=(--exclude-operation-id logoutAll)

log() { printf '== %s\n' "$*"; }

if ! command -v st >/dev/null 2>&1 || [ "$(st --version 2>/dev/null | awk '{print $NF}')" != "$SCHEMATHESIS_VERSION" ]; then
  log "installing schemathesis $SCHEMATHESIS_VERSION from PyPI"
  python3 -m pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" >/dev/null 2>&1
fi

log "fresh database $PG_DB"
psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null
psql "$PG_URL/postgres" -qc "CREATE DATABASE $PG_DB" >/dev/null

log "building the server"
cargo build --quiet
BIN=target/debug/congdanso

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

export DATABASE_URL="$PG_URL/$PG_DB" CDS_BIND="127.0.0.1:$PORT" CDS_DATA_DIR="$WORK/data" CDS_SMTP_URL=file \
  CDS_AUTH_RATE_LIMIT=1000000 RUST_LOG=warn
ADMIN_EMAIL=admin@schemathesis.test
ADMIN_PASSWORD=quan-tri-vien-schemathesis
echo "$ADMIN_PASSWORD" | "$BIN" create-admin --email "$ADMIN_EMAIL" >/dev/null
"$BIN" serve >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 120); do
  curl -fsS -o /dev/null "$BASE/health/ready" 2>/dev/null && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
  sleep 0.5
done
curl -fsS -o /dev/null "$BASE/health/ready"
log "server ready on $BASE"

# A citizen, an official of a ward office (an administrator creates the office, the account and the
# membership the inbox needs) and one report in that ward, so the lists are not empty.
read -r CITIZEN OFFICIAL < <(BASE="$BASE" ADMIN_EMAIL="$ADMIN_EMAIL" ADMIN_PASSWORD="$ADMIN_PASSWORD" python3 - <<'PY'
import json, os, urllib.request, uuid

base = os.environ["BASE"]

def call(method, path, body=None, token=None, headers=None):
    request = urllib.request.Request(base + path, method=method, headers=dict(headers or {}))
    if body is not None:
        request.data = json.dumps(body).encode()
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(request) as response:
        text = response.read()
        return json.loads(text) if text else None

def login(name, password):
    return call("POST", "/api/v1/auth/login", {"login": name, "password": password})["access_token"]

citizen = call("POST", "/api/v1/auth/register",
               {"phone": "0912345678", "password": "cong-dan-so-2026", "full_name": "Nguyễn Văn A", "consent": True})
admin = login(os.environ["ADMIN_EMAIL"], os.environ["ADMIN_PASSWORD"])
office = call("POST", "/api/v1/admin/organizations",
              {"kind": "commune_office", "name": "UBND Phường Xuân Hương - Đà Lạt", "province_code": "68",
               "unit_code": "24781"}, admin)
official = call("POST", "/api/v1/admin/users",
                {"email": "official@schemathesis.test", "full_name": "Cán bộ", "role": "official", "unit_code": "24781"},
                admin)
call("PUT", f"/api/v1/admin/organizations/{office['id']}/members/{official['user']['id']}", token=admin)
call("POST", "/api/v1/reports",
     {"category": "street_lighting", "description": "Đèn đường hỏng cả tuần nay, tối rất nguy hiểm.",
      "position": {"lat": 11.9404, "lon": 108.4583}},
     citizen["access_token"], {"Idempotency-Key": str(uuid.uuid4())})
print(citizen["access_token"], login("official@schemathesis.test", official["initial_password"]))
PY
)
[ -n "$OFFICIAL" ] || { echo "could not create the citizen and the official" >&2; exit 1; }

FAILED=0
TOTAL=0
run() {
  local name=$1
  shift
  log "schemathesis: $name"
  local out="$WORK/st-$name.txt"
  set +e
  st run api-spec/openapi.yaml --url "$BASE" --checks all --exclude-checks "$EXCLUDED_CHECKS" \
    --max-examples "$MAX_EXAMPLES" --seed 2026 --workers 2 --no-color --request-timeout 30 \
    --generation-database none "$@" 2>&1 | tee "$out"
  local status=${PIPESTATUS[0]}
  set -e
  # Summary line, e.g. "Test cases:\n  1234 generated, 1234 passed".
  local cases
  cases=$(grep -Eo '[0-9]+ generated' "$out" | tail -n 1 | grep -Eo '[0-9]+' || echo 0)
  TOTAL=$((TOTAL + cases))
  log "schemathesis $name: $cases generated test cases, exit status $status"
  [ "$status" -eq 0 ] || FAILED=1
}

run unauthenticated
run citizen -H "Authorization: Bearer $CITIZEN" "${SIGNED_IN_EXCLUDE[@]}"
run official -H "Authorization: Bearer $OFFICIAL" "${SIGNED_IN_EXCLUDE[@]}"

log "schemathesis: $TOTAL generated test cases in all"
if [ "$FAILED" -ne 0 ]; then
  echo "schemathesis found failures (server log: see above)" >&2
  exit 1
fi
