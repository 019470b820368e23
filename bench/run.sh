#!/usr/bin/env bash
# ShardedKvs benchmark: the node against a plain ASP.NET Core baseline, in ONE run, on loopback.
#
#   bash bench/run.sh                 full run  (DURATION=15s, RUNS=3; ~15 minutes)
#   QUICK=1 bash bench/run.sh         smoke run (DURATION=3s,  RUNS=1; ~3 minutes)
#
# Options (environment):
#   DURATION   wrk duration per measurement (default 15s; QUICK: 3s)
#   RUNS       repetitions; the table shows the median (default 3; QUICK: 1)
#   MEM_KEYS   keys loaded for the memory figures (default 1000000; QUICK: 250000)
#   SKIP_MEM=1 skip the memory phase; SKIP_LOAD=1 skip the throughput phase
#   ONLY       run only the cases whose name matches this regex (e.g. ONLY='baseline-get|node3-' ;
#              a case whose baseline did not run shows no ratio)
#   NODE_DLL   run this dll in place of the node (harness self-test only: e.g. the baseline's dll)
#
# Output: one markdown table on stdout and in bench/results/latest.md; raw wrk lines and server logs in
# bench/results/run-<timestamp>/.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

if [[ "${QUICK:-0}" == "1" ]]; then
  DURATION=${DURATION:-3s}; RUNS=${RUNS:-1}; MEM_KEYS=${MEM_KEYS:-250000}
fi
DURATION=${DURATION:-15s}; RUNS=${RUNS:-3}; MEM_KEYS=${MEM_KEYS:-1000000}
[[ "$DURATION" =~ ^[0-9]+$ ]] && DURATION="${DURATION}s"
DURATION_S=${DURATION%s}
WARMUP=$([[ "${QUICK:-0}" == "1" ]] && echo 1s || echo 3s)
THREADS=2
LOG_CAP=5000000
CONNS=(16 64)
PRELOAD=10000
CLUSTER_KEY=${CLUSTER_KEY:-bench-cluster-key-0123456789abcdef0123456789}

# Loopback ports (all in 15800-15899).
P_BASE=15800          # baseline
P_NODE1=15810         # one node, VIEW=itself
P_C1=15820; P_C2=15821; P_C3=15822   # 3-node cluster; wrk hits P_C1
P_OTEL=15830          # one node exporting OTLP to a closed port
P_MEM_NODE=15840; P_MEM_BASE=15841; P_MEM_REDIS=15850
P_CLOSED=15899        # nothing listens here: the OTLP endpoint of the telemetry configuration
HOST=127.0.0.1

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=$ROOT/bench/results
RUN_DIR=$OUT/run-$STAMP
BIN=$ROOT/bench/bin
mkdir -p "$RUN_DIR" "$BIN"
RAW=$RUN_DIR/raw.txt
: >"$RAW"
START_TIME=$SECONDS
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

# shellcheck source=bench/lib/common.sh
source "$ROOT/bench/lib/common.sh"

stop_pid() {   # stop one server we started and forget it
  local pid=$1 rest=() p
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  for p in "${PIDS[@]}"; do [[ $p != "$pid" ]] && rest+=("$p"); done
  PIDS=("${rest[@]}")
}

