#!/usr/bin/env bash
# Runs the image built by build.sh the way a container runtime would, as far as this kind of
# machine allows (there is no container engine: crun fails on cgroups): unpacks the OCI archive
# with umoci, starts its entrypoint as its user in a network namespace of its own (own IP, port
# 13800) with /proc and /dev mounted, forms a one-node cluster, and checks /alive, /health and a
# PUT/GET. Needs root, iproute2 and umoci (installed if missing). Cleans up after itself.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
archive=${1:-$here/out/shardedkvs-node.oci.tar}
tag=${TAG:-0.1.0}
work=$(mktemp -d)
id=$$
ns=kvsimg-$id
host_if=kvi${id}h
ip=10.213.252.10
node_pid=
cleanup() {
  if [[ -n "$node_pid" ]]; then kill "$node_pid" 2>/dev/null || true; wait "$node_pid" 2>/dev/null || true; fi
  ip netns del "$ns" 2>/dev/null || true
  ip link del "$host_if" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

command -v umoci >/dev/null || { apt-get update -qq && apt-get install -y -qq umoci; }
mkdir -p "$work/layout"
tar -xf "$archive" -C "$work/layout"
umoci unpack --image "$work/layout:shardedkvs-node:$tag" "$work/bundle" >/dev/null
rootfs=$work/bundle/rootfs
entrypoint=$(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["process"]["args"]))' "$work/bundle/config.json")
user=$(python3 -c 'import json,sys; u=json.load(open(sys.argv[1]))["process"]["user"]; print("%s:%s" % (u["uid"], u["gid"]))' "$work/bundle/config.json")

ip netns add "$ns"
ip link add "$host_if" type veth peer name kvi${id}n
ip link set kvi${id}n netns "$ns"
ip addr add 10.213.252.254/24 dev "$host_if"
ip link set "$host_if" up
ip netns exec "$ns" ip addr add "$ip/24" dev kvi${id}n
ip netns exec "$ns" ip link set kvi${id}n up
ip netns exec "$ns" ip link set lo up

# `ip netns exec` gives the command a mount namespace of its own, so these mounts vanish with it.
ip netns exec "$ns" sh -c "mount -t proc proc '$rootfs/proc' && mount --rbind /dev '$rootfs/dev' && exec env -i \
  ADDRESS=$ip:13800 VIEW=$ip:13800 CLUSTER_KEY=smoke-test-cluster-key-0123456789 \
  $(command -v chroot) --userspec=$user '$rootfs' $entrypoint" > "$work/node.log" 2>&1 &
node_pid=$!

url=http://$ip:13800
for _ in $(seq 1 120); do
  [[ $(curl -s -m 1 -o /dev/null -w '%{http_code}' "$url/health" || true) == 200 ]] && break
  sleep 0.5
done
check() { # name expected-status curl-args...
  local name=$1 expected=$2; shift 2
  local status
  status=$(curl -s -m 5 -o "$work/body" -w '%{http_code}' "$@" || true)
  if [[ $status != "$expected" ]]; then
    echo "FAIL $name: $status (expected $expected): $(cat "$work/body" 2>/dev/null)"; cat "$work/node.log"; exit 1
  fi
  echo "ok   $name: $status $(head -c 200 "$work/body")"
}
check alive 200 "$url/alive"
check health 200 "$url/health"
check put 201 -X PUT "$url/kvs/keys/smoke" -H 'content-type: application/json' -d '{"value":"from the image"}'
check get 200 "$url/kvs/keys/smoke"
grep -q '"value":"from the image"' "$work/body"
echo "image $archive runs: entrypoint $entrypoint as $user on $ip:13800"
