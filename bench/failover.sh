#!/usr/bin/env bash
# ShardedKvs failover and re-replication benchmark: five real node processes (R = 3, all five in the
# view) on loopback, KEYS preloaded 100-byte values, a client load (bench/Failover: CLIENTS callers,
# 90% GET / 10% PUT over HOT keys, sent to the survivors) while node B gets SIGKILL.
#
#   QUICK=1 bash bench/failover.sh    KEYS=100000, about a minute after the build
#   RATE=2000 bash bench/failover.sh  an open load: RATE requests/s leave on a fixed schedule, each on its own,
#                                     whether or not earlier ones answered (default 0: a closed loop of CLIENTS,
#                                     each sending as soon as its last answer came, the cluster flat out)
#   bash bench/failover.sh            KEYS=300000
#   FILL_RATE=100000 QUICK=1 bash bench/failover.sh  Kvs__FillKeysPerSecond per source (default 20000, the node's)
#   FILL_BATCH=250 QUICK=1 bash bench/failover.sh     Kvs__FillBatchKeys (default 1000, the node's)
#   NODE_ENV="DOTNET_gcServer=0" QUICK=1 bash bench/failover.sh   more environment for every node
#   JIT=1 QUICK=1 bash bench/failover.sh               nodes run by the .NET runtime and its JIT, as `dotnet run` and the
#                                                     tests run them (default: the image's Native AOT executable,
#                                                     deploy/image/publish.sh, which has no JIT)
#   READY_TO_RUN=1 QUICK=1 bash bench/failover.sh      nodes published ReadyToRun (JIT, with precompiled code to start from)
#   NODE_BIN=node-before QUICK=1 bash bench/failover.sh   run the node already published in bench/bin/node-before
#                                                     (e.g. another commit's, to compare two builds run by run)
#   WARMUP=1 bash bench/failover.sh   a first kill, fill and rejoin before the measured one (survivors that have filled before)
#   SLOW_MS=80 bash bench/failover.sh  also list the requests around the fill slower than that (node, key, owner)
#   COUNTERS=1 bash bench/failover.sh  the survivors' runtime counters every second (dotnet-counters, if installed)
#   JIT=1 JIT_MAP=1 NODE_ENV="DOTNET_PerfMapEnabled=3 DOTNET_PerfMapShowOptimizationTiers=1" bash bench/failover.sh
#                                     the survivors' JIT-compiled methods (perf maps, line counts every 100 ms)
#   JIT=1 JIT_TRACE=1 bash bench/failover.sh  every compile of the first survivor and its time (dotnet-trace, from
#                                     `dotnet tool install -g dotnet-trace`), read by bench/TraceReport (jit)
#   GC_TRACE=1 bash bench/failover.sh  every garbage-collector pause of each survivor, with its UTC time (dotnet-trace),
#                                     read by bench/TraceReport (gc) into gc-<port>.txt
#   PERF=1 CLIENTS=0 bash bench/failover.sh   perf profile of the survivors (perf.data; with JIT=1 add NODE_ENV="DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0")
#
# Reports: the exclusion time after the kill, each key's unavailability (longest, and how many keys were
# unavailable over 100 ms), the re-replication's keys/s (copies the survivors gained / time from the
# fill's start to the switch), and client p99 in the seconds before the kill vs during the fill (from its
# start, which the sources hold back a moment after a failover, to the switch), and from the exclusion
# to the fill's start.
# Output: stdout and bench/results/failover-latest.md; node logs in bench/results/failover-<timestamp>/.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
if [[ "${QUICK:-0}" == "1" ]]; then KEYS=${KEYS:-100000}; fi
KEYS=${KEYS:-300000}; HOT=${HOT:-500}; CLIENTS=${CLIENTS:-16}; RATE=${RATE:-0}; FILL_RATE=${FILL_RATE:-20000}; FILL_BATCH=${FILL_BATCH:-1000}
BEFORE_S=${BEFORE_S:-8}; AFTER_S=${AFTER_S:-3}; LIMIT_S=${LIMIT_S:-90}; LOAD_TIMEOUT=${LOAD_TIMEOUT:-120}
CLUSTER_KEY=${CLUSTER_KEY:-bench-cluster-key-0123456789abcdef0123456789}
HOST=127.0.0.1
PORTS=(16470 16471 16472 16473 16474)   # loopback ports 16470-16474
VIEW=$(printf "$HOST:%s," "${PORTS[@]}"); VIEW=${VIEW%,}
VICTIM=1
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=$ROOT/bench/results
RUN_DIR=$OUT/failover-$STAMP
BIN=$ROOT/bench/bin
mkdir -p "$RUN_DIR" "$BIN"
START_TIME=$SECONDS
# shellcheck source=bench/lib/common.sh
source "$ROOT/bench/lib/common.sh"
require_free_ports "${PORTS[@]}"
read -r -a EXTRA_ENV <<<"${NODE_ENV:-}"

