#!/usr/bin/env bash
# ShardedKvs client benchmark: the ring-aware ShardedKvsClient against a plain HttpClient that sends
# every request to node 1 (which forwards about 2/3 of them), in one run, against one 3-node cluster
# on loopback ports 15810-15812.
#
#   bash bench/client.sh                 SECONDS=5 ROUNDS=1: four 5 s cases, about 40 s after the build
#   SECONDS_PER_CASE=10 ROUNDS=3 bash bench/client.sh
#
# Options (environment): SECONDS_PER_CASE (5), ROUNDS (1), CONCURRENCY (16), KEYS (10000).
# Output: one markdown table on stdout and in bench/results/client-latest.md; node logs in
# bench/results/client-<timestamp>/. Every process it starts is stopped on exit.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
SECONDS_PER_CASE=${SECONDS_PER_CASE:-5}; ROUNDS=${ROUNDS:-1}; CONCURRENCY=${CONCURRENCY:-16}; KEYS=${KEYS:-10000}
CLUSTER_KEY=${CLUSTER_KEY:-bench-cluster-key-0123456789abcdef0123456789}
HOST=127.0.0.1
PORTS=(15810 15811 15812)
VIEW=$(printf "$HOST:%s," "${PORTS[@]}"); VIEW=${VIEW%,}

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=$ROOT/bench/results
RUN_DIR=$OUT/client-$STAMP
BIN=$ROOT/bench/bin
mkdir -p "$RUN_DIR" "$BIN"
START_TIME=$SECONDS

# shellcheck source=bench/lib/common.sh
source "$ROOT/bench/lib/common.sh"
command -v curl >/dev/null || die "curl not found"
port_busy() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }
for p in "${PORTS[@]}"; do port_busy "$p" && die "port $p is already in use on $HOST"; done

log "building Release (node, client bench)"
publish() { dotnet publish "$1" -c Release -o "$2" --nologo -v q >"$RUN_DIR/build-$(basename "$2").log" 2>&1 \
  || { tail -30 "$RUN_DIR/build-$(basename "$2").log" >&2; die "build of $1 failed"; }; }
publish ShardedKvs.Node "$BIN/node"
publish bench/Client "$BIN/client"

for port in "${PORTS[@]}"; do
  (cd "$BIN/node" && exec env -u ASPNETCORE_URLS -u OTEL_EXPORTER_OTLP_ENDPOINT -u ASPNETCORE_ENVIRONMENT \
      -u DOTNET_ENVIRONMENT -u ASPNETCORE_HTTP_PORTS -u DOTNET_URLS \
      ADDRESS="$HOST:$port" VIEW="$VIEW" CLUSTER_KEY="$CLUSTER_KEY" dotnet ShardedKvs.Node.dll >"$RUN_DIR/node-$port.log" 2>&1) &
  PIDS+=("$!")
  log "started node on $HOST:$port (pid $!)"
done

for port in "${PORTS[@]}"; do
  body=
  for _ in $(seq 1 600); do
    body=$(curl -s --max-time 1 "http://$HOST:$port/kvs/view" || true)
    [[ $body =~ \"state\":\ *\"serving\" ]] && break
    sleep 0.1
  done
  [[ $body =~ \"state\":\ *\"serving\" ]] || die "node $port not serving within 60 s: $body"
done
log "cluster serving: $VIEW"

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
bound=$(( SECONDS_PER_CASE * 4 * ROUNDS + 120 ))
set +e
timeout "$bound" dotnet "$BIN/client/Client.dll" "$VIEW" "$SECONDS_PER_CASE" "$CONCURRENCY" "$KEYS" "$ROUNDS" >"$RUN_DIR/table.md"
status=$?
set -e
{
  echo "# Client benchmark ($STAMP)"
  echo
  echo "3 nodes on $VIEW; $CONCURRENCY concurrent callers; $KEYS keys with 100-byte values; ${SECONDS_PER_CASE} s per case, $ROUNDS round(s); load average at start $LOAD_START, at end $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  cat "$RUN_DIR/table.md"
} | tee "$OUT/client-latest.md"
[[ $status == 0 ]] || die "the bench reported errors or hit its time bound (exit $status)"
