#!/usr/bin/env bash
# The main demo: the Echo sample's demo mode (server + concurrent clients in a task group) on every backend.
# Extra arguments go to the sample, e.g. `scripts/demo.sh --backend libuv`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
dotnet build Samples/Echo -c Release -v quiet -nologo >/dev/null
if [ $# -gt 0 ]; then
  exec dotnet run --project Samples/Echo -c Release --no-build -- "$@"
fi
for backend in tasks reactor libuv; do
  dotnet run --project Samples/Echo -c Release --no-build -- demo --backend "$backend"
  echo
done