log "building Release (node, loader, failover client)"
publish_to_bin bench/Loader loader
publish_to_bin bench/Failover failover
if [[ -z "${NODE_BIN:-}" && "${READY_TO_RUN:-0}" == "1" ]]; then
  NODE_BIN=node-r2r
  publish_to_bin ShardedKvs.Node "$NODE_BIN" --use-current-runtime --self-contained false -p:PublishReadyToRun=true
else
  publish_node   # what ships (Native AOT) unless JIT=1 or NODE_BIN
fi

log "starting 5 nodes, R=3"
for port in "${PORTS[@]}"; do
  start_node "$port" "$RUN_DIR/node-$port.log" Kvs__ReplicationFactor=3 Kvs__FillKeysPerSecond="$FILL_RATE" Kvs__FillBatchKeys="$FILL_BATCH" "${EXTRA_ENV[@]}"
done
wait_until_serving "${PORTS[@]}"

log "preloading $KEYS keys"
per=$((KEYS / 5)); LOADERS=()
for i in 0 1 2 3 4; do
  dotnet "$BIN/loader/Loader.dll" load "http://$HOST:${PORTS[$i]}" "$per" $((i * per)) 16 "$LOAD_TIMEOUT" 100 >"$RUN_DIR/preload-$i.txt" 2>&1 &
  LOADERS+=("$!")
done
for pid in "${LOADERS[@]}"; do wait "$pid" || log "WARNING: a preload was incomplete (see $RUN_DIR/preload-*.txt)"; done
cat "$RUN_DIR"/preload-*.txt >&2

# views_all PORT... -- JQ: true when every listed node's GET /kvs/view satisfies the jq condition.
views_all() {
  local port ports=()
  while [[ $1 != "--" ]]; do ports+=("$1"); shift; done
  shift
  for port in "${ports[@]}"; do
    curl -s --max-time 1 "http://$HOST:$port/kvs/view" | jq -e "$1" >/dev/null 2>&1 || return 1
  done
}
# wait_for TIMEOUT_S WHAT PORT... -- JQ: polls views_all every 100 ms until it holds.
wait_for() {
  local limit=$1 what=$2
  shift 2
  for _ in $(seq 1 $((limit * 10))); do views_all "$@" && return 0; sleep 0.1; done
  die "waited ${limit}s for $what"
}
if [[ "${WARMUP:-0}" == "1" ]]; then
  # A first failover and rejoin, so the measured one runs on survivors that have filled before: their
  # JIT has compiled the failover's and the fill's code (a process's first fill spends about half its
  # CPU compiling), as in a cluster that has run for a while.
  command -v jq >/dev/null || die "WARMUP=1 needs jq (apt-get install jq)"
  SURVIVOR_PORTS=(); for i in "${!PORTS[@]}"; do [[ $i == "$VICTIM" ]] || SURVIVOR_PORTS+=("${PORTS[$i]}"); done
  log "warm-up: SIGKILL of node $((VICTIM + 1)), its exclusion and fill, its restart and rejoin"
  kill -9 "${PIDS[$VICTIM]}"; wait "${PIDS[$VICTIM]}" 2>/dev/null || true
  VICTIM_ADDRESS="$HOST:${PORTS[$VICTIM]}"
  wait_for "$LIMIT_S" "the warm-up exclusion and fill" "${SURVIVOR_PORTS[@]}" -- \
    "(.members[] | select(.address == \"$VICTIM_ADDRESS\") | .state) == \"excluded\" and .fill == null"
  start_node "${PORTS[$VICTIM]}" "$RUN_DIR/node-${PORTS[$VICTIM]}-restarted.log" Kvs__ReplicationFactor=3 Kvs__FillKeysPerSecond="$FILL_RATE" Kvs__FillBatchKeys="$FILL_BATCH" "${EXTRA_ENV[@]}"
  PIDS[VICTIM]=${PIDS[-1]}; unset 'PIDS[-1]'
  wait_for "$LIMIT_S" "the restarted node's rejoin and fill" "${PORTS[@]}" -- \
    '([.members[] | select(.state != "serving")] | length) == 0 and (.members | length) == 5 and .fill == null'
  log "warm-up done: all five serving again"
