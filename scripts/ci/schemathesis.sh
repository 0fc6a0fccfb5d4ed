#!/usr/bin/env bash
# Property-based API fuzzing with schemathesis (PyPI) against the API's own /openapi.json.
# Starts api-service (dist/main.js, production mode with a throw-away API key) on a free port with
# its own topic and database, runs a bounded schemathesis run, then stops the API and cleans up.
#
# Bounds: SCHEMATHESIS_MAX_EXAMPLES per operation (default 50) and SCHEMATHESIS_MAX_TIME seconds for
# the whole run (default 180). SCHEMATHESIS_SEED fixes the generated data (default 1, so CI is
# reproducible); SCHEMATHESIS_SEED=random draws a new seed each run.
# Services: KAFKA_BROKERS / MONGO_URL (and FERRETDB_POSTGRES_URL on FerretDB) if set, else the local services
# (started if needed), with FerretDB's PostgreSQL as `npm run stack` gives it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
VENV="${UAP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/user-activity-platform}/venv-schemathesis"
SCHEMATHESIS_VERSION='4.32.*'
MAX_EXAMPLES="${SCHEMATHESIS_MAX_EXAMPLES:-50}"
MAX_TIME="${SCHEMATHESIS_MAX_TIME:-180}"
SEED="${SCHEMATHESIS_SEED:-1}"
PHASES="${SCHEMATHESIS_PHASES:-examples,coverage,fuzzing,stateful}"
# CPython 3.11's ast module can fail with "AST constructor recursion depth mismatch" inside hypothesis
# when several workers generate at once (cpython#106905): prefer a newer interpreter, and one worker.
pick_python() {
  local candidate
  for candidate in python3.13 python3.12 python3; do
    "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 9))' >/dev/null 2>&1 && { echo "$candidate"; return; }
  done
  echo python3
}
PYTHON="${SCHEMATHESIS_PYTHON:-$(pick_python)}"

if [[ ! -x "$VENV/bin/schemathesis" ]]; then
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION"
fi

if [[ -z "${KAFKA_BROKERS:-}" || -z "${MONGO_URL:-}" ]]; then
  # The local services as `npm run stack` takes them: FerretDB with its PostgreSQL (FERRETDB_POSTGRES_URL), so the
  # api serves every read as a deployment does (the insights have no path on FerretDB without it).
  eval "$(bash scripts/services/services.sh up | grep -E '^(KAFKA_BROKERS|MONGO_URL|FERRETDB_POSTGRES_URL)=' | sed 's/^/export /')"
fi
PG_ENV=()
[[ -n "${FERRETDB_POSTGRES_URL:-}" ]] && PG_ENV=(FERRETDB_POSTGRES_URL="$FERRETDB_POSTGRES_URL")
npm run build --silent   # tsc -b, and the dashboard bundle /dashboard serves

RUN_ID="$(date +%s)_$$"
TOPIC="schemathesis-$RUN_ID"
DB="schemathesis_$RUN_ID"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
API_KEY="$(python3 -c 'import secrets; print(secrets.token_hex(24))')"
API_KEY_HASH="$(printf %s "$API_KEY" | sha256sum | cut -d' ' -f1)"
WORK="$(mktemp -d)"
API_LOG="${SCHEMATHESIS_API_LOG:-$WORK/api.log}"
API_PID=''
WORKER_PID=''
WORKER_LOG="${SCHEMATHESIS_WORKER_LOG:-$WORK/worker.log}"

stop_process() {
  local pid="$1"
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
}

