# Shared by bench/run.sh and bench/view-change.sh: logging and the cleanup of every process
# a benchmark starts. Source it after setting START_TIME.

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
