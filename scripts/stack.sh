#!/usr/bin/env bash
# The whole platform without Docker: local Kafka + FerretDB, then the api and one worker.
# Ctrl-C (or SIGTERM) stops all of it; data stays until `npm run services:down`.
#   npm run stack            # api on :3000, worker probes on :3001
#   WORKERS=3 npm run stack  # three workers in one consumer group
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
WORKERS="${WORKERS:-1}"
# Readable logs in development; LOG_FORMAT=json npm run stack gives the production JSON lines.
export LOG_FORMAT="${LOG_FORMAT:-pretty}"
API_PORT="${PORT:-3000}"
WORKER_PORT_BASE="${WORKER_PORT:-3001}"

eval "$(bash scripts/services/services.sh up | grep -E '^(KAFKA_BROKERS|MONGO_URL|FERRETDB_POSTGRES_URL)=' | sed 's/^/export /')"
npx tsc -b

pids=()
stop() {
  trap - INT TERM EXIT
  echo "[stack] stopping api, workers and local services…" >&2
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait "${pids[@]}" 2>/dev/null || true
  bash scripts/services/services.sh stop
}
trap stop INT TERM EXIT

PORT="$API_PORT" node api-service/dist/main.js &
pids+=($!)
for i in $(seq 0 $((WORKERS - 1))); do
  WORKER_PORT=$((WORKER_PORT_BASE + i)) KAFKA_CLIENT_ID="activity-worker-$i" node worker-service/dist/main.js &
  pids+=($!)
done
echo "[stack] api http://127.0.0.1:$API_PORT  workers: $WORKERS (probes from :$WORKER_PORT_BASE)  Ctrl-C stops everything" >&2
# Any process exiting takes the stack down, so a crash is never hidden behind a half-running platform.
wait -n "${pids[@]}"
echo "[stack] a process exited; shutting down" >&2
exit 1
