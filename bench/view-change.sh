#!/usr/bin/env bash
# ShardedKvs view-change benchmark: add a 4th node to a 3-node cluster holding KEYS keys (100-byte values),
# on loopback, with a client GET load running during the move.
#
#   bash bench/view-change.sh           KEYS=1000000
#   QUICK=1 bash bench/view-change.sh   KEYS=100000
#   JIT=1 bash bench/view-change.sh     the JIT's build, as `dotnet run` and the tests run it (default: the image's
#                                       Native AOT executable, deploy/image/publish.sh, what ships); NODE_BIN=<name>
#                                       a node already published in bench/bin/<name>
#
# Options (environment):
#   KEYS          keys loaded before the change (default 1000000; QUICK: 100000)
#   BATCH         Kvs__MigrationBatchSize given to every node (default: unset, the node's default of 1000)
#   LOAD_TIMEOUT  bound on loading the keys, seconds (default 900; QUICK: 300)
#   MOVE_TIMEOUT  bound on the view change (curl --max-time), seconds (default 600; QUICK: 300)
#   BASE_SECONDS  length of the baseline client-load window before the move (default 10; QUICK: 5)
#
# Reports: keys moved (the new node's key-count, checked against what A+B+C lost), the ideal KEYS/4,
# the change's seconds (curl time_total of PUT /kvs/view-change), keys/s, the nodes' VmRSS, and the
# client load (wrk -t2 -c16 GETs of random loaded keys, one thread on A and one on B) before vs during.
# Output: one markdown table on stdout and in bench/results/view-change-latest.md; wrk output, the
# change's answer and node logs in bench/results/vc-<timestamp>/.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

if [[ "${QUICK:-0}" == "1" ]]; then
  KEYS=${KEYS:-100000}; LOAD_TIMEOUT=${LOAD_TIMEOUT:-300}; MOVE_TIMEOUT=${MOVE_TIMEOUT:-300}; BASE_SECONDS=${BASE_SECONDS:-5}
fi
KEYS=${KEYS:-1000000}; LOAD_TIMEOUT=${LOAD_TIMEOUT:-900}; MOVE_TIMEOUT=${MOVE_TIMEOUT:-600}; BASE_SECONDS=${BASE_SECONDS:-10}
BATCH=${BATCH:-}
LOG_CAP=5000000
CLUSTER_KEY=${CLUSTER_KEY:-bench-cluster-key-0123456789abcdef0123456789}
HOST=127.0.0.1
P_A=15950; P_B=15951; P_C=15952; P_D=15953   # loopback ports 15950-15953
A=$HOST:$P_A; B=$HOST:$P_B; C=$HOST:$P_C; D=$HOST:$P_D
VIEW3="$A,$B,$C"; VIEW4="$A,$B,$C,$D"

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=$ROOT/bench/results
RUN_DIR=$OUT/vc-$STAMP
BIN=$ROOT/bench/bin
mkdir -p "$RUN_DIR" "$BIN"
START_TIME=$SECONDS
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

# shellcheck source=bench/lib/common.sh
source "$ROOT/bench/lib/common.sh"

# ---------------------------------------------------------------- tools
command -v wrk >/dev/null && command -v curl >/dev/null || {
  log "installing wrk curl (apt-get)"
  SUDO=$([[ $(id -u) == 0 ]] && echo "" || echo sudo)
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq wrk curl >/dev/null
}
command -v dotnet >/dev/null || die "dotnet SDK not found"

port_busy() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }
for p in $P_A $P_B $P_C $P_D; do port_busy "$p" && die "port $p is already in use on $HOST"; done

# ---------------------------------------------------------------- build (Release)
log "building Release (node, loader)"
publish() { dotnet publish "$1" -c Release -o "$2" --nologo -v q >"$RUN_DIR/build-$(basename "$2").log" 2>&1 \
  || { tail -30 "$RUN_DIR/build-$(basename "$2").log" >&2; die "build of $1 failed"; }; }