# ---------------------------------------------------------------- tools
need_pkgs=()
command -v wrk >/dev/null || need_pkgs+=(wrk)
command -v redis-server >/dev/null || need_pkgs+=(redis-server)
command -v redis-cli >/dev/null || need_pkgs+=(redis-tools)
command -v curl >/dev/null || need_pkgs+=(curl)
if ((${#need_pkgs[@]})); then
  log "installing ${need_pkgs[*]} (apt-get)"
  SUDO=$([[ $(id -u) == 0 ]] && echo "" || echo sudo)
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi
command -v dotnet >/dev/null || die "dotnet SDK not found"

port_busy() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }
for p in $P_BASE $P_NODE1 $P_C1 $P_C2 $P_C3 $P_OTEL $P_MEM_NODE $P_MEM_BASE $P_MEM_REDIS $P_CLOSED; do
  port_busy "$p" && die "port $p is already in use on $HOST"
done

# ---------------------------------------------------------------- build (Release)
log "building Release (baseline, loader$([[ -z "${NODE_DLL:-}" ]] && echo ", node"))"
publish() { dotnet publish "$1" -c Release -o "$2" --nologo -v q >"$RUN_DIR/build-$(basename "$2").log" 2>&1 \
  || { tail -30 "$RUN_DIR/build-$(basename "$2").log" >&2; die "build of $1 failed"; }; }
publish bench/Baseline "$BIN/baseline"
publish bench/Loader "$BIN/loader"
if [[ -n "${NODE_DLL:-}" ]]; then
  NODE_DLL=$(readlink -f "$NODE_DLL")
  log "WARNING: NODE_DLL=$NODE_DLL stands in for the node (harness self-test; numbers are not the node's)"
  FAKE_NODE=1
else
  publish ShardedKvs.Node "$BIN/node"
  NODE_DLL=$BIN/node/ShardedKvs.Node.dll
  FAKE_NODE=0
fi
BASE_DLL=$BIN/baseline/Baseline.dll
loader() { dotnet "$BIN/loader/Loader.dll" "$@"; }

# ---------------------------------------------------------------- servers
# start_dll NAME DLL PORT [ENV=VALUE ...]: runs the dll from its own folder (its appsettings.json is the
# content root's), bare: no ASPNETCORE_URLS, no OTEL endpoint unless given, Production environment.
LAST_PID=
start_dll() {
  local name=$1 dll=$2 port=$3; shift 3
  local log=$RUN_DIR/$name.log
  # Console output is kept up to LOG_CAP bytes (a server that logs every request writes gigabytes in a
  # full run); the rest is counted and dropped, and the total is reported.
  (cd "$(dirname "$dll")" && exec env -u ASPNETCORE_URLS -u OTEL_EXPORTER_OTLP_ENDPOINT \
      -u ASPNETCORE_ENVIRONMENT -u DOTNET_ENVIRONMENT -u ASPNETCORE_HTTP_PORTS -u DOTNET_URLS \
      ADDRESS="$HOST:$port" PORT="$port" "$@" dotnet "$(basename "$dll")" \
      > >(head -c "$LOG_CAP" >"$log"; rest=$(wc -c); printf '\n[bench] output bytes: %d (%d after the first %d dropped)\n' "$(( $(stat -c %s "$log") + rest ))" "$rest" "$LOG_CAP" >>"$log") 2>&1) &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
  log "started $name (pid $LAST_PID) on $HOST:$port"
}

start_node() {   # start_node NAME PORT VIEW [ENV=VALUE ...]
  local name=$1 port=$2 view=$3; shift 3
  start_dll "$name" "$NODE_DLL" "$port" VIEW="$view" CLUSTER_KEY="$CLUSTER_KEY" "$@"
}

# wait_http PORT PID: until the server answers HTTP at all (60 s bound).
wait_http() {
  local port=$1 pid=$2
  for _ in $(seq 1 600); do
    kill -0 "$pid" 2>/dev/null || die "server on port $port (pid $pid) exited; see $RUN_DIR/*.log"
    curl -s -o /dev/null --max-time 1 "http://$HOST:$port/" && return 0
    sleep 0.1
  done
  die "server on port $port did not answer within 60 s"
}

# wait_serving PORT PID: until GET /kvs/view says "state":"serving" (60 s bound).
wait_serving() {
  local port=$1 pid=$2 body=
  if [[ $FAKE_NODE == 1 ]]; then wait_http "$port" "$pid"; return; fi
  for _ in $(seq 1 600); do
    kill -0 "$pid" 2>/dev/null || die "node on port $port (pid $pid) exited; see $RUN_DIR/*.log"
    body=$(curl -s --max-time 1 "http://$HOST:$port/kvs/view" || true)
    [[ $body =~ \"state\":\ *\"serving\" ]] && return 0
    sleep 0.1
  done
  die "node on port $port not serving within 60 s; last /kvs/view: $body"
}

key_count() {   # key_count PORT -> N from GET /kvs/key-count ("?" when not available)
  local body
  body=$(curl -s --max-time 5 "http://$HOST:$1/kvs/key-count" 2>/dev/null || true)
  [[ $body =~ \"key-count\":\ *([0-9]+) ]] && echo "${BASH_REMATCH[1]}" || echo "?"
}

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# settle PID: wait until VmRSS stops changing (3 samples 1 s apart within 256 kB), bounded; prints kB.
settle() {
  local pid=$1 prev cur stable=0 max=$([[ "${QUICK:-0}" == "1" ]] && echo 10 || echo 30)
  prev=$(rss_kb "$pid")
  for _ in $(seq 1 "$max"); do
    sleep 1
    cur=$(rss_kb "$pid")
    if (( cur - prev < 256 && prev - cur < 256 )); then
      stable=$((stable + 1)); ((stable >= 3)) && break
    else
      stable=0
    fi
    prev=$cur
  done
  echo "$cur"
}

# ---------------------------------------------------------------- wrk
# bench CASE CONNS REP PORT SCRIPT [SCRIPT ARGS]: one bounded wrk run; appends one line to $RAW.
bench() {
  local name=$1 conns=$2 rep=$3 port=$4 script=$5; shift 5
  local out line
  out=$(timeout $((DURATION_S + 30)) wrk -t$THREADS -c"$conns" -d"$DURATION" --timeout 5s \
        -s "bench/wrk/$script" "http://$HOST:$port" -- "$@" 2>&1) || true
  printf '%s\n' "$out" >>"$RUN_DIR/wrk-$name-c$conns-r$rep.txt"
  line=$(grep '^BENCH ' <<<"$out" | tail -1 || true)
  if [[ -z $line ]]; then
    log "  $name c=$conns rep=$rep: wrk produced no result (see $RUN_DIR/wrk-$name-c$conns-r$rep.txt)"
    line="BENCH requests=0 duration_us=1 rps=0 p50_us=0 p90_us=0 p99_us=0 max_us=0 status_errors=0 connect_errors=0 read_errors=0 write_errors=0 timeouts=0 failed_run=1"
  fi
  echo "case=$name conns=$conns rep=$rep ${line#BENCH }" >>"$RAW"
  log "  $name c=$conns rep=$rep: $(awk '{for(i=1;i<=NF;i++){split($i,a,"="); v[a[1]]=a[2]} \
      printf "%.0f req/s p50 %.2f ms p99 %.2f ms http>=400 %d socket %d", v["rps"], v["p50_us"]/1000, v["p99_us"]/1000, \
      v["status_errors"], v["connect_errors"]+v["read_errors"]+v["write_errors"]+v["timeouts"]}' <<<"$line")"
}

warm() {   # warm PORT SCRIPT [ARGS]: a short unrecorded run (JIT, connection pools, tiered compilation)
  local port=$1 script=$2; shift 2
  timeout 40 wrk -t$THREADS -c64 -d"$WARMUP" -s "bench/wrk/$script" "http://$HOST:$port" -- "$@" >/dev/null 2>&1 || true
}

# ================================================================ throughput phase
declare -A CASE_PORT CASE_SCRIPT CASE_ARG CASE_BASE CASE_CONNS
CASES=()
add_case() {   # add_case NAME PORT SCRIPT ARG BASELINE_CASE CONNS...
  local name=$1
  [[ -n "${ONLY:-}" && ! $name =~ $ONLY ]] && return 0
  CASE_PORT[$name]=$2; CASE_SCRIPT[$name]=$3; CASE_ARG[$name]=$4; CASE_BASE[$name]=$5
  shift 5; CASE_CONNS[$name]="$*"; CASES+=("$name")
}

if [[ "${SKIP_LOAD:-0}" != "1" ]]; then
  log "throughput phase: DURATION=$DURATION RUNS=$RUNS, wrk -t$THREADS -c{${CONNS[*]}}"
  start_dll baseline "$BASE_DLL" $P_BASE; PID_BASE=$LAST_PID
  start_node node1 $P_NODE1 "$HOST:$P_NODE1"; PID_NODE1=$LAST_PID
  VIEW3="$HOST:$P_C1,$HOST:$P_C2,$HOST:$P_C3"
  start_node node3a $P_C1 "$VIEW3"; PID_C1=$LAST_PID
  start_node node3b $P_C2 "$VIEW3"; PID_C2=$LAST_PID
  start_node node3c $P_C3 "$VIEW3"; PID_C3=$LAST_PID
  port_busy $P_CLOSED && die "port $P_CLOSED must stay closed for the telemetry configuration"
  start_node node1-otel $P_OTEL "$HOST:$P_OTEL" OTEL_EXPORTER_OTLP_ENDPOINT="http://$HOST:$P_CLOSED"; PID_OTEL=$LAST_PID

  wait_http $P_BASE "$PID_BASE"
  wait_serving $P_NODE1 "$PID_NODE1"
  wait_serving $P_C1 "$PID_C1"; wait_serving $P_C2 "$PID_C2"; wait_serving $P_C3 "$PID_C3"
  wait_serving $P_OTEL "$PID_OTEL"
  log "all servers ready; preloading $PRELOAD keys (100-byte values) into each target"

  for port in $P_BASE $P_NODE1 $P_C1 $P_OTEL; do
    # A failed preload is reported, not fatal: the GETs that then fail show up in the error columns.
    loader load "http://$HOST:$port" $PRELOAD 0 32 120 100 >&2 || log "WARNING: preload into port $port incomplete"
  done
  if [[ $FAKE_NODE == 0 ]]; then
    n1=$(key_count $P_NODE1); ca=$(key_count $P_C1); cb=$(key_count $P_C2); cc=$(key_count $P_C3)
    log "key counts: node1=$n1 cluster=$ca+$cb+$cc otel-node=$(key_count $P_OTEL)"
    [[ $ca =~ ^[0-9]+$ && $cb =~ ^[0-9]+$ && $cc =~ ^[0-9]+$ ]] && (( ca + cb + cc != PRELOAD )) \
      && log "WARNING: cluster holds $((ca + cb + cc)) keys, expected $PRELOAD"
  fi

  # Which keys does the node wrk hits own? A GET answered without "address" was served locally.
  loader owners "http://$HOST:$P_C1" $PRELOAD "$RUN_DIR/keys-direct.txt" "$RUN_DIR/keys-forwarded.txt" >&2 \
    || log "WARNING: some GETs failed while sorting keys by owner"

  add_case baseline-get     $P_BASE  get.lua  $PRELOAD "" "${CONNS[@]}"
  add_case baseline-mix     $P_BASE  mix.lua  $PRELOAD "" "${CONNS[@]}"
  add_case node1-get        $P_NODE1 get.lua  $PRELOAD baseline-get "${CONNS[@]}"
  add_case node1-mix        $P_NODE1 mix.lua  $PRELOAD baseline-mix "${CONNS[@]}"
  for kind in direct forwarded; do
    if [[ -s "$RUN_DIR/keys-$kind.txt" ]]; then
      add_case "node3-$kind-get" $P_C1 keys.lua "$RUN_DIR/keys-$kind.txt" baseline-get "${CONNS[@]}"
    else
      log "WARNING: no $kind keys for $HOST:$P_C1: case node3-$kind-get skipped"
    fi
  done
  add_case node3-mix        $P_C1    mix.lua  $PRELOAD baseline-mix "${CONNS[@]}"
  add_case node1-otel-get   $P_OTEL  get.lua  $PRELOAD baseline-get 64
  add_case node1-otel-mix   $P_OTEL  mix.lua  $PRELOAD baseline-mix 64

  log "warm-up ($WARMUP per case, unrecorded)"
  for c in "${CASES[@]}"; do warm "${CASE_PORT[$c]}" "${CASE_SCRIPT[$c]}" "${CASE_ARG[$c]}"; done

  # One repetition runs every case at every connection count, baseline and node interleaved;
  # odd repetitions go forward through the list, even ones backward, so drift hits both sides.
  for rep in $(seq 1 "$RUNS"); do
    order=("${CASES[@]}")
    if ((rep % 2 == 0)); then
      order=(); for ((i = ${#CASES[@]} - 1; i >= 0; i--)); do order+=("${CASES[$i]}"); done
    fi
    for conns in "${CONNS[@]}"; do
      for c in "${order[@]}"; do
        [[ " ${CASE_CONNS[$c]} " == *" $conns "* ]] || continue
        bench "$c" "$conns" "$rep" "${CASE_PORT[$c]}" "${CASE_SCRIPT[$c]}" "${CASE_ARG[$c]}"
      done
    done
  done
  if [[ $FAKE_NODE == 0 ]]; then
    log "key counts after the runs: node1=$(key_count $P_NODE1) cluster=$(key_count $P_C1)+$(key_count $P_C2)+$(key_count $P_C3)"
  fi
  # Did the telemetry configuration load an OTLP exporter at all? (.NET maps the assemblies it loads.)
  OTLP_LOADED=$(grep -q 'OpenTelemetry.Exporter.OpenTelemetryProtocol.dll' "/proc/$PID_OTEL/maps" 2>/dev/null && echo yes || echo no)
  log "OTLP exporter assembly loaded in node1-otel: $OTLP_LOADED"
  for pid in "$PID_BASE" "$PID_NODE1" "$PID_C1" "$PID_C2" "$PID_C3" "$PID_OTEL"; do
    kill -0 "$pid" 2>/dev/null || log "WARNING: server pid $pid died during the runs"
  done
  cleanup
fi

# ================================================================ memory phase
MEM_LINES=()
mem_http() {   # mem_http NAME DLL PORT IS_NODE
  local name=$1 dll=$2 port=$3 is_node=$4 pid empty loaded count out
  if [[ $is_node == 1 ]]; then
    start_node "$name" "$port" "$HOST:$port"; pid=$LAST_PID; wait_serving "$port" "$pid"
  else
    start_dll "$name" "$dll" "$port"; pid=$LAST_PID; wait_http "$port" "$pid"
  fi
  # Warm the GET and PUT paths on key-0..key-99 (the load overwrites them) so JIT'd code is on both sides.
  timeout 20 wrk -t1 -c8 -d1s -s bench/wrk/mix.lua "http://$HOST:$port" -- 100 >/dev/null 2>&1 || true
  empty=$(settle "$pid")
  log "$name: empty RSS $empty kB; loading $MEM_KEYS keys"
  out=$(loader load "http://$HOST:$port" "$MEM_KEYS" 0 64 300 100) || log "WARNING: $name load incomplete"
  log "$out"
  loaded=$(settle "$pid")
  # Keys held: the node's own key-count; for the baseline (no such endpoint) the acknowledged PUTs.
  if [[ $is_node == 1 && $FAKE_NODE == 0 ]]; then count=$(key_count "$port")
  else count=$(grep -o ' ok=[0-9]*' <<<"$out" | cut -d= -f2); fi
  log "$name: loaded RSS $loaded kB, key-count $count"
  MEM_LINES+=("$(awk -v n="$name" -v e="$empty" -v l="$loaded" -v k="$MEM_KEYS" -v c="$count" \
    'BEGIN { printf "| %s | %d | %.1f | %.1f | %.0f |", n, c, e/1024, l/1024, (l-e)*1024/k }')")
  stop_pid "$pid"
}

if [[ "${SKIP_MEM:-0}" != "1" ]]; then
  log "memory phase: $MEM_KEYS keys with 100-byte values, one process at a time"
  mem_http node "$NODE_DLL" $P_MEM_NODE 1
  mem_http baseline "$BASE_DLL" $P_MEM_BASE 0

  redis-server --port $P_MEM_REDIS --bind $HOST --save "" --appendonly no --daemonize no \
    >"$RUN_DIR/redis.log" 2>&1 &
  PID_REDIS=$!; PIDS+=("$PID_REDIS")
  for _ in $(seq 1 100); do redis-cli -p $P_MEM_REDIS ping >/dev/null 2>&1 && break; sleep 0.1; done
  empty=$(settle "$PID_REDIS")
  log "redis: empty RSS $empty kB; loading $MEM_KEYS keys (redis-cli --pipe)"
  awk -v n="$MEM_KEYS" 'BEGIN {
      v = sprintf("%100s", ""); gsub(/ /, "v", v)
      for (i = 0; i < n; i++) { k = "key-" i; printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$100\r\n%s\r\n", length(k), k, v }
    }' | timeout 120 redis-cli -p $P_MEM_REDIS --pipe >"$RUN_DIR/redis-pipe.log" 2>&1 \
    || log "WARNING: redis load failed: $(tail -2 "$RUN_DIR/redis-pipe.log")"
  loaded=$(settle "$PID_REDIS")
  count=$(redis-cli -p $P_MEM_REDIS dbsize)
  used=$(redis-cli -p $P_MEM_REDIS info memory | awk -F: '/^used_memory:/ {print $2+0}')
  log "redis: loaded RSS $loaded kB, dbsize $count, used_memory $used"
  MEM_LINES+=("$(awk -v n="redis-server" -v e="$empty" -v l="$loaded" -v k="$MEM_KEYS" -v c="$count" \
    'BEGIN { printf "| %s | %d | %.1f | %.1f | %.0f |", n, c, e/1024, l/1024, (l-e)*1024/k }')")
  stop_pid "$PID_REDIS"
fi

# ================================================================ report
{
  echo "## ShardedKvs benchmark ($STAMP)"
  echo
  echo "- command: \`$([[ "${QUICK:-0}" == 1 ]] && echo "QUICK=1 ")bash bench/run.sh\` (DURATION=$DURATION RUNS=$RUNS MEM_KEYS=$MEM_KEYS)"
  echo "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo ' (dirty)'); machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
  echo "- load: wrk -t$THREADS, random keys out of $PRELOAD preloaded (100-byte values), all on loopback; median of $RUNS"
  echo "- load average (1/5/15 min) at start: $LOAD_START, at end: $(cut -d' ' -f1-3 /proc/loadavg) (anything well above 0 at the start means other work shared the $(nproc) cores: trust only the ratios, and only roughly)"
  [[ $FAKE_NODE == 1 ]] && echo "- **SELF-TEST: NODE_DLL=$NODE_DLL stands in for the node; these are not the node's numbers**"
  if [[ -s "$RAW" ]]; then
    echo
    echo "| case | conns | req/s | req/s spread | p50 ms | p99 ms | req/s vs baseline | p99 vs baseline | HTTP >=400 | socket errors |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for c in "${CASES[@]}"; do echo "$c ${CASE_BASE[$c]:--}"; done | awk -v raw="$RAW" '
      function median(list,   a, n, i, j, t) {
        n = split(list, a, " ")
        for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
        lo = a[1]; hi = a[n]   # globals: the range of the last list
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
      }
      BEGIN {
        while ((getline line < raw) > 0) {
          delete v; m = split(line, f, " ")
          for (i = 1; i <= m; i++) { split(f[i], kv, "="); v[kv[1]] = kv[2] }
          k = v["case"] SUBSEP v["conns"]
          rps[k] = rps[k] " " v["rps"]; p50[k] = p50[k] " " v["p50_us"]; p99[k] = p99[k] " " v["p99_us"]
          st[k] += v["status_errors"]; so[k] += v["connect_errors"] + v["read_errors"] + v["write_errors"] + v["timeouts"]
          bad[k] += v["failed_run"]; seen[k] = 1; conns[v["conns"]] = 1
        }
      }
      { name[++nc] = $1; base[$1] = $2 }
      END {
        for (x = 1; x <= nc; x++) for (cn = 1; cn <= 1000; cn++) {
          c = name[x]; k = c SUBSEP cn
          if (!(cn in conns) || !(k in seen)) continue
          r = median(rps[k]); spread = (r > 0 && lo != hi) ? sprintf("%.0f%%", 100 * (hi - lo) / r) : "-"
          q50 = median(p50[k]); q99 = median(p99[k])
          rr = "-"; pr = "-"
          if (base[c] != "-") { bk = base[c] SUBSEP cn
            if (bk in seen) { br = median(rps[bk]); bp = median(p99[bk])
              if (br > 0) rr = sprintf("%.2fx", r / br); if (bp > 0) pr = sprintf("%.2fx", q99 / bp) } }
          printf "| %s%s | %d | %.0f | %s | %.2f | %.2f | %s | %s | %d | %d |\n", c, (bad[k] ? " (wrk failed)" : ""), cn, r, spread, q50 / 1000, q99 / 1000, rr, pr, st[k], so[k]
        }
      }'
    echo
    ((RUNS > 1)) && echo "req/s spread: (max - min) / median over the $RUNS repetitions, a measure of the noise."
    echo "Baselines: GET cases against baseline-get, mix cases against baseline-mix, same connections, same run."
    echo "node3-* hit $HOST:$P_C1 of a 3-node cluster; direct = keys it owns, forwarded = keys another node owns"
    echo "(ownership from an answer without/with \"address\"); node3-mix uses random keys (about 2/3 forwarded)."
    echo "HTTP >=400 and socket errors are totals over all repetitions (wrk counts status >= 400; a fast error is not a result)."
    # Telemetry cost: node with an OTLP endpoint that nobody answers vs the same node without one.
    echo
    echo "Telemetry cost (OTEL_EXPORTER_OTLP_ENDPOINT=http://$HOST:$P_CLOSED, nothing listening), 64 connections:"
    echo
    if [[ ${OTLP_LOADED:-no} == no ]]; then
      echo "**The node started with the OTLP endpoint never loaded OpenTelemetry.Exporter.OpenTelemetryProtocol.dll"
      echo "(checked in /proc/PID/maps): it exported nothing, so the rows below only show the noise.**"
      echo
    fi
    echo "| case | req/s vs node1 | p99 vs node1 |"
    echo "|---|---:|---:|"
    for kind in get mix; do
      awk -v raw="$RAW" -v a="node1-otel-$kind" -v b="node1-$kind" '
        function median(list,   x, n, i, j, t) {
          n = split(list, x, " ")
          for (i = 2; i <= n; i++) { t = x[i] + 0; for (j = i - 1; j >= 1 && x[j] + 0 > t; j--) x[j + 1] = x[j]; x[j + 1] = t }
          return n % 2 ? x[(n + 1) / 2] : (x[n / 2] + x[n / 2 + 1]) / 2
        }
        BEGIN {
          while ((getline line < raw) > 0) {
            delete v; m = split(line, f, " ")
            for (i = 1; i <= m; i++) { split(f[i], kv, "="); v[kv[1]] = kv[2] }
            if (v["conns"] != 64) continue
            rps[v["case"]] = rps[v["case"]] " " v["rps"]; p99[v["case"]] = p99[v["case"]] " " v["p99_us"]
          }
          if (!(a in rps) || !(b in rps) || median(rps[b]) == 0 || median(p99[b]) == 0) exit
          printf "| %s | %.2fx | %.2fx |\n", a, median(rps[a]) / median(rps[b]), median(p99[a]) / median(p99[b])
        }'
    done
  fi
  if ((${#MEM_LINES[@]})); then
    echo
    echo "Memory: RSS (VmRSS, after it stops changing) of one process empty vs holding $MEM_KEYS keys with 100-byte values:"
    echo
    echo "| server | keys held | empty MB | loaded MB | bytes/key |"
    echo "|---|---:|---:|---:|---:|"
    printf '%s\n' "${MEM_LINES[@]}"
  fi
  sleep 0.5   # let the log drains of stopped servers write their totals
  echo
  echo "Console output per server (MB; a server that logs per request pays for it in the numbers above):" \
    "$(for f in "$RUN_DIR"/*.log; do b=$(sed -n 's/^\[bench\] output bytes: \([0-9]*\).*/\1/p' "$f" | tail -1)
       [[ -n $b ]] && printf '%s %.1f, ' "$(basename "$f" .log)" "$(awk -v b="$b" 'BEGIN{print b/1e6}')"; done | sed 's/, $//')"
  echo
  echo "Total time: $((SECONDS - START_TIME)) s. Raw results and logs: ${RUN_DIR#$ROOT/}"
} | tee "$RUN_DIR/report.md" >"$OUT/latest.md"
cat "$OUT/latest.md"
