# Shared by the benchmarks: logging, the cleanup of every process a benchmark starts, and (for the
# replication benchmarks) building, starting and awaiting nodes. Source it after setting START_TIME
# (and BIN, RUN_DIR, HOST, VIEW, CLUSTER_KEY for the node helpers).

log() { printf '[%4ds] %s\n' $((SECONDS - START_TIME)) "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 50); do
    local alive=0
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [[ $alive == 0 ]] && break
    sleep 0.1
  done
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  PIDS=()
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# publish_to_bin PROJECT NAME: a Release build into $BIN/NAME (its log in $RUN_DIR/build-NAME.log).
# publish_to_bin PROJECT NAME [ARG...]: a Release build of PROJECT in $BIN/NAME (more dotnet publish arguments after).
publish_to_bin() {
  local project=$1 name=$2
  shift 2
  dotnet publish "$project" -c Release -o "$BIN/$name" --nologo -v q "$@" >"$RUN_DIR/build-$name.log" 2>&1 || die "$name build failed"
}

# publish_node: the node a benchmark runs, in $BIN/$NODE_BIN (start_node runs it). NODE_BIN set: a node
# already published there. JIT=1: the JIT's build, as `dotnet run` and the tests run it, in $BIN/node.
# Otherwise what ships: the image's Native AOT executable (deploy/image/publish.sh, about 90 s) in
# $BIN/node-aot.
publish_node() {
  if [[ -n "${NODE_BIN:-}" ]]; then
    [[ -f "$BIN/$NODE_BIN/ShardedKvs.Node.dll" || -x "$BIN/$NODE_BIN/ShardedKvs.Node" ]] || die "NODE_BIN=$NODE_BIN: no node in $BIN/$NODE_BIN"
  elif [[ "${JIT:-0}" == "1" ]]; then
    NODE_BIN=node
    publish_to_bin ShardedKvs.Node node
  else
    NODE_BIN=node-aot
    "$ROOT/deploy/image/publish.sh" "$BIN/$NODE_BIN" >"$RUN_DIR/build-$NODE_BIN.log" 2>&1 || die "$NODE_BIN build failed (see $RUN_DIR/build-$NODE_BIN.log)"
  fi
}

# require_free_ports PORT...: stops when another process already listens on one of them.
require_free_ports() {
  local port
  for port in "$@"; do
    ! ss -ltn | grep -q "[:.]$port\b" || die "port $port is already in use (another process listens there)"
  done
}

# start_node PORT LOG [NAME=VALUE...]: a node of $VIEW at $HOST:PORT with those settings, run from
# $BIN/$NODE_BIN (default node; a Native AOT build there runs as its executable); its pid joins PIDS.
start_node() {
  local port=$1 logfile=$2 program=(dotnet ShardedKvs.Node.dll)
  shift 2
  [[ -f "$BIN/${NODE_BIN:-node}/ShardedKvs.Node.dll" ]] || program=(./ShardedKvs.Node)
  (cd "$BIN/${NODE_BIN:-node}" && exec env -u ASPNETCORE_URLS -u OTEL_EXPORTER_OTLP_ENDPOINT ADDRESS="$HOST:$port" VIEW="$VIEW" \
      CLUSTER_KEY="$CLUSTER_KEY" "$@" "${program[@]}" >"$logfile" 2>&1) &
  PIDS+=("$!")
}

# wait_until_serving PORT...: until each node's view says "state":"serving" (60 s bound per node).
wait_until_serving() {
  local port
  for port in "$@"; do
    for _ in $(seq 1 600); do
      curl -s --max-time 1 "http://$HOST:$port/kvs/view" | grep -q '"state":"serving"' && break
      sleep 0.1
    done
  done
}
