#!/usr/bin/env bash
# ShardedKvs replication benchmark: a 3-node cluster with one copy per key (R=1, the round-one protocol)
# against a 3-node cluster with three copies (R=3), both running at once on loopback and measured in
# turns, so that both meet the same background load.
#
#   bash bench/replication.sh            DURATION=5s PAIRS=8   (about 4 minutes after the build)
#   QUICK=1 bash bench/replication.sh    DURATION=3s PAIRS=5   (about 2 minutes)
#   SCRIPTS=get.lua PAIRS=16 bash bench/replication.sh         (GET pairs only)
#   FACTOR_R1=3 ENV_R3="Kvs__HeartbeatInterval=00:00:01" bash bench/replication.sh
#                                        (A/B a setting: the "R=1" cluster runs FACTOR_R1 copies, and
#                                        ENV_R1 / ENV_R3 add node settings, KEY=VALUE separated by spaces;
#                                        NODE_BIN_R1 / NODE_BIN_R3 run a node already published in bench/bin/<name>)
#   JIT=1 bash bench/replication.sh      the JIT's build, as `dotnet run` and the tests run it (default: the image's
#                                        Native AOT executable, deploy/image/publish.sh, what ships); NODE_BIN=<name>
#                                        a node already published in bench/bin/<name>, for both clusters
#
# A pair is one wrk run against each cluster, back to back, in alternating order (R=1 first in odd pairs,
# R=3 first in even ones); GET pairs and PUT pairs alternate. Each pair gives one ratio R=3 / R=1, and
# the report is the median of those ratios with their range: on a machine shared with other work,
# throughput moves by tens of percent within a minute, and a ratio of two runs seconds apart moves less
# than a ratio of medians taken minutes apart. The idle cluster costs its neighbour only its background
# work (idle, about 7% of one core for the R=3 cluster, 2% for R=1). Each run also reports the three
# nodes' CPU time per request (/proc/PID/stat), a figure the machine's other work moves less.
#
# Load: wrk -t2 -c16 against node A of each cluster, random keys out of 10000 preloaded 100-byte values
# (two thirds of them forwarded, at both factors). Output: a markdown table on stdout and in
# bench/results/replication-latest.md; raw wrk output and node logs in bench/results/repl-<timestamp>/.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
if [[ "${QUICK:-0}" == "1" ]]; then DURATION=${DURATION:-3s}; PAIRS=${PAIRS:-5}; fi
DURATION=${DURATION:-5s}; PAIRS=${PAIRS:-8}; WARMUP_S=${WARMUP_S:-20}
SCRIPTS=${SCRIPTS:-get.lua put.lua}   # SCRIPTS=get.lua: GET pairs only
DURATION_S=${DURATION%s}
CLUSTER_KEY=${CLUSTER_KEY:-bench-cluster-key-0123456789abcdef0123456789}
HOST=127.0.0.1
R1_PORTS=(15960 15961 15962)   # loopback ports 15960-15965
R3_PORTS=(15963 15964 15965)
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
require_free_ports "${R1_PORTS[@]}" "${R3_PORTS[@]}"
log "building Release (node, loader)"
publish_to_bin bench/Loader loader
[[ -n "${NODE_BIN_R1:-}" && -n "${NODE_BIN_R3:-}" ]] || publish_node   # what ships (Native AOT) unless JIT=1 or NODE_BIN

entry() { local -n ports=R$1_PORTS; echo "http://$HOST:${ports[0]}"; }

start_cluster() {   # start_cluster R: three nodes with Kvs__ReplicationFactor=R, until all serve
  local r=$1 port factor=$1 extra
  local -n ports=R${r}_PORTS
  [[ $r == 1 ]] && factor=${FACTOR_R1:-1}
  local -n settings=ENV_R$r
  read -r -a extra <<<"${settings:-}"
  VIEW="$HOST:${ports[0]},$HOST:${ports[1]},$HOST:${ports[2]}"
  local -n published=NODE_BIN_R$r
  for port in "${ports[@]}"; do
    NODE_BIN=${published:-$NODE_BIN} start_node "$port" "$RUN_DIR/node-r$r-$port.log" Kvs__ReplicationFactor="$factor" "${extra[@]}"
  done
  wait_until_serving "${ports[@]}"
}

warm_up() {   # warm_up R: preload, then load until tiered compilation settles
  local r=$1
  dotnet "$BIN/loader/Loader.dll" load "$(entry "$r")" $PRELOAD 0 32 120 100 >"$RUN_DIR/preload-r$r.txt" 2>&1 || log "WARNING: preload incomplete"
  # A replicated node has more code to compile (log, heartbeats, replication): a 2 s warm-up measured
  # its JIT rather than its requests (libclrjit at 24% of an R=3 node's CPU right after start, 7% at R=1).
  timeout $((WARMUP_S + 30)) wrk -t2 -c16 -d"${WARMUP_S}s" -s bench/wrk/mix.lua "$(entry "$r")" -- $PRELOAD >/dev/null 2>&1 || true
}

cluster_ticks() {   # cluster_ticks R: CPU ticks (1/100 s) the cluster's three node processes have used
  local -n pids=R${1}_PIDS
  local pid total=0
  for pid in "${pids[@]}"; do total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat"))); done
  echo "$total"
}

