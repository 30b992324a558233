#!/usr/bin/env bash
# A sachsong cluster on one machine (docs/cluster.md):
#   - a PostgreSQL 15 primary and a streaming replica of it (pg_basebackup), ports 5433 and 5434;
#   - three NATS servers with JetStream, routed into one cluster, client ports 4322-4324;
#   - N sachsong nodes (default 2), ports 8091.., on the primary, all with one operator token and
#     one access-log signing key;
#   - HAProxy in front of the nodes on port 8090, checking each node's /healthz.
#
#   scripts/cluster.sh up [N]    start everything (and create the state folder)
#   scripts/cluster.sh status    one line per part: up or down (exit 1 when any is down)
#   scripts/cluster.sh promote   fail over: fence the primary, promote the replica, restart the nodes on it one by one
#   scripts/cluster.sh nats stop|start <0-2>   stop or start one NATS server (fault drills)
#   scripts/cluster.sh down      stop everything and remove the state folder
#   scripts/cluster.sh balancer-config [N]   write HAProxy's configuration for N nodes into the state folder, start nothing
#
# State lives in $SACHSONG_CLUSTER_DIR (default /tmp/sachsong-cluster). Ports can be moved with
# SACHSONG_CLUSTER_PORT_BASE (default 8090), PG_PRIMARY_PORT, PG_REPLICA_PORT, NATS_PORT_BASE.
set -euo pipefail
cd "$(dirname "$0")/.."

DIR="${SACHSONG_CLUSTER_DIR:-/tmp/sachsong-cluster}"
PGBIN="${PGBIN:-/usr/lib/postgresql/15/bin}"
PG_PRIMARY_PORT="${PG_PRIMARY_PORT:-5433}"
PG_REPLICA_PORT="${PG_REPLICA_PORT:-5434}"
NATS_PORT_BASE="${NATS_PORT_BASE:-4322}"
PORT_BASE="${SACHSONG_CLUSTER_PORT_BASE:-8090}"
NATS_SERVER="${NATS_SERVER:-/usr/sbin/nats-server}"
HAPROXY="${HAPROXY:-$(command -v haproxy || echo /usr/sbin/haproxy)}"

# PostgreSQL refuses to run as root: its folders belong to, and its commands run as, postgres.
as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

nodes_wanted() { cat "$DIR/nodes" 2>/dev/null || echo 2; }

# After `promote`, the former replica is the primary and there is no replica.
primary_port() { cat "$DIR/pg-primary-port" 2>/dev/null || echo "$PG_PRIMARY_PORT"; }
promoted() { [ -e "$DIR/pg-primary-port" ]; }

sachsong_cmd() {
  if [ -f dist/cli/main.js ]; then echo "node bin/sachsong.js"; else echo "node --import tsx src/cli/main.ts"; fi
}

