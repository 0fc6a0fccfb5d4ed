#!/usr/bin/env bash
# Local Kafka (KRaft) + FerretDB on 127.0.0.1, for development and tests without Docker.
#   services.sh up [--kafka-nodes N] [--no-store] | down | status   (see the usage line at the end)
# Installs on first use: Kafka jars through Maven (cached in ~/.m2), FerretDB through `go install`
# (cached in $UAP_CACHE_DIR). Data, logs and pid files live in $UAP_SERVICES_DIR (git-ignored).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SELF_DIR="$ROOT/scripts/services"
CACHE_DIR="${UAP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/user-activity-platform}"
STATE_DIR="${UAP_SERVICES_DIR:-$ROOT/.local/services}"
LOG_DIR="$STATE_DIR/logs"
KAFKA_PORT="${UAP_KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${UAP_KAFKA_CONTROLLER_PORT:-9093}"
# What the broker tells clients to connect to; tests point it at a TCP proxy they can cut.
KAFKA_ADVERTISED_PORT="${UAP_KAFKA_ADVERTISED_PORT:-$KAFKA_PORT}"
FERRETDB_PORT="${UAP_FERRETDB_PORT:-27017}"
FERRETDB_DEBUG_PORT="${UAP_FERRETDB_DEBUG_PORT:-28088}"
FERRETDB_VERSION="v1.24.2"
# postgresql: FerretDB pushes equality filters down to PostgreSQL (the SQLite backend scans every
# document for every query). auto = postgresql when it is installed or installable, else sqlite.
FERRETDB_BACKEND="${UAP_FERRETDB_BACKEND:-auto}"
POSTGRES_PORT="${UAP_POSTGRES_PORT:-54329}"
KAFKA_NODES="${UAP_KAFKA_NODES:-}"
# Anything but "none" runs FerretDB (+ PostgreSQL); "none" runs Kafka only, for a store that already runs elsewhere.
STORE="${UAP_STORE:-ferretdb}"
START_TIMEOUT_S="${UAP_START_TIMEOUT_S:-90}"

