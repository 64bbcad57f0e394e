#!/usr/bin/env bash
# A 3-node PostgreSQL 15 cluster on 127.0.0.1 for the scale-out store: 3 etcd members and
# 3 Patroni-managed PostgreSQL nodes, synchronous replication, all in one directory.
#
#   scripts/cluster.sh up     [DIR]   start (installing the Debian packages when absent), wait
#                                     until PostgreSQL itself reports a leader with two streaming
#                                     replicas (one synchronous), print the connection string
#   scripts/cluster.sh status [DIR]   each node's role as PostgreSQL reports it
#   scripts/cluster.sh down   [DIR]   stop every recorded process by its pid
#   scripts/cluster.sh leader [DIR]   the node number (1-3) whose PostgreSQL is not in recovery
#   scripts/cluster.sh kill N [DIR]   kill -9 node N's etcd member, Patroni and postmaster
#   scripts/cluster.sh start N [DIR]  start node N again (it rejoins; pg_rewind when needed)
#
# DIR defaults to $SOCS_CLUSTER_DIR, else the repository's ignored .cluster/. Ports are free
# loopback ports allocated at `up` and written to DIR/cluster.env, so two clusters (two test
# runs) never collide and the default ports (5432, 2379, 8008) are never used. Processes run as
# the `postgres` user (PostgreSQL refuses root); their pids are in DIR/pids/ and nothing is ever
# stopped by name.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
cmd="${1:-}"; shift || true
node_arg=""
if [ "$cmd" = kill ] || [ "$cmd" = start ]; then node_arg="${1:-}"; shift || true; fi
dir="${1:-${SOCS_CLUSTER_DIR:-$repo/.cluster}}"
pg_bin=/usr/lib/postgresql/15/bin

die() { echo "cluster.sh: $*" >&2; exit 2; }

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

