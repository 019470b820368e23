#!/usr/bin/env bash
# Publishes the node as one Native AOT executable for linux-x64 into OUT (default: deploy/image/out/node):
# the exact files the OCI image carries and the multi-host test runs. It is compiled ahead of time, so
# no .NET runtime is needed where it runs (only glibc, and libssl, which it loads for the HMACs) and no
# JIT runs in it: a node's first failover and fill run code as optimized as its later ones (bench/README.md,
# "Native AOT"). Compiling it needs a C toolchain for the final link (gcc or clang; .ci/run installs
# clang when neither is there).
#
# Builds in a scratch artifacts folder of its own, so it never touches the obj/ and bin/ folders
# of a normal `dotnet build` or `dotnet test` that may be running at the same time.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$repo/deploy/image/out/node}
artifacts=$(mktemp -d)
trap 'rm -rf "$artifacts"' EXIT

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
rm -rf "$out"
dotnet publish "$repo/ShardedKvs.Node/ShardedKvs.Node.csproj" \
  --configuration Release \
  --runtime linux-x64 \
  -p:PublishAot=true \
  --artifacts-path "$artifacts" \
  --output "$out" \
  -p:DebugType=none \
  -p:GenerateDocumentationFile=false \
  -nologo -v quiet
test -x "$out/ShardedKvs.Node"
echo "published $(du -sh "$out" | cut -f1) to $out"
