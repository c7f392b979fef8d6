#!/usr/bin/env bash
# Builds the solution (warnings are errors) and runs every test: the conformance suite against every backend,
# plus the unit tests. Ends with one summary line "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
dotnet build AnyNet.sln -c Release -nologo -v quiet || exit 1
log=$(mktemp)
# --blame-hang-timeout turns a hung test into a failure with a dump instead of a stuck run.
dotnet test AnyNet.sln -c Release --no-build -nologo --blame-hang-timeout 5m 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
# CI keeps only the tail of the output, so the failures are repeated here with their messages.
awk '/^  Failed [A-Za-z]/ { show = 1; n = 0 }
     /^  Stack Trace:/ { show = 0 }
     show && n++ < 12 { print "FAILED> " $0 }' "$log"
awk '/(Passed|Failed)! +- +Failed:/ {
       gsub(",", ""); for (i = 1; i <= NF; i++) { if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) }
     }
     END { printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$log"
rm -f "$log"
exit "$status"