log() { printf '[services] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pid_alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

fail_with_log() { # name logfile message
  log "ERROR: $3"
  if [[ -f "$2" ]]; then
    log "last lines of $2:"
    tail -n 40 "$2" >&2
  fi
  exit 1
}

wait_for_port() { # name port pidfile logfile
  local deadline=$((SECONDS + START_TIMEOUT_S))
  until port_open "$2"; do
    pid_alive "$3" || fail_with_log "$1" "$4" "$1 exited during start-up"
    ((SECONDS < deadline)) || fail_with_log "$1" "$4" "$1 did not accept connections on 127.0.0.1:$2 within ${START_TIMEOUT_S}s"
    sleep 0.5
  done
}

# ---------- install ----------
kafka_classpath() {
  local cp_file="$CACHE_DIR/kafka-classpath.txt"
  if [[ ! -s "$cp_file" || "$SELF_DIR/kafka.pom.xml" -nt "$cp_file" ]]; then
    command -v java >/dev/null || die "java (JDK 17+) is required to run the local Kafka broker"
    command -v mvn >/dev/null || die "mvn is required to fetch the Kafka jars from Maven Central"
    log "fetching Apache Kafka jars with Maven (first run only)…"
    mkdir -p "$CACHE_DIR"
    mvn -q -B -Dstyle.color=never -f "$SELF_DIR/kafka.pom.xml" dependency:build-classpath -Dmdep.outputFile="$cp_file.tmp" >&2 \
      || die "Maven could not resolve org.apache.kafka:kafka_2.13"
    mv "$cp_file.tmp" "$cp_file"
  fi
  cat "$cp_file"
}

ferretdb_bin() {
  local bin="$CACHE_DIR/bin/ferretdb-$FERRETDB_VERSION"
  if [[ ! -x "$bin" ]]; then
    command -v go >/dev/null || die "go is required to build FerretDB $FERRETDB_VERSION"
    log "building FerretDB $FERRETDB_VERSION from the Go module proxy (first run only, a few minutes)…"
    # A plain `go install …@version` panics at start-up: FerretDB embeds build/version/version.txt,
    # which only its own release tooling writes. So build from a writable copy of the module source.
    local src="$CACHE_DIR/src/ferretdb-$FERRETDB_VERSION" moddir
    moddir="$(cd / && go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" \
      | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
    [[ -d "$moddir" ]] || die "could not download github.com/FerretDB/FerretDB@$FERRETDB_VERSION"
    rm -rf "$src"; mkdir -p "$(dirname "$src")" "$CACHE_DIR/bin"
    cp -R "$moddir" "$src"; chmod -R u+w "$src"
    echo "$FERRETDB_VERSION" >"$src/build/version/version.txt"
    (cd "$src" && go build -trimpath -o "$bin.tmp" ./cmd/ferretdb) >&2 || die "building FerretDB $FERRETDB_VERSION failed"
    mv "$bin.tmp" "$bin"
  fi
  echo "$bin"
}

pg_bin_dir() {
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [[ -n "$dir" && -x "$dir/pg_ctl" ]] && echo "$dir"
}

resolve_backend() {
  if [[ "$FERRETDB_BACKEND" == auto ]]; then
    if pg_bin_dir >/dev/null || { [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null; }; then
      FERRETDB_BACKEND=postgresql
    else
      log "PostgreSQL is not installed and cannot be installed here: FerretDB falls back to SQLite (every query scans)"
      FERRETDB_BACKEND=sqlite
    fi
  fi
  [[ "$FERRETDB_BACKEND" == postgresql || "$FERRETDB_BACKEND" == sqlite ]] \
    || die "UAP_FERRETDB_BACKEND must be auto, postgresql or sqlite (got $FERRETDB_BACKEND)"
}

# PostgreSQL refuses to run as root, so as root it runs as the `postgres` system user.
as_pg_user() { if [[ $EUID -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }

start_postgres() {
  local dir="$STATE_DIR/postgres" logf="$LOG_DIR/postgres.log" bin
  if ! bin="$(pg_bin_dir)"; then
    log "installing PostgreSQL with apt-get (first run only)…"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; } >&2 \
      || die "apt-get install postgresql failed; set UAP_FERRETDB_BACKEND=sqlite to run without it"
    bin="$(pg_bin_dir)" || die "PostgreSQL installed but pg_ctl not found"
  fi
  if as_pg_user "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    log "postgres already running on 127.0.0.1:$POSTGRES_PORT"
    return
  fi
  mkdir -p "$dir"
  [[ $EUID -eq 0 ]] && chown -R postgres "$dir" && touch "$logf" && chown postgres "$logf"
  if [[ ! -f "$dir/data/PG_VERSION" ]]; then
    as_pg_user "$bin/initdb" -D "$dir/data" -A trust -U postgres >"$LOG_DIR/postgres-init.log" 2>&1 \
      || fail_with_log postgres "$LOG_DIR/postgres-init.log" "initdb failed"
  fi
  log "starting postgres on 127.0.0.1:$POSTGRES_PORT (log: $logf)"
  # fsync off: this instance holds disposable development and test data only.
  as_pg_user "$bin/pg_ctl" -D "$dir/data" -l "$logf" -w -t "$START_TIMEOUT_S" \
    -o "-p $POSTGRES_PORT -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null || fail_with_log postgres "$logf" "postgres did not start"
  # Collation C: strings compare bytewise, as in MongoDB, which the api's SQL reader relies on to page in
  # MongoDB's order (it refuses other collations at start-up).
  as_pg_user "$bin/psql" -h 127.0.0.1 -p "$POSTGRES_PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='ferretdb'" \
    | grep -q 1 || as_pg_user "$bin/createdb" -h 127.0.0.1 -p "$POSTGRES_PORT" -U postgres \
      --template=template0 --encoding=UTF8 --locale=C ferretdb \
    || fail_with_log postgres "$logf" "could not create the ferretdb database"
}

stop_postgres() {
  local bin dir="$STATE_DIR/postgres"
  bin="$(pg_bin_dir)" || return 0
  [[ -f "$dir/data/postmaster.pid" ]] || return 0
  log "stopping postgres"
  as_pg_user "$bin/pg_ctl" -D "$dir/data" stop -m fast -t 30 >/dev/null 2>&1 || true
}

# kcat (librdkafka) is what the integration tests use to produce as a client other than kafkajs.
ensure_kcat() {
  command -v kcat >/dev/null && return
  if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null; then
    log "installing kcat with apt-get (first run only; the tests produce with it as a non-kafkajs client)…"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kcat; } >&2 \
      || log "apt-get install kcat failed; the tests that produce with kcat will say how to install it"
  else
    log "kcat is not installed; the tests that produce with kcat will fail until it is (e.g. apt-get install kcat)"
  fi
}

# ---------- kafka ----------
# One node (the default) or a KRaft cluster of N combined broker+controller nodes on loopback. Node i
# listens on KAFKA_PORT + 2(i-1) and its controller on KAFKA_CONTROLLER_PORT + 2(i-1); a single node
# keeps the historical names (kafka/, kafka.pid, logs/kafka.log), cluster nodes are kafka-1 … kafka-N.
kafka_nodes() { # how many nodes: --kafka-nodes / UAP_KAFKA_NODES, else what `up` recorded, else 1
  if [[ -n "$KAFKA_NODES" ]]; then echo "$KAFKA_NODES"
  elif [[ -s "$STATE_DIR/kafka.nodes" ]]; then cat "$STATE_DIR/kafka.nodes"
  else echo 1; fi
}
node_name() { if (($(kafka_nodes) == 1)); then echo kafka; else echo "kafka-$1"; fi; }
node_port() { echo $((KAFKA_PORT + 2 * ($1 - 1))); }
node_controller_port() { echo $((KAFKA_CONTROLLER_PORT + 2 * ($1 - 1))); }
# A single node may advertise another port (UAP_KAFKA_ADVERTISED_PORT: a proxy a test can cut in front of it).
node_advertised_port() { if (($(kafka_nodes) == 1)); then echo "$KAFKA_ADVERTISED_PORT"; else node_port "$1"; fi; }
all_nodes() { seq 1 "$(kafka_nodes)"; }

kafka_brokers() {
  local list=() i
  for i in $(all_nodes); do list+=("127.0.0.1:$(node_port "$i")"); done
  (IFS=,; echo "${list[*]}")
}

write_node_config() { # node dir
  local i="$1" dir="$2" n rf voters=() j
  n="$(kafka_nodes)"
  rf=$((n < 3 ? n : 3))
  for j in $(all_nodes); do voters+=("$j@127.0.0.1:$(node_controller_port "$j")"); done
  cat > "$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=$i
controller.quorum.voters=$(IFS=,; echo "${voters[*]}")
listeners=PLAINTEXT://127.0.0.1:$(node_port "$i"),CONTROLLER://127.0.0.1:$(node_controller_port "$i")
advertised.listeners=PLAINTEXT://127.0.0.1:$(node_advertised_port "$i")
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/data
num.partitions=1
default.replication.factor=$rf
offsets.topic.replication.factor=$rf
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$((rf >= 3 ? 2 : 1))
share.coordinator.state.topic.replication.factor=$rf
share.coordinator.state.topic.min.isr=$((rf >= 3 ? 2 : 1))
auto.create.topics.enable=false
group.initial.rebalance.delay.ms=0
delete.topic.enable=true
unclean.leader.election.enable=false
PROPS
  cat > "$dir/log4j2.properties" <<PROPS
rootLogger.level=INFO
rootLogger.appenderRef.stdout.ref=STDOUT
appender.stdout.type=Console
appender.stdout.name=STDOUT
appender.stdout.layout.type=PatternLayout
appender.stdout.layout.pattern=[%d] %p %m (%c)%n
logger.kafka.name=kafka
logger.kafka.level=WARN
logger.apache.name=org.apache.kafka
logger.apache.level=WARN
PROPS
}

# Launches node i if it is not running (no waiting: a cluster node opens its port only once a quorum exists).
launch_kafka_node() {
  local i="$1" name dir pidf logf port
  name="$(node_name "$i")"; dir="$STATE_DIR/$name"; pidf="$STATE_DIR/$name.pid"; logf="$LOG_DIR/$name.log"
  port="$(node_port "$i")"
  if pid_alive "$pidf"; then
    log "$name already running (pid $(cat "$pidf")) on 127.0.0.1:$port"
    return
  fi
  port_open "$port" && die "port $port is taken by another process; set UAP_KAFKA_PORT"
  local cp; cp="$(kafka_classpath)"
  mkdir -p "$dir/data"
  write_node_config "$i" "$dir"
  local java_opts=(-cp "$cp" -Dlog4j2.configurationFile="$dir/log4j2.properties")
  if [[ ! -f "$dir/data/meta.properties" ]]; then
    # Every node of a cluster is formatted with the same cluster id.
    local idf="$STATE_DIR/kafka.cluster-id"
    [[ -s "$idf" ]] || java "${java_opts[@]}" kafka.tools.StorageTool random-uuid >"$idf"
    java "${java_opts[@]}" kafka.tools.StorageTool format -t "$(cat "$idf")" \
      -c "$dir/server.properties" >"$LOG_DIR/$name-format.log" 2>&1 \
      || fail_with_log "$name" "$LOG_DIR/$name-format.log" "kafka storage format failed"
  fi
  log "starting $name on 127.0.0.1:$port (log: $logf)"
  # shellcheck disable=SC2086
  nohup java $KAFKA_HEAP -XX:+UseG1GC "${java_opts[@]}" kafka.Kafka "$dir/server.properties" >"$logf" 2>&1 &
  echo $! >"$pidf"
}

wait_for_kafka_node() {
  local name; name="$(node_name "$1")"
  wait_for_port "$name" "$(node_port "$1")" "$STATE_DIR/$name.pid" "$LOG_DIR/$name.log"
}

start_kafka() { # [node]: one node, or every node of the cluster
  local nodes i
  if [[ -n "${1:-}" ]]; then nodes="$1"; else nodes="$(all_nodes)"; fi
  for i in $nodes; do launch_kafka_node "$i"; done
  for i in $nodes; do wait_for_kafka_node "$i"; done
}

stop_kafka() { # [node]: graceful (SIGTERM: the broker hands its leaderships over first)
  local i
  if [[ -n "${1:-}" ]]; then stop_one "$(node_name "$1")"; return; fi
  # Every node that has a pid file, whatever count this call was given: down must not leave one behind.
  for pidf in "$STATE_DIR"/kafka.pid "$STATE_DIR"/kafka-*.pid; do
    [[ -f "$pidf" ]] && stop_one "$(basename "$pidf" .pid)"
  done
  return 0
}

kill_kafka() { # node: SIGKILL, no handover (a crash, a lost machine)
  local name pidf
  name="$(node_name "$1")"; pidf="$STATE_DIR/$name.pid"
  if pid_alive "$pidf"; then
    log "killing $name (pid $(cat "$pidf")) with SIGKILL"
    kill -9 "$(cat "$pidf")" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "$(cat "$pidf")" 2>/dev/null || break; sleep 0.25; done
  fi
  rm -f "$pidf"
}

# ---------- ferretdb ----------
start_ferretdb() {
  local dir="$STATE_DIR/ferretdb" pidf="$STATE_DIR/ferretdb.pid" logf="$LOG_DIR/ferretdb.log"
  if pid_alive "$pidf" && port_open "$FERRETDB_PORT"; then
    log "ferretdb already running (pid $(cat "$pidf")) on 127.0.0.1:$FERRETDB_PORT"
    return
  fi
  port_open "$FERRETDB_PORT" && die "port $FERRETDB_PORT is taken by another process; set UAP_FERRETDB_PORT"
  local bin; bin="$(ferretdb_bin)"
  mkdir -p "$dir/data"
  resolve_backend
  local backend_args=(--handler=sqlite --sqlite-url="file:$dir/data/")
  if [[ "$FERRETDB_BACKEND" == postgresql ]]; then
    start_postgres
    backend_args=(--handler=postgresql --postgresql-url="postgres://postgres@127.0.0.1:$POSTGRES_PORT/ferretdb")
  fi
  echo "$FERRETDB_BACKEND" >"$STATE_DIR/ferretdb.backend"
  log "starting ferretdb $FERRETDB_VERSION ($FERRETDB_BACKEND) on 127.0.0.1:$FERRETDB_PORT (log: $logf)"
  nohup "$bin" "${backend_args[@]}" --state-dir="$dir" --listen-addr="127.0.0.1:$FERRETDB_PORT" \
    --debug-addr="127.0.0.1:$FERRETDB_DEBUG_PORT" --telemetry=disable --log-level=warn >"$logf" 2>&1 &
  echo $! >"$pidf"
  wait_for_port ferretdb "$FERRETDB_PORT" "$pidf" "$logf"
}

stop_one() { # name
  local pidf="$STATE_DIR/$1.pid"
  if pid_alive "$pidf"; then
    local pid; pid="$(cat "$pidf")"
    log "stopping $1 (pid $pid)"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidf"
}

# The backend of the running FerretDB (instances started before it was recorded: postgres has a data dir).
ferretdb_backend_in_use() {
  if [[ -f "$STATE_DIR/ferretdb.backend" ]]; then cat "$STATE_DIR/ferretdb.backend"
  elif [[ -f "$STATE_DIR/postgres/data/postmaster.pid" ]]; then echo postgresql
  else echo sqlite; fi
}

print_env() {
  echo "KAFKA_BROKERS=$(kafka_brokers)"
  pid_alive "$STATE_DIR/ferretdb.pid" || return 0
  echo "MONGO_URL=mongodb://127.0.0.1:$FERRETDB_PORT/"
  # The api reads FerretDB's PostgreSQL tables with SQL when given this (api-service/.env.example).
  if [[ "$(ferretdb_backend_in_use)" == postgresql ]]; then
    echo "FERRETDB_POSTGRES_URL=postgres://postgres@127.0.0.1:$POSTGRES_PORT/ferretdb"
  fi
}

COMMAND="${1:-}"
shift || true
NODE_ARG=""
while (($# > 0)); do
  case "$1" in
    --kafka-nodes) KAFKA_NODES="${2:-}"; shift 2 ;;
    --kafka-nodes=*) KAFKA_NODES="${1#*=}"; shift ;;
    --no-store) STORE=none; shift ;;
    [0-9]*) NODE_ARG="$1"; shift ;;
    *) die "unknown argument $1" ;;
  esac