measure() {   # measure R PAIR SCRIPT: one bounded wrk run, appends "R script rps p99_us errors pair cpu_us_per_request" to results
  local r=$1 pair=$2 script=$3 out line ticks
  ticks=$(cluster_ticks "$r")
  out=$(timeout $((DURATION_S + 30)) wrk -t2 -c16 -d"$DURATION" --timeout 5s -s "bench/wrk/$script" "$(entry "$r")" -- $PRELOAD 2>&1) || true
  ticks=$(( $(cluster_ticks "$r") - ticks ))
  printf '%s\n' "$out" >"$RUN_DIR/wrk-r$r-$script-$pair.txt"
  line=$(grep '^BENCH ' <<<"$out" | tail -1 || true)
  awk -v r="$r" -v s="$script" -v p="$pair" -v t="$ticks" '{for(i=1;i<=NF;i++){split($i,a,"="); v[a[1]]=a[2]} printf "%s %s %.0f %d %d %s %.1f\n", r, s, v["rps"], v["p99_us"], v["status_errors"], p, (v["requests"] > 0 ? t * 1e6 / 100 / v["requests"] : 0)}' <<<"${line#BENCH }" >>"$RUN_DIR/results.txt"
  log "  pair $pair R=$r ${script%.lua}: $(tail -1 "$RUN_DIR/results.txt" | awk '{print $3 " req/s, " $7 " us of node CPU per request"}')"
}

log "starting both clusters"
start_cluster 1
R1_PIDS=("${PIDS[@]}")
start_cluster 3
R3_PIDS=("${PIDS[@]:3}")
warm_up 1
warm_up 3
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

: >"$RUN_DIR/results.txt"
for pair in $(seq 1 "$PAIRS"); do
  order="1 3"; (( pair % 2 == 0 )) && order="3 1"
  for script in $SCRIPTS; do
    for r in $order; do measure "$r" "$pair" "$script"; done
  done
done
cleanup

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
stat() { awk -v r="$1" -v s="$2" -v c="$3" '$1==r && $2==s {print $c}' "$RUN_DIR/results.txt" | median; }
ratios() {   # ratios SCRIPT [COLUMN]: one R=3 / R=1 ratio per pair, of req/s (column 3) or CPU per request (7)
  awk -v s="$1" -v c="${2:-3}" '$2==s {x[$1 " " $6]=$c; pairs[$6]=1} END {for (p in pairs) if (x["1 " p] > 0) print x["3 " p] / x["1 " p]}' "$RUN_DIR/results.txt"
}
{
  echo "# Replication: R=3 against R=1, two 3-node clusters on loopback measured in turns ($STAMP, DURATION=$DURATION, PAIRS=$PAIRS)"
  echo
  echo "| load | R=1 req/s | R=3 req/s | ratio R=3 / R=1 (median of pairs) | ratio range | R=1 p99 ms | R=3 p99 ms | R=3 errors | node CPU per request R=1 / R=3 (ratio) |"
  echo "|---|---|---|---|---|---|---|---|---|"
  for s in $SCRIPTS; do
    a=$(stat 1 $s 3); b=$(stat 3 $s 3); pa=$(stat 1 $s 4); pb=$(stat 3 $s 4)
    e=$(awk -v s="$s" '$1==3 && $2==s {e += $5} END {print e + 0}' "$RUN_DIR/results.txt")
    m=$(ratios $s | median); lo=$(ratios $s | sort -g | head -1); hi=$(ratios $s | sort -g | tail -1)
    ca=$(stat 1 $s 7); cb=$(stat 3 $s 7); cm=$(ratios $s 7 | median)
    awk -v s="${s%.lua}" -v a="$a" -v b="$b" -v m="$m" -v lo="$lo" -v hi="$hi" -v pa="$pa" -v pb="$pb" -v e="$e" -v ca="$ca" -v cb="$cb" -v cm="$cm" \
      'BEGIN {printf "| %s | %.0f | %.0f | %.2fx | %.2f-%.2fx | %.2f | %.2f | %d | %.0f / %.0f us (%.2fx) |\n", toupper(s), a, b, m, lo, hi, pa/1000, pb/1000, e, ca, cb, cm}'
  done
  echo
  echo "- node CPU per request: the three nodes' CPU time over the run (/proc/PID/stat) divided by its requests, median over the pairs; the CPU ratio is the median of per-pair ratios"
  echo "- req/s and p99 are medians over the pairs; wrk -t2 -c16 against node A of each cluster; 10000 preloaded keys, 100-byte values; two thirds of the requests are forwarded at both factors"
  [[ -n "${FACTOR_R1:-}${ENV_R1:-}${ENV_R3:-}${NODE_BIN_R1:-}${NODE_BIN_R3:-}" ]] && echo "- A/B run: the R=1 column is a cluster of FACTOR_R1=${FACTOR_R1:-1} copies with ENV_R1='${ENV_R1:-}' NODE_BIN_R1='${NODE_BIN_R1:-}', the R=3 column has ENV_R3='${ENV_R3:-}' NODE_BIN_R3='${NODE_BIN_R3:-}'"
  echo "- load average before the pairs: $LOAD_BEFORE, at the end: $(cut -d' ' -f1-3 /proc/loadavg), on $(nproc) cores"
} | tee "$OUT/replication-latest.md"