publish bench/Loader "$BIN/loader"
publish_node   # what ships (Native AOT) unless JIT=1 or NODE_BIN
NODE_DIR=$BIN/$NODE_BIN
NODE_PROGRAM=(./ShardedKvs.Node); [[ -f $NODE_DIR/ShardedKvs.Node.dll ]] && NODE_PROGRAM=(dotnet ShardedKvs.Node.dll)
loader() { dotnet "$BIN/loader/Loader.dll" "$@"; }

# ---------------------------------------------------------------- nodes
# start_node NAME PORT: the node from its own folder, bare, VIEW = A,B,C on every node (D included:
# it is outside that view and waits idle until a change adds it).
LAST_PID=
start_node() {
  local name=$1 port=$2 log=$RUN_DIR/$1.log
  local extra=(); [[ -n $BATCH ]] && extra+=("Kvs__MigrationBatchSize=$BATCH")
  (cd "$NODE_DIR" && exec env -u ASPNETCORE_URLS -u OTEL_EXPORTER_OTLP_ENDPOINT \
      -u ASPNETCORE_ENVIRONMENT -u DOTNET_ENVIRONMENT -u ASPNETCORE_HTTP_PORTS -u DOTNET_URLS \
      ADDRESS="$HOST:$port" VIEW="$VIEW3" CLUSTER_KEY="$CLUSTER_KEY" "${extra[@]}" "${NODE_PROGRAM[@]}" \
      > >(head -c "$LOG_CAP" >"$log"; rest=$(wc -c); printf '\n[bench] output bytes: %d (%d after the first %d dropped)\n' "$(( $(stat -c %s "$log") + rest ))" "$rest" "$LOG_CAP" >>"$log") 2>&1) &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
  log "started $name (pid $LAST_PID) on $HOST:$port"
}

