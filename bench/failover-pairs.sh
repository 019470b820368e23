#!/usr/bin/env bash
# Two node builds compared on the failover benchmark (bench/failover.sh), run after run in turns, so
# that both meet the same background load: the first-fill client p99 ratio, the re-replication rate,
# the survivors' CPU and (JIT_MAP=1) the methods each survivor compiled between the exclusion and the
# switch. On a machine shared with other work one run says little; pairs taken seconds apart say more.
#
#   BUILDS="node-before node-after" bash bench/failover-pairs.sh     PAIRS=3 (about 2 minutes a pair)
#   BUILDS="node-before node-after" PAIRS=4 JIT_MAP=1 bash bench/failover-pairs.sh
#
# BUILDS names two nodes already published in bench/bin/<name>, Native AOT as the image carries them or
# run by the JIT, e.g.
#   git worktree add /tmp/before <commit> && /tmp/before/deploy/image/publish.sh "$PWD/bench/bin/node-before"
#   deploy/image/publish.sh "$PWD/bench/bin/node-after"
#   dotnet publish ShardedKvs.Node -c Release -o bench/bin/node-jit        (the JIT's build, as the tests run it)
# Every other setting of bench/failover.sh (KEYS, FILL_RATE, NODE_ENV, ...) passes through; JIT_MAP=1
# also sets the perf-map environment it needs. Pair i runs the first build first when i is odd.
# Output: one line per run and the medians, on stdout and in bench/results/failover-pairs-latest.md.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
read -r -a NAMES <<<"${BUILDS:?BUILDS=\"<bench/bin name> <bench/bin name>\" names the two builds}"
((${#NAMES[@]} == 2)) || { echo "BUILDS names exactly two builds" >&2; exit 1; }
for name in "${NAMES[@]}"; do
  [[ -f "$ROOT/bench/bin/$name/ShardedKvs.Node.dll" || -x "$ROOT/bench/bin/$name/ShardedKvs.Node" ]] || { echo "no node in bench/bin/$name" >&2; exit 1; }
done
PAIRS=${PAIRS:-3}
if [[ "${JIT_MAP:-0}" == "1" ]]; then
  export NODE_ENV="${NODE_ENV:+$NODE_ENV }DOTNET_PerfMapEnabled=3 DOTNET_PerfMapShowOptimizationTiers=1"
fi
OUT=$ROOT/bench/results/failover-pairs-latest.md

# field FILE KIND KEY: the value of KEY=... on the line of failover.txt that starts with KIND.
# (No `head` in these pipelines: under pipefail a writer it cut off would fail the script.)
field() { grep -m1 "^$2 " "$1" | tr ' ' '\n' | awk -F= -v k="$3" '$1==k {print $2}'; }

# compiled RUN_DIR: each survivor's count of methods compiled from the fill's start to the switch (the
# perf maps' line counts, sampled every 100 ms by failover.sh into jit-map-lines.txt).
compiled() {
  local dir=$1
  awk -v excluded="$(field "$dir/failover.txt" EXCLUSION utc)" -v seconds="$(field "$dir/failover.txt" FILL seconds)" \
      -v delay_ms="$(field "$dir/failover.txt" FILL started_after_exclusion_ms)" '
    function at(t,  p) { split(t, p, ":"); return p[1] * 3600 + p[2] * 60 + p[3] }
    BEGIN { from = at(excluded) + delay_ms / 1000; to = from + seconds }
    !started && at($1) >= from { started = 1; for (i = 3; i <= NF; i += 2) first[i] = $i }
    started && at($1) >= to { for (i = 3; i <= NF; i += 2) printf "%s%d", (i > 3 ? "/" : ""), $i - first[i]; print ""; exit }
  ' "$dir/jit-map-lines.txt"
}

median() { sort -g | awk '{v[NR] = $1} END {if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

declare -A RATIOS RATES
{
  echo "# Failover pairs ($(date -u +%Y%m%dT%H%M%SZ)): ${NAMES[0]} against ${NAMES[1]}, $PAIRS pairs${KEYS:+, KEYS=$KEYS}${NODE_ENV:+, NODE_ENV=$NODE_ENV}"
  echo
  echo "| pair | build | load | p99 before / during the fill (ms) | ratio | keys/s | p99 from the exclusion to the fill (ms) | survivors' CPU (s) | methods compiled in the fill |"
  echo "|---:|---|---|---|---:|---:|---:|---:|---|"
} | tee "$OUT"
for ((pair = 1; pair <= PAIRS; pair++)); do
  order=("${NAMES[@]}")
  ((pair % 2 == 1)) || order=("${NAMES[1]}" "${NAMES[0]}")
  for name in "${order[@]}"; do
    load=$(cut -d' ' -f1 /proc/loadavg)
    NODE_BIN=$name bash "$ROOT/bench/failover.sh" >/dev/null 2>&1 || { echo "| $pair | $name | $load | failover.sh failed | | | | | |" | tee -a "$OUT"; continue; }
    dir=$(ls -dt "$ROOT"/bench/results/failover-2* | sed -n 1p)
    result=$dir/failover.txt
    ratio=$(field "$result" P99 ratio)
    rate=$(field "$result" FILL keys_per_s)
    RATIOS[$name]+="$ratio "
    RATES[$name]+="$rate "
    jit=-
    [[ "${JIT_MAP:-0}" == "1" ]] && jit=$(compiled "$dir")
    echo "| $pair | $name | $load | $(field "$result" P99 before_ms) / $(field "$result" P99 during_fill_ms) | ${ratio}× | $rate | $(field "$result" P99 exclusion_to_fill_ms) | $(field "$result" CPU survivors_s) | $jit |" | tee -a "$OUT"
  done
done
{
  echo
  for name in "${NAMES[@]}"; do
    echo "- $name: median ratio $(tr ' ' '\n' <<<"${RATIOS[$name]:-}" | grep . | median)×, median $(tr ' ' '\n' <<<"${RATES[$name]:-}" | grep . | median) keys/s"
  done
} | tee -a "$OUT"
