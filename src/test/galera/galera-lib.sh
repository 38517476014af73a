# shellcheck shell=bash
# Copied from the project's shared Galera recipe (peers/galera), with GALERA_PORT_OFFSET added.
# Sourced by galera-*.sh. Port plan for node i (1-based):
#   client 3306+i (3307,3308,3309)   galera 4567+10(i-1) (4567,4577,4587)
#   IST    4568+10(i-1)              SST (rsync daemon) 4444+10(i-1)
# Layout: $BASE/cluster.env, $BASE/nodeI/{my.cnf,data/,tmp/,mysqld.sock,mysqld.pid,error.log}

GALERA_BASE_DEFAULT=/tmp/galera-test
GALERA_PROVIDER=${GALERA_PROVIDER:-/usr/lib/galera/libgalera_smm.so}
# mariadbd runs as this OS user. Not root: as root, the joiner's rsync SST daemon switches to
# 'nobody' and cannot write into the datadir ("mkdir ... Permission denied", rsync code 23).
GALERA_OS_USER=${GALERA_OS_USER:-mysql}

# GALERA_PORT_OFFSET (kept in cluster.env) shifts every port, so a test and a benchmark, or two
# checkouts, can each run a cluster on one machine.
GALERA_PORT_OFFSET=${GALERA_PORT_OFFSET:-0}
client_port() { echo $((3306 + GALERA_PORT_OFFSET + $1)); }
galera_port() { echo $((4567 + GALERA_PORT_OFFSET + 10 * ($1 - 1))); }
ist_port()    { echo $((4568 + GALERA_PORT_OFFSET + 10 * ($1 - 1))); }
sst_port()    { echo $((4444 + GALERA_PORT_OFFSET + 10 * ($1 - 1))); }
node_dir()    { echo "$BASE/node$1"; }
node_sock()   { echo "$BASE/node$1/mysqld.sock"; }
node_pidfile(){ echo "$BASE/node$1/mysqld.pid"; }

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# root over the node's socket (unix_socket auth or empty password both work as OS root)
sql() { local n=$1; shift; mariadb --no-defaults -uroot -S "$(node_sock "$n")" -N -B "$@"; }

load_env() {
  [ -f "$BASE/cluster.env" ] || die "$BASE/cluster.env not found: run galera-up.sh first"
  # shellcheck disable=SC1091
  . "$BASE/cluster.env"
}

node_pid() {   # prints the pid if the node's mariadbd is alive (pid recorded at launch)
  local f; f="$(node_dir "$1")/launch.pid"
  [ -s "$f" ] || return 1
  local p; p=$(cat "$f")
  kill -0 "$p" 2>/dev/null && [ "$(cat /proc/"$p"/comm 2>/dev/null)" = mariadbd ] && echo "$p"
}

cluster_address() {
  local i a=""
  for i in $(seq 1 "$N"); do a="$a${a:+,}127.0.0.1:$(galera_port "$i")"; done
  echo "gcomm://$a"
}

write_cnf() {  # write_cnf I
  local i=$1 d; d=$(node_dir "$i")
  cat > "$d/my.cnf" <<EOF
[mysqld]
user=$GALERA_OS_USER
datadir=$d/data
tmpdir=$d/tmp
socket=$d/mysqld.sock
pid-file=$d/mysqld.pid
log-error=$d/error.log
port=$(client_port "$i")
bind-address=127.0.0.1
skip-name-resolve
character-set-server=utf8mb4
collation-server=utf8mb4_general_ci
binlog_format=ROW
default_storage_engine=InnoDB
innodb_autoinc_lock_mode=2
# test-sized resources
innodb_buffer_pool_size=${GALERA_BUFFER_POOL:-128M}
innodb_log_file_size=48M
innodb_flush_log_at_trx_commit=2
performance_schema=OFF
max_connections=200

wsrep_on=ON
wsrep_provider=$GALERA_PROVIDER
wsrep_cluster_name=hotline-test-$GALERA_PORT_OFFSET
wsrep_cluster_address=$(cluster_address)
wsrep_node_name=node$i
wsrep_node_address=127.0.0.1:$(galera_port "$i")
wsrep_node_incoming_address=127.0.0.1:$(client_port "$i")
wsrep_sst_method=rsync
wsrep_sst_receive_address=127.0.0.1:$(sst_port "$i")
wsrep_provider_options="gmcast.listen_addr=tcp://127.0.0.1:$(galera_port "$i");ist.recv_addr=127.0.0.1:$(ist_port "$i");gcache.size=64M"
EOF
}

