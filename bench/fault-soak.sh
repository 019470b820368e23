#!/usr/bin/env bash
# ShardedKvs fault soak: runs the random fault schedule test (RandomFaultScheduleTests: kills,
# partitions, restarts and view changes on five network-namespace hosts, R = 3, 12 clients, half of
# the runs over lossy links and half over slow ones, checked by the linearizability checker and the placement audit) again
# and again with a fresh seed each time, for as long as it is given. Needs root, iproute2 and
# iptables (as `.ci/run` has them).
#
#   bash bench/fault-soak.sh                  MINUTES=20
#   MINUTES=120 bash bench/fault-soak.sh
#   SEEDS="340937351 654417644" bash bench/fault-soak.sh   replays those seeds only
#
# Options (environment):
#   MINUTES   no new run starts after this many minutes (default 20); one run takes 30 s to 2 min
#   SEEDS     a list of seeds to replay instead of fresh ones
#   BUILD     0 skips `dotnet build` of the tests (default 1)
#   BUSY      this many busy loops run beside the soak, to starve the nodes (default 0; stopped on exit)
#
# Reports: one line per run (seed, passed or failed, seconds, operations, failed requests, the
# longest unavailability, lossy or slow links or not, the steps) in bench/results/soak-<timestamp>/runs.txt and on stdout, and the totals.
# A failed run keeps its whole test output and every node's log (Information) in its own folder,
# named by its seed, to replay with KVS_FAULT_SEED=<seed>.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
MINUTES=${MINUTES:-20}
SEEDS=${SEEDS:-}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RUN_DIR=$ROOT/bench/results/soak-$STAMP
# Without them the test skips itself, and a skipped run must not count as a passed one.
for tool in ip iptables; do
  command -v "$tool" >/dev/null || { echo "fault-soak: $tool not found (apt-get install iproute2 iptables)" >&2; exit 1; }
done
mkdir -p "$RUN_DIR"

if [[ "${BUILD:-1}" == "1" ]]; then
  dotnet build ShardedKvs.Tests -v q -nologo > "$RUN_DIR/build.txt" 2>&1 || { cat "$RUN_DIR/build.txt"; exit 1; }
fi

deadline=$(( $(date +%s) + MINUTES * 60 ))
busy=()
trap 'for pid in "${busy[@]}"; do kill "$pid" 2>/dev/null; done' EXIT
for _ in $(seq 1 "${BUSY:-0}"); do
  timeout $(( MINUTES * 60 + 900 )) sh -c 'while :; do :; done' &
  busy+=($!)
done
passed=0; failed=0
read -r -a replay <<< "$SEEDS"
next=0
echo "fault soak until $(date -u -d "@$deadline" +%H:%M:%S) UTC, ${BUSY:-0} busy loops beside it; results in $RUN_DIR" | tee "$RUN_DIR/runs.txt"
while true; do
  if [[ ${#replay[@]} -gt 0 ]]; then
    (( next < ${#replay[@]} )) || break
    seed=${replay[$next]}; next=$((next + 1))
  else
    (( $(date +%s) < deadline )) || break
    seed=$(( (RANDOM << 15 | RANDOM) & 0x7fffffff ))
  fi

  logs=$RUN_DIR/seed-$seed
  mkdir -p "$logs"
  started=$(date +%s)
  # A run is bounded by the test's own deadlines (60 s per wait); timeout is the backstop.
  if KVS_FAULT_SEED=$seed KVS_NODE_LOGS=$logs timeout 600 dotnet test ShardedKvs.Tests --no-build -nologo \
      --filter "FullyQualifiedName~RandomFaultScheduleTests" --logger "console;verbosity=detailed" > "$logs/test.txt" 2>&1 \
      && grep -qE '^ +Passed: 1$' "$logs/test.txt"; then
    verdict=passed; passed=$((passed + 1))
  else
    verdict=FAILED; failed=$((failed + 1))
  fi

  seconds=$(( $(date +%s) - started ))
  summary=$(grep -hoE '[0-9]+ operations by 12 clients|[0-9]+ failed requests|longest [0-9]+ ms' "$logs/test.txt" | tr '\n' ' ' || true)
  steps=$(grep -hoE 'step [0-9]+: [A-Za-z]+' "$logs/test.txt" | sed 's/step [0-9]*: //' | tr '\n' ',' || true)
  links=reliable; grep -q 'lossy links' "$logs/test.txt" && links="lossy ($(grep -hoE 'dropped [0-9]+ packets' "$logs/test.txt" | head -1))"
  if grep -q 'slow links' "$logs/test.txt"; then
    slow="slow ($(grep -hoE 'carried [0-9]+ bytes' "$logs/test.txt" | head -1 || true))"
    if [[ $links == reliable ]]; then links=$slow; else links="$links and $slow"; fi
  fi
  echo "seed $seed: $verdict in ${seconds} s; $summary; links $links; steps ${steps%,}" | tee -a "$RUN_DIR/runs.txt"
  if [[ $verdict == passed ]]; then
    rm -rf "$logs"
  fi
done

echo "total: $passed passed, $failed failed" | tee -a "$RUN_DIR/runs.txt"
[[ $failed -eq 0 ]]