# wait_state PORT PID REGEX: until GET /kvs/view's "state" matches (120 s bound).
wait_state() {
  local port=$1 pid=$2 want=$3 body=
  for _ in $(seq 1 1200); do
    kill -0 "$pid" 2>/dev/null || die "node on port $port (pid $pid) exited; see $RUN_DIR/*.log"
    body=$(curl -s --max-time 1 "http://$HOST:$port/kvs/view" || true)
    [[ $body =~ \"state\":\ *\"($want)\" ]] && return 0
    sleep 0.1
  done
  die "node on port $port not in state $want within 120 s; last /kvs/view: $body"
}

key_count() {   # key_count PORT -> N from GET /kvs/key-count ("?" when not available)
  local body
  body=$(curl -s --max-time 10 "http://$HOST:$1/kvs/key-count" 2>/dev/null || true)
  [[ $body =~ \"key-count\":\ *([0-9]+) ]] && echo "${BASH_REMATCH[1]}" || echo "?"
}
rss_mb() { awk '/^VmRSS:/ {printf "%.0f", $2/1024}' "/proc/$1/status" 2>/dev/null || echo "?"; }
is_num() { [[ $1 =~ ^[0-9]+$ ]]; }

start_node A $P_A; PID_A=$LAST_PID
start_node B $P_B; PID_B=$LAST_PID
start_node C $P_C; PID_C=$LAST_PID
start_node D $P_D; PID_D=$LAST_PID
NODE_PIDS=("$PID_A" "$PID_B" "$PID_C" "$PID_D")
wait_state $P_A "$PID_A" serving; wait_state $P_B "$PID_B" serving; wait_state $P_C "$PID_C" serving
wait_state $P_D "$PID_D" idle
log "A,B,C serving; D idle: $(curl -s --max-time 2 "http://$D/kvs/view")"

# ---------------------------------------------------------------- load KEYS keys through A, B and C
log "loading $KEYS keys (100-byte values): three loaders, one per node, 32 concurrent PUTs each, bound ${LOAD_TIMEOUT}s"
LOAD_T0=$(date +%s.%N)
third=$((KEYS / 3)); starts=(0 "$third" $((2 * third))); counts=("$third" "$third" $((KEYS - 2 * third)))
LOADER_PIDS=(); i=0
for port in $P_A $P_B $P_C; do
  loader load "http://$HOST:$port" "${counts[$i]}" "${starts[$i]}" 32 "$LOAD_TIMEOUT" 100 >"$RUN_DIR/load-$port.txt" 2>&1 &
  LOADER_PIDS+=($!); PIDS+=($!); i=$((i + 1))
done
LOAD_OK=1
for pid in "${LOADER_PIDS[@]}"; do wait "$pid" || LOAD_OK=0; done
LOAD_SECONDS=$(awk -v t0="$LOAD_T0" -v t1="$(date +%s.%N)" 'BEGIN { printf "%.1f", t1 - t0 }')
for port in $P_A $P_B $P_C; do log "  $(cat "$RUN_DIR/load-$port.txt")"; done
[[ $LOAD_OK == 1 ]] || log "WARNING: the load was incomplete (see above)"
BA=$(key_count $P_A); BB=$(key_count $P_B); BC=$(key_count $P_C); BD=$(key_count $P_D)
BEFORE_SUM=$((BA + BB + BC))
log "loaded in ${LOAD_SECONDS}s; key counts A=$BA B=$BB C=$BC (sum $BEFORE_SUM, expected $KEYS) D=$BD"
((BEFORE_SUM == KEYS)) || log "WARNING: the cluster holds $BEFORE_SUM keys, not $KEYS"
HELD=$BEFORE_SUM   # what the change has to redistribute

# ---------------------------------------------------------------- client load: baseline, then during the move
export TARGETS="$A,$B"
WRK=(wrk -t2 -c16 --timeout 5s --latency -s bench/wrk/spread.lua "http://$A")
log "warm-up: 2 s of the client load (unrecorded)"
timeout 30 "${WRK[@]}" -d2s -- "$KEYS" >/dev/null 2>&1 || true
RSS_BEFORE=(); for pid in "${NODE_PIDS[@]}"; do RSS_BEFORE+=("$(rss_mb "$pid")"); done
log "RSS MB before (A B C D): ${RSS_BEFORE[*]}"

log "baseline window: ${BASE_SECONDS} s of the client load before the move"
timeout $((BASE_SECONDS + 30)) "${WRK[@]}" -d"${BASE_SECONDS}s" -- "$KEYS" >"$RUN_DIR/wrk-before.txt" 2>&1 || true

# RSS sampler: every 0.5 s, peak per node, while the change runs.
( while :; do
    line=""; for pid in "${NODE_PIDS[@]}"; do line+="$(rss_mb "$pid") "; done
    echo "$line"; sleep 0.5
  done ) >"$RUN_DIR/rss-during.txt" 2>/dev/null &
SAMPLER=$!; PIDS+=("$SAMPLER")

# The during-move wrk runs far longer than the bound on the change and is stopped with SIGINT (wrk then
# prints its summary) as soon as the change answers, so it covers the move plus 0.5 s before the PUT.
timeout $((MOVE_TIMEOUT + 60)) "${WRK[@]}" -d"$((MOVE_TIMEOUT + 30))s" -- "$KEYS" >"$RUN_DIR/wrk-during.txt" 2>&1 &
WRK_TIMEOUT_PID=$!; PIDS+=("$WRK_TIMEOUT_PID")
sleep 0.5
log "PUT /kvs/view-change {\"view\":\"$VIEW4\"} to A (bound ${MOVE_TIMEOUT}s)"
MOVE_T0=$SECONDS
CURL_OUT=$(curl -s -o "$RUN_DIR/view-change-answer.json" -w '%{http_code} %{time_total}' --max-time "$MOVE_TIMEOUT" \
  -X PUT -H 'Content-Type: application/json' --data "{\"view\":\"$VIEW4\"}" "http://$A/kvs/view-change" || true)
WRK_PID=$(pgrep -P "$WRK_TIMEOUT_PID" -x wrk || true)
kill -INT "${WRK_PID:-$WRK_TIMEOUT_PID}" 2>/dev/null || true
wait "$WRK_TIMEOUT_PID" 2>/dev/null || true
kill "$SAMPLER" 2>/dev/null || true
read -r MOVE_CODE MOVE_SECONDS <<<"${CURL_OUT:-000 0}"
ANSWER=$(cat "$RUN_DIR/view-change-answer.json" 2>/dev/null || true)
log "view change answered HTTP $MOVE_CODE after ${MOVE_SECONDS}s (wall $((SECONDS - MOVE_T0)) s): ${ANSWER:0:400}"
RSS_AFTER=(); for pid in "${NODE_PIDS[@]}"; do RSS_AFTER+=("$(rss_mb "$pid")"); done
RSS_PEAK=($(awk '{for (i = 1; i <= NF; i++) if ($i + 0 > m[i]) m[i] = $i + 0} END {for (i = 1; i <= 4; i++) printf "%d ", m[i]}' "$RUN_DIR/rss-during.txt"))
log "RSS MB after (A B C D): ${RSS_AFTER[*]}; peak during the move: ${RSS_PEAK[*]}"

# Key counts from the answer's shards, cross-checked with GET /kvs/key-count.
shard() { jq -r --arg a "$1" '.shards[]? | select(.address == $a) | ."key-count"' <<<"$ANSWER" 2>/dev/null | head -1; }
SA=$(shard "$A"); SB=$(shard "$B"); SC=$(shard "$C"); SD=$(shard "$D")
QA=$(key_count $P_A); QB=$(key_count $P_B); QC=$(key_count $P_C); QD=$(key_count $P_D)
log "after: shards in the answer A=${SA:-?} B=${SB:-?} C=${SC:-?} D=${SD:-?}; GET /kvs/key-count A=$QA B=$QB C=$QC D=$QD"
for pid in "${NODE_PIDS[@]}"; do kill -0 "$pid" 2>/dev/null || log "WARNING: node pid $pid died"; done

# ---------------------------------------------------------------- report
wrk_field() { grep -h "^$1 " "$2" 2>/dev/null | tail -1 | tr ' ' '\n' | sed -n "s/^$3=//p"; }
wrk_row() {   # wrk_row LABEL FILE
  local f=$2
  if ! grep -q '^BENCH ' "$f" 2>/dev/null; then echo "| $1 | (wrk produced no result: see ${f#$ROOT/}) |||||||||"; return; fi
  awk -v label="$1" -v b="$(grep -h '^BENCH ' "$f" | tail -1)" -v d="$(grep -h '^DIST ' "$f" | tail -1)" 'BEGIN {
      n = split(b " " d, f, " "); for (i = 1; i <= n; i++) { split(f[i], kv, "="); v[kv[1]] = kv[2] }
      printf "| %s | %.1f | %d | %.0f | %.2f | %.2f | %.2f | %.2f | %.2f | %d | %d |\n", label, v["duration_us"] / 1e6, v["requests"], v["rps"],
        v["p50_us"] / 1000, v["p90_us"] / 1000, v["p99_us"] / 1000, v["p99.9_us"] / 1000, v["max_us"] / 1000,
        v["status_errors"], v["connect_errors"] + v["read_errors"] + v["write_errors"] + v["timeouts"] }'
}
MOVED=${SD:-$QD}
if is_num "$MOVED" && is_num "${SA:-}" && is_num "${SB:-}" && is_num "${SC:-}"; then
  LOST=$((HELD - SA - SB - SC))
  TOTAL_AFTER=$((SA + SB + SC + SD))
  CHECK=$([[ $LOST == "$MOVED" && $TOTAL_AFTER == "$HELD" ]] && echo "yes (A+B+C lost $LOST = D's $MOVED; total $TOTAL_AFTER)" \
    || echo "**NO**: A+B+C lost $LOST, D holds $MOVED, total after $TOTAL_AFTER vs $HELD before")
else
  CHECK="**no key counts in the answer** (HTTP $MOVE_CODE)"
fi
IDEAL=$((KEYS / 4))
RATE=$(awk -v m="${MOVED:-0}" -v s="$MOVE_SECONDS" 'BEGIN { if (s > 0 && m ~ /^[0-9]+$/) printf "%.0f", m / s; else print "?" }')
{
  echo "## ShardedKvs view change: 3 -> 4 nodes ($STAMP)"
  echo
  echo "- command: \`$([[ "${QUICK:-0}" == 1 ]] && echo "QUICK=1 ")$([[ -n $BATCH ]] && echo "BATCH=$BATCH ")bash bench/view-change.sh\` (KEYS=$KEYS, 100-byte values; node: bench/bin/$NODE_BIN, $([[ ${NODE_PROGRAM[0]} == dotnet ]] && echo JIT || echo "Native AOT"))"
  echo "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo ' (dirty)'); machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
  echo "- load average (1/5/15 min) at start: $LOAD_START, at end: $(cut -d' ' -f1-3 /proc/loadavg) (on $(nproc) cores; anything well above 0 means other work shared the machine)"
  echo "- load: $KEYS keys in ${LOAD_SECONDS} s ($(awk -v k="$BEFORE_SUM" -v s="$LOAD_SECONDS" 'BEGIN { printf "%.0f", k / s }') keys/s; three loaders x 32 concurrent PUTs, one per node)$([[ $LOAD_OK == 1 ]] || echo " **incomplete**"); held before: A=$BA B=$BB C=$BC (sum $BEFORE_SUM)"
  echo "- migration batch size: ${BATCH:-1000 (node default)}"
  echo
  echo "| view change | HTTP | seconds | keys moved | ideal K/(N+1) | moved / ideal | keys/s | counts after A / B / C / D | moved = A+B+C lost |"
  echo "|---|---:|---:|---:|---:|---:|---:|---|---|"
  echo "| A,B,C -> A,B,C,D (PUT to A) | $MOVE_CODE | $MOVE_SECONDS | ${MOVED:-?} | $IDEAL | $(awk -v m="${MOVED:-0}" -v i="$IDEAL" 'BEGIN { if (m ~ /^[0-9]+$/ && i > 0) printf "%.2f", m / i; else print "?" }') | $RATE | ${SA:-?} / ${SB:-?} / ${SC:-?} / ${SD:-?} | $CHECK |"
  echo
  echo "Client load: wrk -t2 -c16 GETs of random keys out of the $KEYS (thread 1 on A, thread 2 on B, 8 connections each), latencies in ms:"
  echo
  echo "| window | seconds | requests | req/s | p50 | p90 | p99 | p99.9 | max | HTTP >=400 | socket errors |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  wrk_row "before the move" "$RUN_DIR/wrk-before.txt"
  wrk_row "during the move" "$RUN_DIR/wrk-during.txt"
  echo
  echo "\"during\" starts 0.5 s before the PUT and stops (SIGINT) when the change answers."
  echo
  echo "| node | VmRSS MB before | peak during the move | after |"
  echo "|---|---:|---:|---:|"
  names=(A B C D)
  for i in 0 1 2 3; do echo "| ${names[$i]} | ${RSS_BEFORE[$i]} | ${RSS_PEAK[$i]:-?} | ${RSS_AFTER[$i]} |"; done
  [[ $MOVE_CODE == 200 ]] || { echo; echo "**The view change failed (HTTP $MOVE_CODE):** \`${ANSWER:0:600}\`"; }
  echo
  echo "Total time: $((SECONDS - START_TIME)) s. Raw output and node logs: ${RUN_DIR#$ROOT/}"
} | tee "$RUN_DIR/report.md" >"$OUT/view-change-latest.md"
cat "$OUT/view-change-latest.md"