ensure_packages() {
  local missing=() p
  for p in postgresql-15 patroni etcd-server etcd-client python3-etcd; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" = 0 ] || die "missing ${missing[*]}; run as root or install them with apt-get"
  echo "cluster.sh: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Twelve distinct free loopback ports, all held open at once while they are chosen.
free_ports() {
  python3 - <<'PY'
import socket
socks = []
for _ in range(12):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()
PY
}

load_env() {
  [ -f "$dir/cluster.env" ] || die "no cluster in $dir (run: scripts/cluster.sh up $dir)"
  # shellcheck disable=SC1091
  . "$dir/cluster.env"
}

alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

pid_of() { cat "$dir/pids/$1" 2>/dev/null || true; }

# The postmaster's pid from its lock file, only when that pid really is a postgres process.
postmaster_pid() {
  local n=$1 pid
  pid=$(head -1 "$dir/node$n/data/postmaster.pid" 2>/dev/null || true)
  [ -n "$pid" ] && alive "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "^$pg_bin/postgres" && echo "$pid"
  return 0
}

psql_node() {
  local n=$1; shift
  local port_var="PG_PORT_$n"
  PGPASSWORD="$SUPERUSER_PASSWORD" psql -X -q -At -h 127.0.0.1 -p "${!port_var}" -U postgres -d postgres \
    -v ON_ERROR_STOP=1 "$@" 2>/dev/null
}

start_etcd() {
  local n=$1 cport pport
  cport="ETCD_CLIENT_$n"; pport="ETCD_PEER_$n"
  as_pg sh -c 'echo $$ > "$1"; shift; exec "$@"' sh "$dir/pids/etcd$n" \
    etcd --name "e$n" --data-dir "$dir/etcd$n" \
      --listen-client-urls "http://127.0.0.1:${!cport}" --advertise-client-urls "http://127.0.0.1:${!cport}" \
      --listen-peer-urls "http://127.0.0.1:${!pport}" --initial-advertise-peer-urls "http://127.0.0.1:${!pport}" \
      --initial-cluster "e1=http://127.0.0.1:$ETCD_PEER_1,e2=http://127.0.0.1:$ETCD_PEER_2,e3=http://127.0.0.1:$ETCD_PEER_3" \
      --initial-cluster-state new --initial-cluster-token "$CLUSTER_TOKEN" \
      --heartbeat-interval 100 --election-timeout 1000 --logger zap --log-level error \
      >>"$dir/log/etcd$n.log" 2>&1 </dev/null &
}

start_patroni() {
  local n=$1
  as_pg sh -c 'echo $$ > "$1"; shift; exec "$@"' sh "$dir/pids/patroni$n" \
    patroni "$dir/node$n/patroni.yml" >>"$dir/log/patroni$n.log" 2>&1 </dev/null &
}

wait_pidfile() {
  local f=$1 i
  for i in $(seq 1 50); do [ -s "$f" ] && return 0; sleep 0.1; done
  die "no pid in $f"
}

write_patroni_config() {
  local n=$1 pg rest
  pg="PG_PORT_$n"; rest="REST_PORT_$n"
  mkdir -p "$dir/node$n/sock"
  cat >"$dir/node$n/patroni.yml" <<YAML
scope: $SCOPE
namespace: /socs/
name: node$n
log:
  level: WARNING
restapi:
  listen: 127.0.0.1:${!rest}
  connect_address: 127.0.0.1:${!rest}
etcd3:
  hosts: 127.0.0.1:$ETCD_CLIENT_1,127.0.0.1:$ETCD_CLIENT_2,127.0.0.1:$ETCD_CLIENT_3
bootstrap:
  dcs:
    ttl: 10
    loop_wait: 2
    retry_timeout: 3
    maximum_lag_on_failover: 1048576
    synchronous_mode: true
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
        wal_level: replica
        hot_standby: "on"
        wal_log_hints: "on"
        synchronous_commit: "on"
        wal_keep_size: 64MB
        max_slot_wal_keep_size: 256MB
        max_wal_size: 64MB
        min_wal_size: 32MB
        wal_recycle: "off"
        archive_mode: "off"
        shared_buffers: 32MB
        max_connections: 100
        max_wal_senders: 6
        max_replication_slots: 6
  initdb:
    - encoding: UTF8
    - locale: C.UTF-8
    - data-checksums
postgresql:
  listen: 127.0.0.1:${!pg}
  connect_address: 127.0.0.1:${!pg}
  data_dir: $dir/node$n/data
  bin_dir: $pg_bin
  pgpass: $dir/node$n/pgpass
  authentication:
    superuser:
      username: postgres
      password: "$SUPERUSER_PASSWORD"
    replication:
      username: replicator
      password: "$REPLICATION_PASSWORD"
  parameters:
    unix_socket_directories: $dir/node$n/sock
  pg_hba:
    - local all postgres peer
    - host replication replicator 127.0.0.1/32 scram-sha-256
    - host all all 127.0.0.1/32 scram-sha-256
YAML
}

# The leader: the one node whose PostgreSQL is not in recovery.
find_leader() {
  local n
  for n in 1 2 3; do
    [ "$(psql_node "$n" -c 'select pg_is_in_recovery()' || true)" = f ] && { echo "$n"; return 0; }
  done
  return 1
}

# Ready: a leader with two streaming replicas, one of them synchronous, both in recovery.
ready() {
  local leader n rep
  leader=$(find_leader) || return 1
  rep=$(psql_node "$leader" -c "select count(*) filter (where state = 'streaming'), count(*) filter (where sync_state = 'sync') from pg_stat_replication" || true)
  [ "$rep" = "2|1" ] || return 1
  for n in 1 2 3; do
    [ "$n" = "$leader" ] && continue
    [ "$(psql_node "$n" -c 'select pg_is_in_recovery()' || true)" = t ] || return 1
  done
  echo "$leader"
}

# Resident memory of every cluster process: etcd, Patroni, postmasters and their backends.
rss_mib() {
  local pids=() p n pm
  for p in "$dir"/pids/*; do p=$(cat "$p" 2>/dev/null || true); alive "$p" && pids+=("$p"); done
  for n in 1 2 3; do
    pm=$(postmaster_pid "$n")
    [ -n "$pm" ] || continue
    pids+=("$pm")
    for p in $(ps -o pid= --ppid "$pm" 2>/dev/null); do pids+=("$p"); done
  done
  [ ${#pids[@]} -gt 0 ] || { echo 0; return 0; }
  printf '%s\n' "${pids[@]}" | sort -u | xargs ps -o rss= -p 2>/dev/null | awk '{s+=$1} END {printf "%d\n", s/1024}'
}

cmd_up() {
  ensure_packages
  if [ -f "$dir/cluster.env" ]; then
    load_env
    if alive "$(pid_of patroni1)" || alive "$(pid_of etcd1)"; then die "a cluster is already running in $dir"; fi
    die "$dir holds a stopped cluster; remove it or choose another directory"
  fi
  local t0 ports
  t0=$(date +%s.%N)
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  mkdir -p "$dir/pids" "$dir/log"
  read -r -a ports <<<"$(free_ports)"
  secret() { python3 -c 'import secrets; print(secrets.token_hex(16))'; }
  umask 077
  cat >"$dir/cluster.env" <<ENV
ETCD_CLIENT_1=${ports[0]}
ETCD_CLIENT_2=${ports[1]}
ETCD_CLIENT_3=${ports[2]}
ETCD_PEER_1=${ports[3]}
ETCD_PEER_2=${ports[4]}
ETCD_PEER_3=${ports[5]}
PG_PORT_1=${ports[6]}
PG_PORT_2=${ports[7]}
PG_PORT_3=${ports[8]}
REST_PORT_1=${ports[9]}
REST_PORT_2=${ports[10]}
REST_PORT_3=${ports[11]}
SCOPE=socs-$(secret | cut -c1-8)
CLUSTER_TOKEN=socs-$(secret)
SUPERUSER_PASSWORD=$(secret)
REPLICATION_PASSWORD=$(secret)
APP_PASSWORD=$(secret)
ENV
  load_env
  local n
  for n in 1 2 3; do mkdir -p "$dir/etcd$n" "$dir/node$n"; write_patroni_config "$n"; done
  [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$dir"
  chmod 700 "$dir"
  as_pg test -w "$dir" || { rm -rf "$dir"; die "the postgres user cannot reach $dir (a parent directory is not traversable)"; }
  for n in 1 2 3; do start_etcd "$n"; done
  for n in 1 2 3; do wait_pidfile "$dir/pids/etcd$n"; done
  local i ok=""
  for i in $(seq 1 100); do
    if etcdctl --endpoints="127.0.0.1:$ETCD_CLIENT_1,127.0.0.1:$ETCD_CLIENT_2,127.0.0.1:$ETCD_CLIENT_3" \
        --command-timeout=1s endpoint health >/dev/null 2>&1; then ok=1; break; fi
    sleep 0.2
  done
  [ -n "$ok" ] || { cmd_down >/dev/null 2>&1 || true; die "etcd did not become healthy (see $dir/log)"; }
  for n in 1 2 3; do start_patroni "$n"; done
  for n in 1 2 3; do wait_pidfile "$dir/pids/patroni$n"; done
  local leader=""
  for i in $(seq 1 600); do
    leader=$(ready) && break
    leader=""
    sleep 0.2
  done
  [ -n "$leader" ] || { echo "cluster.sh: the cluster did not become ready in 120 s (see $dir/log)" >&2; cmd_down >/dev/null 2>&1 || true; exit 1; }
  # The service's role and database: a login role that owns its schema but is no superuser
  # (row-level security and the append-only trigger hold for it).
  psql_node "$leader" -c "create role socs login createrole password '$APP_PASSWORD'" >/dev/null
  psql_node "$leader" -c "create database socs owner socs" >/dev/null
  # The erasure rounds after a drop (docs/scale-out.md "WAL and backup bounds"): the service switches WAL
  # segments, runs CHECKPOINT on every node and lists pg_wal, without being a superuser.
  psql_node "$leader" -c "grant pg_checkpoint, pg_monitor to socs" >/dev/null
  psql_node "$leader" -d socs -c "grant execute on function pg_switch_wal() to socs" >/dev/null
  local conn="Host=127.0.0.1:$PG_PORT_1,127.0.0.1:$PG_PORT_2,127.0.0.1:$PG_PORT_3;Database=socs;Username=socs;Password=$APP_PASSWORD;Target Session Attributes=read-write;Host Recheck Seconds=1"
  echo "$conn" >"$dir/connection-string"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir/connection-string"
  local t1
  t1=$(date +%s.%N)
  printf 'cluster.sh: up in %.1f s, leader node%s, %s MiB RSS, dir %s\n' \
    "$(awk "BEGIN {print $t1 - $t0}")" "$leader" "$(rss_mib)" "$dir" >&2
  echo "$conn"
}

cmd_status() {
  load_env
  local n role pid
  for n in 1 2 3; do
    case "$(psql_node "$n" -c 'select pg_is_in_recovery()' || true)" in
      f) role=primary ;;
      t) role=replica ;;
      *) role=down ;;
    esac
    pid=$(postmaster_pid "$n")
    echo "node$n 127.0.0.1:$(eval echo "\$PG_PORT_$n") $role etcd=$(alive "$(pid_of etcd$n)" && echo up || echo down) patroni=$(alive "$(pid_of patroni$n)" && echo up || echo down) postmaster=${pid:-down}"
  done
  local leader
  if leader=$(find_leader); then
    psql_node "$leader" -c "select application_name, state, sync_state from pg_stat_replication order by application_name" \
      | sed 's/^/replication /'
  fi
  echo "rss_mib $(rss_mib)"
  [ -f "$dir/connection-string" ] && cat "$dir/connection-string"
  return 0
}

# Stops a pid and waits for it; SIGKILL after the grace period. Only the pid given.
stop_pid() {
  local pid=$1 grace=${2:-100} i
  alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 "$grace"); do alive "$pid" || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  for i in $(seq 1 50); do alive "$pid" || return 0; sleep 0.1; done
}

cmd_down() {
  load_env
  local n pm
  # Patroni first (it stops its postmaster), then any postmaster left over, then etcd.
  for n in 1 2 3; do alive "$(pid_of patroni$n)" && kill -TERM "$(pid_of patroni$n)" 2>/dev/null || true; done
  for n in 1 2 3; do stop_pid "$(pid_of patroni$n)" 150; done
  for n in 1 2 3; do
    pm=$(postmaster_pid "$n")
    [ -n "$pm" ] && { kill -INT "$pm" 2>/dev/null || true; stop_pid "$pm" 100; }
  done
  for n in 1 2 3; do stop_pid "$(pid_of etcd$n)" 50; done
  rm -f "$dir"/pids/*
  echo "cluster.sh: stopped the cluster in $dir" >&2
}

cmd_kill() {
  load_env
  local n=$node_arg pm
  case "$n" in 1|2|3) ;; *) die "kill: node must be 1, 2 or 3" ;; esac
  pm=$(postmaster_pid "$n")
  for p in "$(pid_of etcd$n)" "$(pid_of patroni$n)" "$pm"; do alive "$p" && kill -KILL "$p" 2>/dev/null || true; done
  # the postmaster's children die with it (they watch their parent); wait for the lock holder
  local i
  for i in $(seq 1 50); do alive "$pm" || break; sleep 0.1; done
  echo "cluster.sh: killed node$n" >&2
}

cmd_start() {
  load_env
  local n=$node_arg
  case "$n" in 1|2|3) ;; *) die "start: node must be 1, 2 or 3" ;; esac
  alive "$(pid_of etcd$n)" || { rm -f "$dir/pids/etcd$n"; start_etcd "$n"; wait_pidfile "$dir/pids/etcd$n"; }
  alive "$(pid_of patroni$n)" || { rm -f "$dir/pids/patroni$n"; start_patroni "$n"; wait_pidfile "$dir/pids/patroni$n"; }
  echo "cluster.sh: started node$n" >&2
}

case "$cmd" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  leader) load_env; find_leader || die "no leader" ;;
  kill) cmd_kill ;;
  start) cmd_start ;;
  *) die "usage: cluster.sh up|down|status|leader [DIR] | kill|start N [DIR]" ;;
esac