fi

log "load, SIGKILL of node $((VICTIM + 1)) (${PORTS[$VICTIM]}) after ${BEFORE_S}s"
survivors_cpu_ticks() { local pid total=0; for i in "${!PIDS[@]}"; do [[ $i == "$VICTIM" ]] || total=$((total + $(awk '{print $14 + $15}' "/proc/${PIDS[$i]}/stat"))); done; echo "$total"; }
CPU_BEFORE=$(survivors_cpu_ticks)
if [[ "${PERF:-0}" == "1" ]]; then   # PERF=1 (with NODE_ENV as above): a profile of the survivors while the client runs
  SURVIVOR_PIDS=$(for i in "${!PIDS[@]}"; do [[ $i == "$VICTIM" ]] || printf "%s," "${PIDS[$i]}"; done)
  perf record -F 999 -g -p "${SURVIVOR_PIDS%,}" -o "$RUN_DIR/perf.data" -- sleep $((BEFORE_S + 10)) >"$RUN_DIR/perf.log" 2>&1 &
  # What each survivor had compiled when the load started: later lines of /tmp/perf-PID.map are what
  # the JIT compiled during the run (DOTNET_PerfMapEnabled=1).
  for pid in ${SURVIVOR_PIDS//,/ }; do echo "$pid $(wc -l <"/tmp/perf-$pid.map" 2>/dev/null || echo 0)"; done >"$RUN_DIR/perf-map-lines.txt"
fi
if [[ "${COUNTERS:-0}" == "1" ]]; then   # COUNTERS=1: each survivor's runtime counters, every second (dotnet-counters)
  for i in "${!PIDS[@]}"; do
    [[ $i == "$VICTIM" ]] && continue
    timeout $((BEFORE_S + 20)) ~/.dotnet/tools/dotnet-counters collect -p "${PIDS[$i]}" --refresh-interval 1 --counters System.Runtime \
      --format csv -o "$RUN_DIR/counters-${PORTS[$i]}.csv" >/dev/null 2>&1 &
  done
fi
# trace_node PID PROVIDERS NAME: dotnet-trace of one node from now until 15 s after the kill, into
# $RUN_DIR/NAME.nettrace (its log NAME-trace.log), in the background.
trace_node() {
  local pid=$1 providers=$2 name=$3 seconds=$((BEFORE_S + 15))
  timeout $((BEFORE_S + 40)) ~/.dotnet/tools/dotnet-trace collect -p "$pid" --providers "$providers" \
    --duration "$(printf "00:00:%02d:%02d" $((seconds / 60)) $((seconds % 60)))" -o "$RUN_DIR/$name.nettrace" >"$RUN_DIR/$name-trace.log" 2>&1 &
}
if [[ "${JIT_TRACE:-0}" == "1" ]]; then   # JIT_TRACE=1: each compile of the first survivor, with its time, and its exceptions (dotnet-trace; `bench/TraceReport jit` reads it)
  trace_node "${PIDS[0]}" Microsoft-Windows-DotNETRuntime:0x8010:5 "jit-${PORTS[0]}"
fi
GC_TRACERS=()
if [[ "${GC_TRACE:-0}" == "1" ]]; then   # GC_TRACE=1: each survivor's collector pauses (dotnet-trace; `bench/TraceReport gc` reads them)
  publish_to_bin bench/TraceReport tracereport
  for i in "${!PIDS[@]}"; do
    [[ $i == "$VICTIM" ]] && continue
    trace_node "${PIDS[$i]}" Microsoft-Windows-DotNETRuntime:0x1:4 "gc-${PORTS[$i]}"
    GC_TRACERS+=($!)
  done
fi
if [[ "${JIT_MAP:-0}" == "1" ]]; then   # JIT_MAP=1: what each survivor's JIT compiles before the kill and after it
  JIT_PIDS=$(for i in "${!PIDS[@]}"; do [[ $i == "$VICTIM" ]] || printf "%s " "${PIDS[$i]}"; done)
  jit_lines() { for pid in $JIT_PIDS; do echo "$pid $(wc -l <"/tmp/perf-$pid.map" 2>/dev/null || echo 0)"; done; }
  # Every 100 ms, UTC time and each survivor's line count: the methods compiled between two times (the
  # kill, the exclusion, the switch in failover.txt) are the lines between the counts then.
  (end=$((SECONDS + BEFORE_S + 20)); while ((SECONDS < end)); do echo "$(date -u +%H:%M:%S.%N | cut -c1-12) $(jit_lines | tr '\n' ' ')"; sleep 0.1; done) >"$RUN_DIR/jit-map-lines.txt" &
fi
timeout $((LIMIT_S + 30)) dotnet "$BIN/failover/Failover.dll" "$VIEW" "$VICTIM" "${PIDS[$VICTIM]}" "$HOT" "$CLIENTS" "$BEFORE_S" "$AFTER_S" "$LIMIT_S" "$RATE" \
  | tee "$RUN_DIR/failover.txt"
if [[ "${JIT_MAP:-0}" == "1" ]]; then
  for pid in $JIT_PIDS; do cp "/tmp/perf-$pid.map" "$RUN_DIR/perf-$pid.map" 2>/dev/null || true; done
fi
CPU_SECONDS=$(awk -v t=$(( $(survivors_cpu_ticks) - CPU_BEFORE )) -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.2f", t / hz}')
echo "CPU survivors_s=$CPU_SECONDS (the four survivors' CPU time while the client ran)" | tee -a "$RUN_DIR/failover.txt"
if ((${#GC_TRACERS[@]} > 0)); then
  for pid in "${GC_TRACERS[@]}"; do wait "$pid" || true; done
  for trace in "$RUN_DIR"/gc-*.nettrace; do
    dotnet "$BIN/tracereport/TraceReport.dll" gc "$trace" >"${trace%.nettrace}.txt" 2>&1 || true
    echo "GC ${trace##*/}: $(head -1 "${trace%.nettrace}.txt")" | tee -a "$RUN_DIR/failover.txt"
  done
fi
grep -h "copied .* keys to learners\|Took over the keys" "$RUN_DIR"/node-*.log | sed 's/^/    /' >"$RUN_DIR/fill-and-takeovers.txt" || true

field() { grep "^$1 " "$RUN_DIR/failover.txt" | tr ' ' '\n' | awk -F= -v k="$2" '$1==k {print $2}'; }
{
  echo "# Failover: 5 nodes, R=3, SIGKILL of one ($STAMP, KEYS=$KEYS, HOT=$HOT, CLIENTS=$CLIENTS, $( ((RATE > 0)) && echo "open load of RATE=$RATE req/s" || echo "closed loop"), FILL_RATE=$FILL_RATE per source, FILL_BATCH=$FILL_BATCH${NODE_ENV:+, NODE_ENV=$NODE_ENV}${NODE_BIN:+, NODE_BIN=$NODE_BIN}${READY_TO_RUN:+, READY_TO_RUN=$READY_TO_RUN}${WARMUP:+, WARMUP=$WARMUP})"
  echo
  echo "| figure | value |"
  echo "|---|---|"
  echo "| exclusion after the kill | $(field EXCLUSION after_kill_ms) ms |"
  echo "| longest unavailability of a key (killed primary's keys) | $(field UNAVAILABLE longest_ms) ms |"
  echo "| keys unavailable > 100 ms / killed primary's hot keys | $(field UNAVAILABLE keys_over_100ms) / $(field UNAVAILABLE victim_keys) (median $(field UNAVAILABLE median_of_those_ms) ms) |"
  echo "| longest wait on any other key: GET / PUT | $(field UNAVAILABLE_OTHER_KEYS get_longest_ms) / $(field UNAVAILABLE_OTHER_KEYS put_longest_ms) ms |"
  echo "| re-replication (from its start, $(field FILL started_after_exclusion_ms) ms after the exclusion, to the switch) | $(field FILL copies_added) copies in $(field FILL seconds) s = $(field FILL keys_per_s) keys/s |"
  echo "| client p99 before / during the fill / after it | $(field P99 before_ms) / $(field P99 during_fill_ms) / $(field P99 after_fill_ms) ms (during/before $(field P99 ratio)x; keys of live primaries only: $(field P99 during_fill_other_keys_ms) ms, $(field P99 ratio_other_keys)x) |"
  echo "| client p99 from the exclusion to the fill's start (the held requests answered, the takeovers) | $(field P99 exclusion_to_fill_ms) ms |"
  echo "| requests (failed) | $(field OPS total) ($(field OPS failed)) |"
  echo
  grep '^FAILED ' "$RUN_DIR/failover.txt" | sed 's/^FAILED /- failed: /' || true
  echo "- load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
} | tee "$OUT/failover-latest.md"