cleanup() {
  stop_process "$API_PID"
  stop_process "$WORKER_PID"
  # The run's topic and database are throw-away; failing to drop them must not fail the run.
  KAFKA_BROKERS="$KAFKA_BROKERS" MONGO_URL="$MONGO_URL" TOPIC="$TOPIC" DB="$DB" timeout 30 node -e '
    const { Kafka, logLevel } = require("kafkajs");
    const mongoose = require("mongoose");
    (async () => {
      const admin = new Kafka({ brokers: process.env.KAFKA_BROKERS.split(","), logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      await admin
        .deleteTopics({ topics: [process.env.TOPIC, `${process.env.TOPIC}.dlq`, `${process.env.TOPIC}.types`, `${process.env.TOPIC}.access`] })
        .catch(() => undefined);
      await admin.disconnect();
      const conn = await mongoose.createConnection(process.env.MONGO_URL, { dbName: process.env.DB }).asPromise();
      await conn.dropDatabase();
      await conn.close();
    })().catch(() => undefined);
  ' || true
  rm -rf "$WORK"
}
trap cleanup EXIT

NODE_ENV=production PORT="$PORT" LOG_LEVEL="${SCHEMATHESIS_API_LOG_LEVEL:-warn}" \
  KAFKA_BROKERS="$KAFKA_BROKERS" MONGO_URL="$MONGO_URL" MONGO_DB="$DB" \
  ACTIVITIES_TOPIC="$TOPIC" ACTIVITIES_TOPIC_PARTITIONS=1 ACTIVITY_TYPES_TOPIC="$TOPIC.types" WORKER_CONSUMER_GROUP="$TOPIC-worker" \
  ACCESS_TOPIC="$TOPIC.access" API_KEYS="$API_KEY_HASH:ingest+read+admin" RATE_LIMIT_MAX=0 AUTH_FAILURE_LIMIT=0 \
  env "${PG_ENV[@]}" node api-service/dist/main.js >"$API_LOG" 2>&1 &
API_PID=$!
# A worker too, so what the fuzzer posts is stored: reads, receipts and the links between them then
# work on real data (GET by the eventId a POST returned, the next page of a list, a final receipt).
NODE_ENV=production WORKER_PORT=0 LOG_LEVEL="${SCHEMATHESIS_API_LOG_LEVEL:-warn}" \
  KAFKA_BROKERS="$KAFKA_BROKERS" MONGO_URL="$MONGO_URL" MONGO_DB="$DB" \
  ACTIVITIES_TOPIC="$TOPIC" ACTIVITIES_TOPIC_PARTITIONS=1 ACTIVITY_TYPES_TOPIC="$TOPIC.types" DLQ_TOPIC="$TOPIC.dlq" \
  CONSUMER_GROUP="$TOPIC-worker" DEAD_LETTER_INDEXER_GROUP="$TOPIC-indexer" \
  env "${PG_ENV[@]}" node worker-service/dist/main.js >"$WORKER_LOG" 2>&1 &
WORKER_PID=$!

BASE="http://127.0.0.1:$PORT"
for _ in $(seq 120); do
  curl -fsS "$BASE/readyz" >/dev/null 2>&1 && break
  if ! kill -0 "$API_PID" 2>/dev/null; then
    echo "schemathesis: the API exited during start-up:" >&2
    cat "$API_LOG" >&2
    exit 1
  fi
  sleep 0.5
done
curl -fsS "$BASE/readyz" >/dev/null || { echo "schemathesis: the API is not ready after 60 s" >&2; cat "$API_LOG" >&2; exit 1; }

SEED_ARGS=()
[[ "$SEED" == random ]] || SEED_ARGS=(--seed "$SEED")
status=0

# The document follows the activity type registry, so the run first plans types of its own: the ingest body
# then carries runtime variants (patterns, enums, $defs with a local $ref, a deprecated type) next to the
# built-ins. Both answers are checked: the registry's writes must work before anything is fuzzed.
plan_type() {
  local name="$1" body="$2" if_match="${3:-}"
  local code
  code="$(curl -sS -o /dev/null -w '%{http_code}' -X PUT "$BASE/api/v1/activity-types/$name" \
    -H "X-API-Key: $API_KEY" -H 'content-type: application/json' ${if_match:+-H "If-Match: $if_match"} -d "$body")"
  [[ "$code" == 20[01] ]] || { echo "schemathesis: planning $name answered $code" >&2; exit 1; }
}
plan_type VIDEO_PLAY '{"description":"A video started","metadataSchema":{"type":"object","required":["videoId"],"properties":{"videoId":{"type":"string","pattern":"^[a-z0-9-]{1,32}$"},"seconds":{"type":"number","minimum":0},"quality":{"enum":["sd","hd","4k"]}}}}'
plan_type CHECKOUT_STEP '{"description":"A checkout step","metadataSchema":{"type":"object","$defs":{"step":{"type":"integer","minimum":1,"maximum":5}},"required":["step"],"properties":{"step":{"$ref":"#/$defs/step"},"coupon":{"type":["string","null"],"maxLength":16}}}}'
plan_type LEGACY_SHARE '{"description":"Sharing, as the old app reports it","metadataSchema":{"type":"object"}}'
plan_type LEGACY_SHARE '{"description":"Sharing, as the old app reports it","metadataSchema":{"type":"object"},"status":"deprecated"}' '"1"'

# The Segment surface (/v1) as its SDKs reach it: the write key as the HTTP Basic user name and a gzip body
# (RudderStack's default). The fuzzer itself sends the key in the headers above, as for every other operation.
segment_smoke() {
  local code
  code="$(printf '%s' '{"batch":[{"type":"track","userId":"schemathesis","event":"Signed In","messageId":"schemathesis-smoke"}]}' \
    | gzip -c | curl -sS -o /dev/null -w '%{http_code}' -X POST "$BASE/v1/batch" -u "$API_KEY:" \
      -H 'content-type: application/json' -H 'content-encoding: gzip' --data-binary @-)"
  [[ "$code" == 200 ]] || { echo "schemathesis: POST /v1/batch with HTTP Basic and gzip answered $code" >&2; exit 1; }
}
segment_smoke

# Two passes. The first fuzzes every operation but the registry's writes, so the document it fetched stays true
# for the whole pass (a fuzzed PUT that made CLICK require a field would make schema-valid CLICK events
# invalid mid-run). The second fuzzes the registry's writes and reads, after which nothing relies on the plan.
REGISTRY_WRITES=(putActivityType retireActivityType putUnplannedPolicy)
run_pass() {
  local pass="$1"
  shift
  echo "schemathesis: pass $pass" >&2
  # From the scratch directory: schemathesis keeps its example database in ./.schemathesis.
  (cd "$WORK" && UAP_API_BASE="$BASE" UAP_API_KEY="$API_KEY" SCHEMATHESIS_HOOKS=schemathesis_hooks \
    PYTHONPATH="$ROOT/scripts/ci" "$VENV/bin/schemathesis" run "$BASE/openapi.json" \
    --header "Authorization: Bearer $API_KEY" \
    --header "X-API-Key: $API_KEY" \
    --checks "${SCHEMATHESIS_CHECKS:-all}" \
    --max-examples "$MAX_EXAMPLES" \
    --max-time "$MAX_TIME" \
    --phases "$PHASES" \
    --request-timeout 10 \
    --workers "${SCHEMATHESIS_WORKERS:-1}" \
    --max-failures 20 \
    --suppress-health-check too_slow,filter_too_much \
    --report "${SCHEMATHESIS_REPORT:-junit}" --report-dir "${SCHEMATHESIS_REPORT_DIR:-$WORK/report}/$pass" \
    --output-sanitize true \
    "${SEED_ARGS[@]}" "$@") || status=$?
}
run_pass everything-but-registry-writes "${REGISTRY_WRITES[@]/#/--exclude-operation-id=}"
run_pass registry --include-path-regex '^/api/v1/activity-types'

if ! kill -0 "$API_PID" 2>/dev/null; then
  echo "schemathesis: the API process died during the run; its last log lines:" >&2
  tail -n 40 "$API_LOG" >&2
  status=1
fi
if ! kill -0 "$WORKER_PID" 2>/dev/null; then
  echo "schemathesis: the worker process died during the run; its last log lines:" >&2
  tail -n 40 "$WORKER_LOG" >&2
  status=1
fi
for log in "$API_LOG" "$WORKER_LOG"; do
  if grep -q '"level":[56]0' "$log"; then
    echo "schemathesis: $(basename "$log" .log) logged errors during the run:" >&2
    grep '"level":[56]0' "$log" | head -20 | cut -c1-2000 >&2
    status=1
  fi
done
[[ $status -eq 0 ]] && echo "schemathesis: no server errors or contract violations in a bounded run (seed $SEED, $("$VENV/bin/python" --version))"
exit "$status"
