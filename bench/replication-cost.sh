#!/usr/bin/env bash
# What one request costs the nodes, R=1 against R=3: node CPU, context switches and (with dotnet-counters
# installed) thread-pool work items and bytes allocated per request, for the loads of bench/replication.sh.
# Throughput on a shared 2-core machine swings with other work; these per-request figures swing less.
#
#   bash bench/replication-cost.sh                 R_LIST="1 3" SCRIPTS="put.lua get.lua" DURATION_S=4 WARMUP_S=15
#   JIT=1 bash bench/replication-cost.sh           the JIT's build, as `dotnet run` and the tests run it (default: the
#                                                  image's Native AOT executable, deploy/image/publish.sh, what ships);
#                                                  NODE_BIN=<name> a node already published in bench/bin/<name>
#   PERF=1 R_LIST=3 SCRIPTS=put.lua bash bench/replication-cost.sh   also a perf profile of the three nodes
#   ALLOC=1 SCRIPTS=get.lua bash bench/replication-cost.sh   also what node A allocated, by type (needs dotnet-trace:
#                                                      dotnet tool install -g dotnet-trace; read by bench/TraceReport)
#
# Same cluster as bench/replication.sh (3 nodes, loopback ports 15960-15962, 10000 preloaded keys, wrk -t2 -c16
# against node A). Output: one line per factor and load on stdout and in bench/results/cost-<timestamp>/summary.txt.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
DURATION_S=${DURATION_S:-4}; WARMUP_S=${WARMUP_S:-15}
CLUSTER_KEY=${CLUSTER_KEY:-bench-cluster-key-0123456789abcdef0123456789}
HOST=127.0.0.1
PORTS=(15960 15961 15962)
VIEW="$HOST:${PORTS[0]},$HOST:${PORTS[1]},$HOST:${PORTS[2]}"
PRELOAD=10000
RUN_DIR=$ROOT/bench/results/cost-$(date -u +%Y%m%dT%H%M%SZ)
BIN=$ROOT/bench/bin
COUNTERS_TOOL=${COUNTERS_TOOL:-$HOME/.dotnet/tools/dotnet-counters}
mkdir -p "$RUN_DIR" "$BIN"
START_TIME=$SECONDS
# shellcheck source=bench/lib/common.sh
source "$ROOT/bench/lib/common.sh"

command -v wrk >/dev/null || die "wrk not found (apt-get install wrk)"
if [[ "${BUILD:-1}" == 1 ]]; then
  log "building Release (node, loader)"
  publish_to_bin bench/Loader loader
  publish_node   # what ships (Native AOT) unless JIT=1 or NODE_BIN
else
  NODE_BIN=${NODE_BIN:-node-aot}
fi
TRACE_TOOL=${TRACE_TOOL:-$HOME/.dotnet/tools/dotnet-trace}
if [[ "${ALLOC:-0}" == 1 ]]; then
  [[ -x "$TRACE_TOOL" ]] || die "ALLOC=1 needs dotnet-trace ($TRACE_TOOL): dotnet tool install -g dotnet-trace"
  publish_to_bin bench/TraceReport tracereport
fi
PERF_ENV=()
[[ -n "${PERF:-}" ]] && PERF_ENV=(DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0)
read -r -a EXTRA_ENV <<<"${NODE_ENV:-}"   # NODE_ENV="A=1 B=2": more environment for every node
PERF_ENV+=("${EXTRA_ENV[@]}")

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
switches() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/^voluntary_ctxt/ {v += $2} /^nonvoluntary_ctxt/ {n += $2} END {print v, n}'; }
counter_mean() { awk -F, -v name="$2" 'NR > 1 && index($3, name) {s += $5; c++} END {print (c ? s / c : 0)}' "$1"; }

