#!/usr/bin/env bash
# ShardedKvs memory per key, R = 3 against R = 1: three real node processes on loopback, KEYS keys with
# 100-byte values loaded through the nodes (bench/Loader), VmRSS of every node (from /proc) once it stops
# changing, before and after the load. bytes/key = (sum after - sum before) / KEYS, over the whole
# cluster; with R = 3 on three nodes every node holds every key.
#
#   QUICK=1 bash bench/replication-memory.sh    KEYS=100000
#   bash bench/replication-memory.sh            KEYS=300000
#   JIT=1 QUICK=1 bash bench/replication-memory.sh   the JIT's build, as `dotnet run` and the tests run it (default:
#                                               the image's Native AOT executable, deploy/image/publish.sh, what ships)
#   NODE_BIN=node-before QUICK=1 bash bench/replication-memory.sh   a node already published in bench/bin/node-before
#
# Output: stdout and bench/results/replication-memory-latest.md; node logs in bench/results/repl-mem-<timestamp>/.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
if [[ "${QUICK:-0}" == "1" ]]; then KEYS=${KEYS:-100000}; fi
KEYS=${KEYS:-300000}; LOAD_TIMEOUT=${LOAD_TIMEOUT:-120}
CLUSTER_KEY=${CLUSTER_KEY:-bench-cluster-key-0123456789abcdef0123456789}
HOST=127.0.0.1
PORTS=(16480 16481 16482)   # loopback ports 16480-16482
VIEW="$HOST:${PORTS[0]},$HOST:${PORTS[1]},$HOST:${PORTS[2]}"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=$ROOT/bench/results
RUN_DIR=$OUT/repl-mem-$STAMP
BIN=$ROOT/bench/bin
mkdir -p "$RUN_DIR" "$BIN"
START_TIME=$SECONDS
# shellcheck source=bench/lib/common.sh
source "$ROOT/bench/lib/common.sh"
require_free_ports "${PORTS[@]}"

log "building Release (node, loader)"
publish_to_bin bench/Loader loader
publish_node   # what ships (Native AOT) unless JIT=1 or NODE_BIN

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
# settle PID: until VmRSS stops changing (3 samples 1 s apart within 256 kB), at most 15 s; prints kB.
settle() {
  local pid=$1 prev cur stable=0
  prev=$(rss_kb "$pid")
  for _ in $(seq 1 15); do
    sleep 1
    cur=$(rss_kb "$pid")
    if (( cur - prev < 256 && prev - cur < 256 )); then stable=$((stable + 1)); ((stable >= 3)) && break; else stable=0; fi
    prev=$cur
  done
  echo "$cur"
}
sum_rss() { local total=0 pid; for pid in "${PIDS[@]}"; do total=$((total + $(settle "$pid"))); done; echo "$total"; }

declare -A PER_KEY
for r in 1 3; do
  log "R=$r: starting 3 nodes"
  for port in "${PORTS[@]}"; do
    start_node "$port" "$RUN_DIR/node-r$r-$port.log" Kvs__ReplicationFactor="$r"
  done
  wait_until_serving "${PORTS[@]}"
  # Warm the request path first, so the empty figure includes what serving costs without the keys.
  dotnet "$BIN/loader/Loader.dll" load "http://$HOST:${PORTS[0]}" 1000 "$KEYS" 16 60 100 >"$RUN_DIR/warm-r$r.txt" 2>&1 || true
  empty=$(sum_rss)
  dotnet "$BIN/loader/Loader.dll" load "http://$HOST:${PORTS[0]}" "$KEYS" 0 32 "$LOAD_TIMEOUT" 100 | tee "$RUN_DIR/load-r$r.txt" >&2 \
    || log "WARNING: load incomplete"
  loaded=$(sum_rss)
  PER_KEY[$r]=$(( (loaded - empty) * 1024 / KEYS ))
  echo "$r $empty $loaded ${PER_KEY[$r]}" >>"$RUN_DIR/results.txt"
  log "R=$r: RSS empty ${empty} kB, loaded ${loaded} kB, ${PER_KEY[$r]} bytes/key"
  cleanup
done

{
  echo "# Memory per key: R=3 against R=1, 3 nodes ($STAMP, KEYS=$KEYS, 100-byte values)"
  echo
  echo "| factor | RSS of the 3 nodes, warm and empty | loaded | bytes per key (cluster) |"
  echo "|---|---|---|---|"
  while read -r r empty loaded per; do
    echo "| R=$r | $((empty / 1024)) MB | $((loaded / 1024)) MB | $per |"
  done <"$RUN_DIR/results.txt"
  echo
  echo "R=3 / R=1: $(awk -v a="${PER_KEY[1]}" -v b="${PER_KEY[3]}" 'BEGIN {printf "%.2fx", b/a}') (ideal 3x: three copies)."
  echo "RSS is what the OS sees: for .NET it includes garbage not yet collected and heap the GC keeps."
  echo "- load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
} | tee "$OUT/replication-memory-latest.md"
