#!/usr/bin/env bash
# Builds the node's OCI image without a daemon or a registry:
#   1. publish.sh: ShardedKvs.Node compiled Native AOT for linux-x64 (one executable in /app);
#   2. a minimal root filesystem from Debian packages: only the shared libraries that executable
#      loads (glibc, and OpenSSL for the HMACs), unpacked with dpkg-deb, no shell, no package
#      manager, a non-root user;
#   3. buildah --storage-driver vfs from scratch, commit to an OCI archive.
# Output: deploy/image/out/shardedkvs-node.oci.tar (override with OUT=...), tagged shardedkvs-node:$TAG.
# Needs root (or a user namespace), buildah, and apt access to Debian's packages; installs buildah if missing.
#
# Load it elsewhere with, for example:
#   skopeo copy oci-archive:deploy/image/out/shardedkvs-node.oci.tar docker://registry.example/shardedkvs-node:0.1.0
#   podman load -i deploy/image/out/shardedkvs-node.oci.tar
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tag=${TAG:-0.1.0}
out=${OUT:-$here/out/shardedkvs-node.oci.tar}
work=$(mktemp -d)
buildah=(buildah --storage-driver vfs --root "$work/storage" --runroot "$work/run")
container=
cleanup() {
  if [[ -n "$container" ]]; then "${buildah[@]}" rm "$container" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

command -v buildah >/dev/null || { apt-get update -qq && apt-get install -y -qq buildah; }

echo "1/3 publish"
"$here/publish.sh" "$work/app"

echo "2/3 root filesystem"
rootfs=$work/rootfs
mkdir -p "$rootfs"/{etc,tmp,proc,sys,dev} "$work/debs"
chmod 1777 "$rootfs/tmp"
# What `ldd` lists for the executable (libc, libm: both glibc), plus libssl3, which its crypto shim
# loads at run time. ICU is not needed: the node runs with InvariantGlobalization.
(cd "$work/debs" && apt-get -o APT::Sandbox::User=root download libc6 libssl3 >/dev/null)
for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$rootfs"; done
rm -rf "$rootfs"/usr/share/{doc,man,lintian,locale} "$rootfs"/usr/lib/x86_64-linux-gnu/gconv
cat > "$rootfs/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/sbin/nologin
kvs:x:65532:65532:kvs:/nonexistent:/sbin/nologin
PASSWD
printf 'root:x:0:\nkvs:x:65532:\n' > "$rootfs/etc/group"
# Names such as kvs-0.kvs.<ns>.svc.cluster.local resolve through /etc/hosts and the platform's DNS.
printf 'hosts: files dns\n' > "$rootfs/etc/nsswitch.conf"
mkdir -p "$rootfs/app"
cp -a "$work/app/." "$rootfs/app/"

echo "3/3 image"
container=$("${buildah[@]}" from scratch)
"${buildah[@]}" copy "$container" "$rootfs" / >/dev/null
"${buildah[@]}" config \
  --entrypoint '["/app/ShardedKvs.Node"]' \
  --cmd '' \
  --workingdir /app \
  --user 65532:65532 \
  --port 13800/tcp \
  --env ASPNETCORE_ENVIRONMENT=Production \
  --label org.opencontainers.image.title=shardedkvs-node \
  --label org.opencontainers.image.description="ShardedKvs node: set ADDRESS (host:13800) and VIEW; CLUSTER_KEY, ADMIN_KEY" \
  --label org.opencontainers.image.version="$tag" \
  "$container"
mkdir -p "$(dirname "$out")"
rm -f "$out"
"${buildah[@]}" commit --quiet --format oci "$container" "oci-archive:$out:shardedkvs-node:$tag" >/dev/null
echo "wrote $out ($(du -h "$out" | cut -f1)), image shardedkvs-node:$tag"
