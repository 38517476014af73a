#!/usr/bin/env bash
# galera-up.sh [BASE_DIR] [N]   -- start an N-node (default 3) MariaDB Galera cluster on 127.0.0.1
# Fresh BASE_DIR: initialise node1 with mariadb-install-db, bootstrap it, create db/user `hotline`,
# then join nodes 2..N (they get a full rsync SST from node1).
# Existing BASE_DIR (after galera-down.sh): restart; bootstraps the node whose grastate.dat says
# safe_to_bootstrap: 1 (node1 after galera-down.sh), the others rejoin via IST.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/galera-lib.sh"

BASE=${1:-${GALERA_BASE:-$GALERA_BASE_DEFAULT}}
N_ARG=${2:-}
T0=$SECONDS
# shellcheck disable=SC2154
trap 'rc=$?; [ $rc = 0 ] || log "galera-up failed (logs: $BASE/node*/error.log); clean up: galera-down.sh $BASE --purge"' EXIT
command -v mariadbd >/dev/null || die "mariadbd not found: apt-get install -y mariadb-server galera-4 mariadb-client"
[ -f "$GALERA_PROVIDER" ] || die "$GALERA_PROVIDER not found: apt-get install -y galera-4"
command -v rsync >/dev/null || die "rsync not found (SST method): apt-get install -y rsync"
[ "$(id -u)" = 0 ] || die "run as root (mariadbd is started as root and drops to --user=$GALERA_OS_USER)"

port_busy() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }

if [ -f "$BASE/cluster.env" ]; then
  load_env
  [ -z "$N_ARG" ] || [ "$N_ARG" = "$N" ] || die "$BASE holds a $N-node cluster; use another BASE_DIR or galera-down.sh --purge"
  FRESH=0
else
  N=${N_ARG:-3}
  [ "$N" -ge 1 ] && [ "$N" -le 9 ] || die "N must be 1..9"
  FRESH=1
fi

running=()
for i in $(seq 1 "$N"); do
  if node_pid "$i" >/dev/null; then running+=("$i"); continue; fi
  for p in $(client_port "$i") $(galera_port "$i") $(ist_port "$i") $(sst_port "$i"); do
    port_busy "$p" && die "port $p (node$i) is in use by another process"
  done
done

if [ "$FRESH" = 1 ]; then
  log "initialising $N nodes under $BASE"
  mkdir -p "$BASE"
  printf "N=%s\nGALERA_PORT_OFFSET=%s\n" "$N" "$GALERA_PORT_OFFSET" > "$BASE/cluster.env"
  for i in $(seq 1 "$N"); do
    mkdir -p "$(node_dir "$i")/data" "$(node_dir "$i")/tmp"
    write_cnf "$i"
  done
  # Only the bootstrap node needs system tables: joiners receive node1's whole datadir by SST.
  chown -R "$GALERA_OS_USER": "$BASE"
  runuser -u "$GALERA_OS_USER" -- test -w "$(node_dir 1)/data" ||
    die "user $GALERA_OS_USER cannot reach $BASE (a parent directory is not traversable); use a BASE_DIR under /tmp"
  mariadb-install-db --defaults-file="$(node_dir 1)/my.cnf" --user="$GALERA_OS_USER" \
    --auth-root-authentication-method=normal --skip-test-db --wsrep-on=OFF \
    > "$(node_dir 1)/install-db.log" 2>&1 || { cat "$(node_dir 1)/install-db.log" >&2; die "mariadb-install-db failed"; }
  boot=1
else
  boot=""
fi

if [ ${#running[@]} -gt 0 ]; then
  log "already running: ${running[*]/#/node}; joining the rest to them"
  boot=""
elif [ "$FRESH" = 0 ]; then
  for i in $(seq 1 "$N"); do
    grep -q '^safe_to_bootstrap: 1' "$(node_dir "$i")/data/grastate.dat" 2>/dev/null && { boot=$i; break; }
  done
  if [ -z "$boot" ]; then
    boot=1
    log "warning: no node is safe_to_bootstrap (unclean stop?); forcing node1 (may lose its last trx)"
    sed -i 's/^safe_to_bootstrap: 0/safe_to_bootstrap: 1/' "$(node_dir 1)/data/grastate.dat" 2>/dev/null || true
  fi
fi

if [ -n "$boot" ]; then
  start_node "$boot" --wsrep-new-cluster
  wait_synced "$boot" 60
  log "node$boot bootstrapped ($((SECONDS - T0))s)"
fi

if [ "$FRESH" = 1 ]; then
  # DDL/DCL issued on a Galera node is replicated (TOI), but run it before the joins so SST carries it.
  sql 1 <<'SQL'
DROP USER IF EXISTS ''@'localhost';
CREATE DATABASE IF NOT EXISTS hotline CHARACTER SET utf8mb4;
CREATE USER IF NOT EXISTS 'hotline'@'127.0.0.1' IDENTIFIED BY 'hotline';
CREATE USER IF NOT EXISTS 'hotline'@'localhost' IDENTIFIED BY 'hotline';
GRANT ALL PRIVILEGES ON hotline.* TO 'hotline'@'127.0.0.1';
GRANT ALL PRIVILEGES ON hotline.* TO 'hotline'@'localhost';
SQL
  sql 1 -e "DROP USER IF EXISTS ''@'$(hostname)'" 2>/dev/null || true
fi

# Joins: serial by default (one donor, one SST at a time). GALERA_PARALLEL_JOIN=1 starts all
# joiners at once; a joiner that finds no free donor retries every second until one is Synced.
joiners=()
for i in $(seq 1 "$N"); do node_pid "$i" >/dev/null || joiners+=("$i"); done
for i in "${joiners[@]}"; do
  start_node "$i"
  [ "${GALERA_PARALLEL_JOIN:-0}" = 1 ] && continue
  wait_synced "$i" 180
  log "node$i Synced ($((SECONDS - T0))s)"
done
if [ "${GALERA_PARALLEL_JOIN:-0}" = 1 ]; then
  for i in "${joiners[@]}"; do wait_synced "$i" 180; log "node$i Synced ($((SECONDS - T0))s)"; done
fi

for i in $(seq 1 "$N"); do wait_cluster_size "$i" "$N" 60; done
for i in $(seq 1 "$N"); do
  mariadb --no-defaults -h127.0.0.1 -P"$(client_port "$i")" -uhotline -photline hotline -e 'SELECT 1' >/dev/null \
    || die "user hotline cannot log in over TCP on node$i"
done

hosts=""; for i in $(seq 1 "$N"); do hosts="$hosts${hosts:+,}127.0.0.1:$(client_port "$i")"; done
log "cluster up: $N nodes Synced, wsrep_cluster_size=$N, in $((SECONDS - T0))s"
echo "BASE_DIR=$BASE"
for i in $(seq 1 "$N"); do
  echo "node$i  jdbc:mariadb://127.0.0.1:$(client_port "$i")/hotline   pid=$(node_pid "$i")  socket=$(node_sock "$i")"
done
echo "sequential (all traffic to first live node; recommended for writes):"
echo "  jdbc:mariadb:sequential://$hosts/hotline"
echo "loadbalance (random node per connection; expect 1213 certification conflicts on hot rows):"
echo "  jdbc:mariadb:loadbalance://$hosts/hotline"
echo "user=hotline password=hotline"