wait_for() { # what, command...
  local what="$1"; shift
  # Up to SACHSONG_CLUSTER_WAIT seconds (default 180: a node started through tsx on a busy machine takes a minute).
  for _ in $(seq 1 $((2 * ${SACHSONG_CLUSTER_WAIT:-180}))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  echo "cluster: $what did not come up (logs in $DIR)" >&2
  return 1
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

node_env() { # node number
  local n="$1"
  local reads=""
  # The reads that may lag a moment go to the replica (the primary while it is down).
  promoted || reads="SACHSONG_READ_DATABASE_URL=postgres://postgres@127.0.0.1:$PG_REPLICA_PORT/sachsong"
  echo "NODE_ENV=production HOST=127.0.0.1 PORT=$((PORT_BASE + n)) LOG_LEVEL=${LOG_LEVEL:-warn}" \
    "SACHSONG_DATA_DIR=$DIR/node$n DATABASE_URL=postgres://postgres@127.0.0.1:$(primary_port)/sachsong" $reads \
    "NATS_URL=nats://127.0.0.1:$NATS_PORT_BASE,nats://127.0.0.1:$((NATS_PORT_BASE + 1)),nats://127.0.0.1:$((NATS_PORT_BASE + 2))" \
    "SACHSONG_NATS_REPLICAS=3" \
    "SACHSONG_OPERATOR_TOKEN=$(cat "$DIR/operator-token")" "SACHSONG_AUDIT_SIGNING_KEY=$(cat "$DIR/audit-signing-key")"
}

start_node() { # node number
  local n="$1"
  mkdir -p "$DIR/node$n"
  # Detached from the caller (setsid), and without npm's variables: run under npm (npm test, npx),
  # bin/sachsong.js stops a server whose parent has gone, and this script's shell is gone at once.
  # shellcheck disable=SC2046
  env -u npm_command -u npm_lifecycle_event $(node_env "$n") setsid $(sachsong_cmd) serve >"$DIR/node$n.log" 2>&1 < /dev/null &
  echo $! >"$DIR/node$n.pid"
}

start_nats() { # server number 0-2
  local i="$1" routes=""
  for j in 0 1 2; do routes="${routes:+$routes,}nats://127.0.0.1:$((NATS_PORT_BASE + 2000 + j))"; done
  mkdir -p "$DIR/nats$i"
  setsid "$NATS_SERVER" -a 127.0.0.1 -p "$((NATS_PORT_BASE + i))" -m "$((NATS_PORT_BASE + 4000 + i))" -n "sachsong-nats-$i" \
    -js -sd "$DIR/nats$i" --cluster_name sachsong --cluster "nats://127.0.0.1:$((NATS_PORT_BASE + 2000 + i))" --routes "$routes" \
    >>"$DIR/nats$i.log" 2>&1 < /dev/null &
  echo $! >"$DIR/nats$i.pid"
}

# HAProxy's configuration for `count` nodes, written to $DIR/haproxy.cfg (with its error page).
balancer_config() { # node count
  local count="$1"
  # What HAProxy answers itself when a node took a call and stopped before answering it (502) or
  # did not answer in time (504): a 503 with Retry-After, as a node answers when it cannot serve,
  # so a caller sees one kind of "not now, send again" (with a fresh request id: the node may have
  # claimed the old one). A node's own answers pass as they are.
  local body='{"type":"about:blank","title":"Service Unavailable","status":503,"code":"NODE_NO_ANSWER","detail":"The node that took the request stopped or timed out before answering","action":"Send the request again with a new request id"}'
  printf 'HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/problem+json\r\nContent-Length: %d\r\nRetry-After: 2\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n%s' "${#body}" "$body" >"$DIR/no-answer.http"

  # HAProxy: round robin over the nodes; a node failing its health check is taken out of turn.
  {
    echo "global"
    echo "  maxconn 4096"
    echo "defaults"
    echo "  mode http"
    echo "  timeout connect 2s"
    echo "  timeout client 60s"
    echo "  timeout server 60s"
    echo "  retries 2"
    echo "  option redispatch"
    # A node killed mid-connection: the request goes to another node when it is safe to repeat.
    # A GET is repeated on any retryable error; any other method only when its connection failed
    # (nothing was sent). A POST answered 503 may already have claimed its request id or jti, so a
    # repeat would be refused as a replay: the caller sees the 503 and sends again with a fresh one.
    echo "  retry-on all-retryable-errors"
    echo "  errorfile 502 $DIR/no-answer.http"
    echo "  errorfile 504 $DIR/no-answer.http"
    echo "frontend sachsong"
    echo "  bind 127.0.0.1:$PORT_BASE"
    echo "  default_backend nodes"
    echo "backend nodes"
    echo "  balance roundrobin"
    echo "  option httpchk GET /healthz"
    echo "  http-request disable-l7-retry unless METH_GET"
    echo "  http-response set-header X-Sachsong-Node %s"
    # With every node out (the primary restarting fails their checks), HAProxy's own 503 says when to come back too.
    echo "  http-after-response set-header Retry-After 2 if { status 503 }"
    for n in $(seq 1 "$count"); do echo "  server node$n 127.0.0.1:$((PORT_BASE + n)) check inter 500ms fall 2 rise 2"; done
  } >"$DIR/haproxy.cfg"
}

up() {
  local count="${1:-2}"
  if [ "$count" -lt 2 ] 2>/dev/null; then echo "cluster: give at least 2 nodes" >&2; exit 2; fi
  if [ -e "$DIR/up" ]; then echo "cluster: already up in $DIR (scripts/cluster.sh down first)" >&2; exit 2; fi
  [ -x "$HAPROXY" ] || { echo "cluster: HAProxy is not installed (apt-get install haproxy)" >&2; exit 2; }
  mkdir -p "$DIR"
  chmod 755 "$DIR" # PostgreSQL's user must reach its folders inside
  echo "$count" >"$DIR/nodes"

  # PostgreSQL: a primary that allows replication from this machine, and a replica cloned from it.
  mkdir -p "$DIR/pg"
  chown postgres "$DIR/pg" 2>/dev/null || true
  as_postgres "$PGBIN/initdb" -D "$DIR/pg/primary" -U postgres -A trust --no-sync >"$DIR/pg-initdb.log"
  cat >>"$DIR/pg/primary/postgresql.conf" <<EOF
port = $PG_PRIMARY_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$DIR/pg'
wal_level = replica
max_wal_senders = 4
hot_standby = on
fsync = on
EOF
  echo "host replication postgres 127.0.0.1/32 trust" >>"$DIR/pg/primary/pg_hba.conf"
  as_postgres "$PGBIN/pg_ctl" -D "$DIR/pg/primary" -l "$DIR/pg/primary.log" -w start >/dev/null
  as_postgres "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$PG_PRIMARY_PORT" -U postgres -D "$DIR/pg/replica" -R -X stream -c fast
  sed -i "s/^port = $PG_PRIMARY_PORT/port = $PG_REPLICA_PORT/" "$DIR/pg/replica/postgresql.conf"
  as_postgres "$PGBIN/pg_ctl" -D "$DIR/pg/replica" -l "$DIR/pg/replica.log" -w start >/dev/null
  as_postgres "$PGBIN/psql" -h 127.0.0.1 -p "$PG_PRIMARY_PORT" -U postgres -qc 'CREATE DATABASE sachsong'

  # NATS: three servers, each routed to the other two, JetStream in its own folder.
  for i in 0 1 2; do start_nats "$i"; done
  for i in 0 1 2; do wait_for "NATS server $i" port_open "$((NATS_PORT_BASE + i))"; done
  # JetStream answers only once the three servers have elected a meta leader: a node that creates its
  # streams before that times out at start (seen on a busy machine), so wait for each server's health.
  for i in 0 1 2; do wait_for "JetStream on NATS server $i" curl -sf "http://127.0.0.1:$((NATS_PORT_BASE + 4000 + i))/healthz"; done

  # One operator token and one checkpoint signing key for every node: one system, one log.
  head -c 24 /dev/urandom | base64 | tr '+/' '-_' >"$DIR/operator-token"
  node --import tsx -e "import('./src/audit/checkpoint-note.ts').then((m) => process.stdout.write(m.generateSignerKey('cluster.sachsong/access-log')))" >"$DIR/audit-signing-key"
  chmod 600 "$DIR/operator-token" "$DIR/audit-signing-key"

  # The schema once, before any node starts.
  # shellcheck disable=SC2046
  env $(node_env 1) $(sachsong_cmd) db migrate >"$DIR/migrate.log" 2>&1
  # One node after the other: the first creates the JetStream streams (three replicas each); nodes
  # creating the same streams at once timed out at start on a busy machine.
  for n in $(seq 1 "$count"); do
    start_node "$n"
    wait_for "sachsong node $n" curl -sf "http://127.0.0.1:$((PORT_BASE + n))/healthz"
  done

  balancer_config "$count"
  setsid "$HAPROXY" -f "$DIR/haproxy.cfg" -db >"$DIR/haproxy.log" 2>&1 < /dev/null &
  echo $! >"$DIR/haproxy.pid"
  wait_for "HAProxy" curl -sf "http://127.0.0.1:$PORT_BASE/healthz"
  touch "$DIR/up"
  echo "cluster up: http://127.0.0.1:$PORT_BASE ($count nodes), PostgreSQL 127.0.0.1:$PG_PRIMARY_PORT (replica :$PG_REPLICA_PORT), NATS 127.0.0.1:$NATS_PORT_BASE-$((NATS_PORT_BASE + 2))"
  echo "operator token in $DIR/operator-token"
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

status() {
  local bad=0
  report() { # name, ok?
    if [ "$2" = 0 ]; then echo "$1: up"; else echo "$1: down"; bad=1; fi
  }
  local ok
  ok=0; as_postgres "$PGBIN/pg_isready" -h 127.0.0.1 -p "$(primary_port)" -q || ok=1; report "postgres primary :$(primary_port)" "$ok"
  if promoted; then
    echo "postgres replica :$PG_REPLICA_PORT: promoted (no replica until one is cloned again)"
  else
    ok=0; [ "$(as_postgres "$PGBIN/psql" -h 127.0.0.1 -p "$PG_REPLICA_PORT" -U postgres -Atqc 'SELECT pg_is_in_recovery()' 2>/dev/null)" = t ] || ok=1
    report "postgres replica :$PG_REPLICA_PORT (streaming)" "$ok"
  fi
  for i in 0 1 2; do ok=0; curl -sf "http://127.0.0.1:$((NATS_PORT_BASE + 4000 + i))/healthz?js-enabled-only=true" >/dev/null || ok=1; report "nats $i :$((NATS_PORT_BASE + i))" "$ok"; done
  for n in $(seq 1 "$(nodes_wanted)"); do ok=0; curl -sf "http://127.0.0.1:$((PORT_BASE + n))/healthz" >/dev/null || ok=1; report "sachsong node $n :$((PORT_BASE + n))" "$ok"; done
  ok=0; curl -sf "http://127.0.0.1:$PORT_BASE/healthz" >/dev/null || ok=1; report "haproxy :$PORT_BASE" "$ok"
  return "$bad"
}

stop_pid() { # pid file
  if pid_alive "$1"; then
    local pid; pid="$(cat "$1")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$1"
}

# Failover to the replica. The old primary is fenced first (stopped at once if it still runs: two
# primaries taking writes would fork the access log), then the replica is promoted and each node is
# restarted on it in turn, so that the balancer always has one in service.
promote() {
  [ -e "$DIR/up" ] || { echo "cluster: not up" >&2; exit 2; }
  promoted && { echo "cluster: already promoted" >&2; exit 2; }
  if [ -f "$DIR/pg/primary/postmaster.pid" ]; then as_postgres "$PGBIN/pg_ctl" -D "$DIR/pg/primary" -m immediate -w stop >/dev/null || true; fi
  as_postgres "$PGBIN/pg_ctl" -D "$DIR/pg/replica" -w promote >/dev/null
  echo "$PG_REPLICA_PORT" >"$DIR/pg-primary-port"
  for n in $(seq 1 "$(nodes_wanted)"); do
    stop_pid "$DIR/node$n.pid"
    start_node "$n"
    wait_for "sachsong node $n" curl -sf "http://127.0.0.1:$((PORT_BASE + n))/healthz"
  done
  echo "promoted: primary now 127.0.0.1:$PG_REPLICA_PORT, nodes restarted on it"
}

nats() { # stop|start, server number
  case "$1:${2:-}" in
    stop:[012]) stop_pid "$DIR/nats$2.pid" ;;
    start:[012]) start_nats "$2"; wait_for "NATS server $2" port_open "$((NATS_PORT_BASE + $2))" ;;
    *) echo "usage: scripts/cluster.sh nats stop|start 0|1|2" >&2; exit 2 ;;
  esac
}

down() {
  [ -d "$DIR" ] || { echo "cluster: nothing in $DIR"; return 0; }
  stop_pid "$DIR/haproxy.pid"
  for f in "$DIR"/node*.pid; do [ -e "$f" ] && stop_pid "$f"; done
  for i in 0 1 2; do stop_pid "$DIR/nats$i.pid"; done
  for which in replica primary; do
    if [ -f "$DIR/pg/$which/postmaster.pid" ]; then as_postgres "$PGBIN/pg_ctl" -D "$DIR/pg/$which" -m fast -w stop >/dev/null || true; fi
  done
  rm -rf "$DIR"
  echo "cluster down"
}

case "${1:-}" in
  up) up "${2:-2}" ;;
  status) status ;;
  promote) promote ;;
  nats) nats "${2:-}" "${3:-}" ;;
  down) down ;;
  # The balancer's configuration alone, in $DIR (tests start HAProxy on it in front of stand-in nodes).
  balancer-config) mkdir -p "$DIR"; balancer_config "${2:-2}" ;;
  *) echo "usage: scripts/cluster.sh up [nodes] | status | promote | nats stop|start <0-2> | down | balancer-config [nodes]" >&2; exit 2 ;;
esac