for r in ${R_LIST:-1 3}; do
  require_free_ports "${PORTS[@]}"
  for port in "${PORTS[@]}"; do
    start_node "$port" "$RUN_DIR/node-r$r-$port.log" Kvs__ReplicationFactor="$r" "${PERF_ENV[@]}"
  done
  wait_until_serving "${PORTS[@]}"
  dotnet "$BIN/loader/Loader.dll" load "http://$HOST:${PORTS[0]}" $PRELOAD 0 32 120 100 >"$RUN_DIR/preload-r$r.txt" 2>&1 || log "WARNING: preload incomplete"
  timeout $((WARMUP_S + 30)) wrk -t2 -c16 -d"${WARMUP_S}s" -s bench/wrk/mix.lua "http://$HOST:${PORTS[0]}" -- $PRELOAD >/dev/null 2>&1 || true
  pids=("${PIDS[@]}")
  for script in ${SCRIPTS:-put.lua get.lua}; do
    declare -A cpu0 vol0 inv0
    probes=()
    for pid in "${pids[@]}"; do
      cpu0[$pid]=$(cpu_ticks "$pid"); read -r "vol0[$pid]" "inv0[$pid]" < <(switches "$pid")
      if [[ -x "$COUNTERS_TOOL" ]]; then
        timeout $((DURATION_S + 20)) "$COUNTERS_TOOL" collect -p "$pid" --refresh-interval 1 --duration "00:00:00:$(printf %02d $((DURATION_S - 1)))" --format csv -o "$RUN_DIR/counters-r$r-$script-$pid.csv" \
          --counters 'System.Runtime[dotnet.gc.heap.total_allocated,dotnet.thread_pool.work_item.count]' >/dev/null 2>&1 &
        probes+=("$!")
      fi
    done
    if [[ "${ALLOC:-0}" == 1 ]]; then   # node A, which takes every request and forwards two thirds of them
      timeout $((DURATION_S + 20)) "$TRACE_TOOL" collect -p "${pids[0]}" --providers Microsoft-Windows-DotNETRuntime:0x1:5 \
        --duration "00:00:00:$(printf %02d $((DURATION_S - 1)))" -o "$RUN_DIR/alloc-r$r-$script.nettrace" >/dev/null 2>&1 &
      probes+=("$!")
    fi
    if [[ -n "${PERF:-}" ]]; then
      timeout $((DURATION_S + 20)) perf record -F 999 -g -p "$(IFS=,; echo "${pids[*]}")" -o "$RUN_DIR/perf-r$r-$script.data" -- sleep $((DURATION_S - 1)) >/dev/null 2>&1 &
      probes+=("$!")
    fi
    out=$(timeout $((DURATION_S + 30)) wrk -t2 -c16 -d"${DURATION_S}s" --timeout 5s -s "bench/wrk/$script" "http://$HOST:${PORTS[0]}" -- $PRELOAD 2>&1) || true
    for probe in "${probes[@]}"; do wait "$probe" || true; done
    printf '%s\n' "$out" >"$RUN_DIR/wrk-r$r-$script.txt"
    bench=$(grep '^BENCH ' <<<"$out" | tail -1)
    requests=$(sed -E 's/.* requests=([0-9]+) .*/\1/' <<<"$bench"); rps=$(sed -E 's/.* rps=([0-9.]+) .*/\1/' <<<"$bench")
    line="R=$r ${script%.lua} $(printf '%.0f' "$rps") req/s |"
    total_cpu=0; total_items=0; total_bytes=0
    for pid in "${pids[@]}"; do
      read -r vol1 inv1 < <(switches "$pid")
      ticks=$(( $(cpu_ticks "$pid") - cpu0[$pid] )); total_cpu=$((total_cpu + ticks))
      line+=$(awk -v t="$ticks" -v n="$requests" -v v=$((vol1 - vol0[$pid])) -v i=$((inv1 - inv0[$pid])) \
        'BEGIN {printf " cpu %.0f us, switches %.2f + %.2f forced |", t * 1e6 / 100 / n, v / n, i / n}')
      f="$RUN_DIR/counters-r$r-$script-$pid.csv"
      if [[ -f "$f" ]]; then
        total_items=$(awk -v a="$total_items" -v b="$(counter_mean "$f" work_item)" 'BEGIN {print a + b}')
        total_bytes=$(awk -v a="$total_bytes" -v b="$(counter_mean "$f" total_allocated)" 'BEGIN {print a + b}')
      fi
    done
    line+=$(awk -v t="$total_cpu" -v n="$requests" 'BEGIN {printf " all nodes: cpu %.0f us/req", t * 1e6 / 100 / n}')
    [[ "$total_items" != 0 ]] && line+=$(awk -v w="$total_items" -v b="$total_bytes" -v r="$rps" 'BEGIN {printf ", %.1f work items/req, %.1f KB allocated/req", w / r, b / r / 1024}')
    echo "$line" | tee -a "$RUN_DIR/summary.txt"
    if [[ "${ALLOC:-0}" == 1 ]]; then
      dotnet "$BIN/tracereport/TraceReport.dll" alloc "$RUN_DIR/alloc-r$r-$script.nettrace" 12 | sed 's/^/    node A: /' | tee -a "$RUN_DIR/summary.txt"
    fi
  done
  cleanup
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores" | tee -a "$RUN_DIR/summary.txt"
