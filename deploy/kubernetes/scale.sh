#!/usr/bin/env bash
# Resizes the cluster to N members as a view change, never as a bare `replicas` edit:
#   scale-in:  view change to kvs-0..kvs-(N-1) first (the leaving pods hand their keys over and go
#              idle), then shrink the StatefulSet (it removes the highest ordinals, the idle ones);
#   scale-out: grow the StatefulSet first (new pods start idle), then the view change adds them.
# Usage: deploy/kubernetes/scale.sh N [kubectl args such as -n NAMESPACE]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
target=${1:?usage: scale.sh N [kubectl args]}
shift
KUBECTL_ARGS=("$@")
kubectl() { command kubectl "$@" "${KUBECTL_ARGS[@]}"; }

[[ $target =~ ^[1-9][0-9]*$ ]] || { echo "N must be a positive number" >&2; exit 2; }
current=$(kubectl get statefulset kvs -o jsonpath='{.spec.replicas}')
echo "kvs: $current -> $target members"

run_view_change() {
  kubectl create configmap kvs-scale --from-literal=replicas="$target" --dry-run=client -o yaml | kubectl apply -f -
  kubectl delete job kvs-view-change --ignore-not-found --wait=true
  kubectl apply -f "$here/jobs/view-change.yaml"
  # A Job ends either complete or failed; wait for whichever comes first.
  until kubectl wait --for=condition=complete --timeout=10s job/kvs-view-change >/dev/null 2>&1; do
    if kubectl wait --for=condition=failed --timeout=1s job/kvs-view-change >/dev/null 2>&1; then
      kubectl logs job/kvs-view-change --tail=20 || true
      echo "the view change failed; nothing was resized. Fix the cause and run scale.sh again (it resumes)." >&2
      exit 1
    fi
  done
  kubectl logs job/kvs-view-change --tail=5 || true
}

if (( target < current )); then
  run_view_change
  kubectl scale statefulset kvs --replicas="$target"
elif (( target > current )); then
  kubectl scale statefulset kvs --replicas="$target"
  run_view_change
else
  # Same size: re-issue the view change, which finishes one that was interrupted (or does nothing).
  run_view_change
fi
# Every member ready: serving the new view (readiness is /health).
for ((i = 0; i < target; i++)); do
  kubectl wait --for=condition=Ready "pod/kvs-$i" --timeout=10m
done
