#!/usr/bin/env bash
# Evaluation of DotNext Raft (DotNext.AspNetCore.Cluster 6.12.1) for the configuration log, issue 11 point 7.
# Builds the spike once, then runs the experiments one after another on loopback ports 5101-5105.
# Usage: bench/raft-spike/run.sh [a b c d e f g h i j k l m]   (no argument: all; about 3-4 minutes on 2 cores)
# RAFT_SPIKE_ELECTION_MS=N sets every node's election timeout to N-2N ms (default 150-300, as in DotNext's example).
# Node logs stay in $TMPDIR/raft-spike-run/<experiment>/ for reading after the run.
set -euo pipefail
cd "$(dirname "$0")"
for port in 5101 5102 5103 5104 5105; do
  if ss -ltnH "sport = :$port" | grep -q .; then
    echo "port $port is in use; the spike needs 5101-5105 on loopback" >&2
    exit 1
  fi
done
dotnet build -c Release -nologo -v quiet RaftSpike.csproj
exec dotnet bin/Release/net10.0/RaftSpike.dll experiments "$@"
