#!/usr/bin/env bash
# Local Kafka (KRaft) + FerretDB on 127.0.0.1, for development and tests without Docker.
#   services.sh up | down | status
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
KAFKA_HEAP="${UAP_KAFKA_HEAP:--Xms256m -Xmx768m}"
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
start_kafka() {
  local dir="$STATE_DIR/kafka" pidf="$STATE_DIR/kafka.pid" logf="$LOG_DIR/kafka.log"
  if pid_alive "$pidf" && port_open "$KAFKA_PORT"; then
    log "kafka already running (pid $(cat "$pidf")) on 127.0.0.1:$KAFKA_PORT"
    return
  fi
  port_open "$KAFKA_PORT" && die "port $KAFKA_PORT is taken by another process; set UAP_KAFKA_PORT"
  local cp; cp="$(kafka_classpath)"
  mkdir -p "$dir/data"
  cat > "$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_ADVERTISED_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/data
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
auto.create.topics.enable=false
group.initial.rebalance.delay.ms=0
delete.topic.enable=true
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
  local java_opts=(-cp "$cp" -Dlog4j2.configurationFile="$dir/log4j2.properties")
  if [[ ! -f "$dir/data/meta.properties" ]]; then
    java "${java_opts[@]}" kafka.tools.StorageTool format -t "$(java "${java_opts[@]}" kafka.tools.StorageTool random-uuid)" \
      -c "$dir/server.properties" >"$LOG_DIR/kafka-format.log" 2>&1 \
      || fail_with_log kafka "$LOG_DIR/kafka-format.log" "kafka storage format failed"
  fi
  log "starting kafka on 127.0.0.1:$KAFKA_PORT (log: $logf)"
  # shellcheck disable=SC2086
  nohup java $KAFKA_HEAP -XX:+UseG1GC "${java_opts[@]}" kafka.Kafka "$dir/server.properties" >"$logf" 2>&1 &
  echo $! >"$pidf"
  wait_for_port kafka "$KAFKA_PORT" "$pidf" "$logf"
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
  echo "KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT"
  echo "MONGO_URL=mongodb://127.0.0.1:$FERRETDB_PORT/"
  # The api reads FerretDB's PostgreSQL tables with SQL when given this (api-service/.env.example).
  if [[ "$(ferretdb_backend_in_use)" == postgresql ]]; then
    echo "FERRETDB_POSTGRES_URL=postgres://postgres@127.0.0.1:$POSTGRES_PORT/ferretdb"
  fi
}

case "${1:-}" in
  up)
    mkdir -p "$LOG_DIR"
    ensure_kcat
    start_ferretdb
    start_kafka
    log "ready; logs in $LOG_DIR"
    print_env
    ;;
  down)
    stop_one kafka
    stop_one ferretdb
    stop_postgres
    rm -rf "$STATE_DIR/kafka" "$STATE_DIR/ferretdb" "$STATE_DIR/postgres" "$STATE_DIR/ferretdb.backend"
    log "stopped; data removed"
    ;;
  stop)
    stop_one kafka
    stop_one ferretdb
    stop_postgres
    log "stopped; data kept (services:down removes it)"
    ;;
  stop-kafka) stop_one kafka ;;          # used by resilience tests; data is kept
  start-kafka) mkdir -p "$LOG_DIR"; start_kafka ;;
  stop-ferretdb) stop_one ferretdb ;;  # postgres stays up: the outage is FerretDB's
  start-ferretdb) mkdir -p "$LOG_DIR"; start_ferretdb ;;
  status)
    for s in kafka ferretdb; do
      if pid_alive "$STATE_DIR/$s.pid"; then echo "$s: running (pid $(cat "$STATE_DIR/$s.pid"))"; else echo "$s: stopped"; fi
    done
    print_env
    ;;
  *) echo "usage: $0 up|down|stop|status|stop-kafka|start-kafka|stop-ferretdb|start-ferretdb" >&2; exit 2 ;;
esac