start_node() {  # start_node I [extra mariadbd args...]
  local i=$1; shift
  local d; d=$(node_dir "$i")
  node_pid "$i" >/dev/null && { log "node$i already running"; return 0; }
  rm -f "$d/mysqld.pid"
  chown -R "$GALERA_OS_USER": "$d"
  # After a crash (kill -9) grastate.dat says seqno: -1 and the node would ask for a full SST.
  # Recover the last committed position from InnoDB first (what galera_recovery/mysqld_safe do),
  # so the node can catch up by IST from a donor's gcache instead.
  if grep -q '^seqno: *-1' "$d/data/grastate.dat" 2>/dev/null && [ -f "$d/data/ibdata1" ]; then
    mariadbd --defaults-file="$d/my.cnf" --wsrep-recover --log-error="$d/recover.log" >/dev/null 2>&1 || true
    local pos; pos=$(sed -n 's/.*WSREP: Recovered position: *\([^ ]*\).*/\1/p' "$d/recover.log" | tail -1)
    rm -f "$d/recover.log"
    if [ -n "$pos" ]; then
      log "node$i crashed earlier; recovered position $pos"
      set -- "$@" --wsrep-start-position="$pos"
    fi
  fi
  log "starting node$i (client $(client_port "$i"), galera $(galera_port "$i")) $*"
  # setsid: own session, so Ctrl-C in the caller's terminal does not reach it
  setsid mariadbd --defaults-file="$d/my.cnf" "$@" </dev/null >>"$d/stdout.log" 2>&1 &
  echo $! > "$d/launch.pid"
}

wait_synced() {  # wait_synced I [timeout_s]
  local i=$1 t=${2:-120} s=$SECONDS st=""
  while [ $((SECONDS - s)) -lt "$t" ]; do
    st=$(sql "$i" -e "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME='WSREP_LOCAL_STATE_COMMENT'" 2>/dev/null || true)
    [ "$st" = Synced ] && return 0
    # the launched process itself (setsid may not have exec'd mariadbd yet: do not look at its name)
    if ! kill -0 "$(cat "$(node_dir "$i")/launch.pid" 2>/dev/null || echo 0)" 2>/dev/null; then
      tail -20 "$(node_dir "$i")/error.log" >&2; die "node$i died during start"
    fi
    sleep 0.3
  done
  tail -20 "$(node_dir "$i")/error.log" >&2
  die "node$i not Synced after ${t}s (state: ${st:-no connection})"
}

wait_cluster_size() {  # wait_cluster_size I SIZE [timeout_s]
  local i=$1 want=$2 t=${3:-60} s=$SECONDS v=""
  while [ $((SECONDS - s)) -lt "$t" ]; do
    v=$(sql "$i" -e "SHOW STATUS LIKE 'wsrep_cluster_size'" 2>/dev/null | awk '{print $2}')
    [ "$v" = "$want" ] && return 0
    sleep 0.3
  done
  die "node$i sees wsrep_cluster_size=${v:-?}, wanted $want"
}

stop_node() {  # clean shutdown over the socket; waits for the process to exit
  local i=$1 pid
  pid=$(node_pid "$i") || { log "node$i not running"; return 0; }
  log "stopping node$i (pid $pid)"
  timeout 30 mariadb-admin --no-defaults -uroot -S "$(node_sock "$i")" shutdown 2>/dev/null || kill -TERM "$pid"
  for _ in $(seq 1 600); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  log "warning: node$i (pid $pid) still running after 60s; sending SIGKILL"
  kill -9 "$pid" 2>/dev/null || true
}
