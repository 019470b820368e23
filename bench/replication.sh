#!/usr/bin/env bash
# ShardedKvs replication benchmark: a 3-node cluster with one copy per key (R=1, the round-one protocol)
# against the same cluster with three copies (R=3), side by side in ONE run, alternating, on loopback.
#
#   bash bench/replication.sh            DURATION=10s RUNS=3
#   QUICK=1 bash bench/replication.sh    DURATION=4s  RUNS=1
#
# Reports, per factor, the median req/s and p99 of GETs and PUTs (wrk -t2 -c16 against node A, random
# keys out of 10000 preloaded 100-byte values; two thirds of them are forwarded in both cases), and the
# ratios R=3 / R=1. Output: a markdown table on stdout and in bench/results/replication-latest.md; raw
# wrk output and node logs in bench/results/repl-<timestamp>/.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
if [[ "${QUICK:-0}" == "1" ]]; then DURATION=${DURATION:-4s}; RUNS=${RUNS:-1}; fi
DURATION=${DURATION:-10s}; RUNS=${RUNS:-3}; WARMUP_S=${WARMUP_S:-20}
DURATION_S=${DURATION%s}
CLUSTER_KEY=${CLUSTER_KEY:-bench-cluster-key-0123456789abcdef0123456789}
HOST=127.0.0.1
PORTS=(15960 15961 15962)   # loopback ports 15960-15962
VIEW="$HOST:${PORTS[0]},$HOST:${PORTS[1]},$HOST:${PORTS[2]}"
PRELOAD=10000
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=$ROOT/bench/results
RUN_DIR=$OUT/repl-$STAMP
BIN=$ROOT/bench/bin
mkdir -p "$RUN_DIR" "$BIN"
START_TIME=$SECONDS
# shellcheck source=bench/lib/common.sh
source "$ROOT/bench/lib/common.sh"

command -v wrk >/dev/null || die "wrk not found (apt-get install wrk)"
log "building Release (node, loader)"
publish_to_bin bench/Loader loader
publish_to_bin ShardedKvs.Node node

start_cluster() {   # start_cluster R: three nodes with Kvs__ReplicationFactor=R, until all serve
  local r=$1 port
  for port in "${PORTS[@]}"; do
    start_node "$port" "$RUN_DIR/node-r$r-$port.log" Kvs__ReplicationFactor="$r"
  done
  wait_until_serving "${PORTS[@]}"
  dotnet "$BIN/loader/Loader.dll" load "http://$HOST:${PORTS[0]}" $PRELOAD 0 32 120 100 >"$RUN_DIR/preload-r$r.txt" 2>&1 || log "WARNING: preload incomplete"
  # Warm up until tiered compilation settles: a replicated node has more code to compile (log,
  # heartbeats, replication) and a 2 s warm-up measured its JIT rather than its requests (a
  # perf profile right after start showed libclrjit at 24% of an R=3 node's CPU, 7% at R=1).
  timeout $((WARMUP_S + 30)) wrk -t2 -c16 -d"${WARMUP_S}s" -s bench/wrk/mix.lua "http://$HOST:${PORTS[0]}" -- $PRELOAD >/dev/null 2>&1 || true
}

measure() {   # measure R REP SCRIPT: one bounded wrk run, appends "R script rps p99_us" to results
  local r=$1 rep=$2 script=$3 out line
  out=$(timeout $((DURATION_S + 30)) wrk -t2 -c16 -d"$DURATION" --timeout 5s -s "bench/wrk/$script" "http://$HOST:${PORTS[0]}" -- $PRELOAD 2>&1) || true
  printf '%s\n' "$out" >"$RUN_DIR/wrk-r$r-$script-$rep.txt"
  line=$(grep '^BENCH ' <<<"$out" | tail -1 || true)
  awk -v r="$r" -v s="$script" '{for(i=1;i<=NF;i++){split($i,a,"="); v[a[1]]=a[2]} printf "%s %s %.0f %d %d\n", r, s, v["rps"], v["p99_us"], v["status_errors"]}' <<<"${line#BENCH }" >>"$RUN_DIR/results.txt"
  log "  R=$r $script rep $rep: $(tail -1 "$RUN_DIR/results.txt")"
}

: >"$RUN_DIR/results.txt"
for rep in $(seq 1 "$RUNS"); do
  for r in 1 3; do
    log "rep $rep: R=$r"
    start_cluster "$r"
    measure "$r" "$rep" get.lua
    measure "$r" "$rep" put.lua
    cleanup
  done
done

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
stat() { awk -v r="$1" -v s="$2" -v c="$3" '$1==r && $2==s {print $c}' "$RUN_DIR/results.txt" | median; }
{
  echo "# Replication: R=3 against R=1, 3 nodes, loopback ($STAMP, DURATION=$DURATION, RUNS=$RUNS, median)"
  echo
  echo "| load | R=1 req/s | R=3 req/s | ratio | R=1 p99 ms | R=3 p99 ms | R=3 errors |"
  echo "|---|---|---|---|---|---|---|"
  for s in get.lua put.lua; do
    a=$(stat 1 $s 3); b=$(stat 3 $s 3); pa=$(stat 1 $s 4); pb=$(stat 3 $s 4); e=$(stat 3 $s 5)
    awk -v s="${s%.lua}" -v a="$a" -v b="$b" -v pa="$pa" -v pb="$pb" -v e="$e" 'BEGIN {printf "| %s | %.0f | %.0f | %.2fx | %.2f | %.2f | %d |\n", toupper(s), a, b, (a>0?b/a:0), pa/1000, pb/1000, e}'
  done
  echo
  echo "- wrk -t2 -c16 against node A; 10000 preloaded keys, 100-byte values; two thirds of the requests are forwarded in both cases"
  echo "- load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
} | tee "$OUT/replication-latest.md"