done
[[ -z "$KAFKA_NODES" || "$KAFKA_NODES" =~ ^[1-9]$ ]] || die "--kafka-nodes (UAP_KAFKA_NODES) must be 1-9, got $KAFKA_NODES"
if [[ -n "$KAFKA_NODES" && -s "$STATE_DIR/kafka.nodes" && "$(cat "$STATE_DIR/kafka.nodes")" != "$KAFKA_NODES" && "$COMMAND" == up ]]; then
  die "$STATE_DIR holds a $(cat "$STATE_DIR/kafka.nodes")-node Kafka; run services:down first (it removes the data) or use another UAP_SERVICES_DIR"
fi
# Small heaps by default in a cluster: three JVMs share the machine with everything else.
if (($(kafka_nodes) > 1)); then
  KAFKA_HEAP="${UAP_KAFKA_HEAP:--Xms128m -Xmx384m}"
else
  KAFKA_HEAP="${UAP_KAFKA_HEAP:--Xms256m -Xmx768m}"
fi
if [[ -n "$NODE_ARG" ]] && ! ((NODE_ARG >= 1 && NODE_ARG <= $(kafka_nodes))); then
  die "node $NODE_ARG: the Kafka here has $(kafka_nodes) node(s)"
fi

case "$COMMAND" in
  up)
    mkdir -p "$LOG_DIR"
    nodes="$(kafka_nodes)"
    echo "$nodes" >"$STATE_DIR/kafka.nodes"
    ensure_kcat
    [[ "$STORE" == none ]] || start_ferretdb
    start_kafka
    log "ready; logs in $LOG_DIR"
    print_env
    ;;
  down)
    stop_kafka
    stop_one ferretdb
    stop_postgres
    rm -rf "$STATE_DIR"/kafka "$STATE_DIR"/kafka-[0-9]* "$STATE_DIR/kafka.nodes" "$STATE_DIR/kafka.cluster-id" \
      "$STATE_DIR/ferretdb" "$STATE_DIR/postgres" "$STATE_DIR/ferretdb.backend"
    log "stopped; data removed"
    ;;
  stop)
    stop_kafka
    stop_one ferretdb
    stop_postgres
    log "stopped; data kept (services:down removes it)"
    ;;
  # Used by resilience tests and the chaos suite; data is kept. [node] is a cluster node's number.
  stop-kafka) stop_kafka "$NODE_ARG" ;;
  start-kafka) mkdir -p "$LOG_DIR"; start_kafka "$NODE_ARG" ;;
  kill-kafka) [[ -n "$NODE_ARG" ]] || die "kill-kafka needs a node number"; kill_kafka "$NODE_ARG" ;;
  stop-ferretdb) stop_one ferretdb ;;  # postgres stays up: the outage is FerretDB's
  start-ferretdb) mkdir -p "$LOG_DIR"; start_ferretdb ;;
  status)
    for i in $(all_nodes); do
      s="$(node_name "$i")"
      if pid_alive "$STATE_DIR/$s.pid"; then echo "$s: running (pid $(cat "$STATE_DIR/$s.pid")) on 127.0.0.1:$(node_port "$i")"; else echo "$s: stopped"; fi
    done
    if pid_alive "$STATE_DIR/ferretdb.pid"; then echo "ferretdb: running (pid $(cat "$STATE_DIR/ferretdb.pid"))"; else echo "ferretdb: stopped"; fi
    print_env
    ;;
  *)
    echo "usage: $0 up [--kafka-nodes N] [--no-store] | down | stop | status | stop-kafka [node] | start-kafka [node] | kill-kafka <node> | stop-ferretdb | start-ferretdb" >&2
    exit 2
    ;;
esac
