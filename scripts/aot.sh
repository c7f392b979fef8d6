#!/usr/bin/env bash
# Publishes Samples/Echo with native AOT and runs its demo on every backend, then prints start-to-exit time and peak
# RSS of the AOT binary beside the JIT build (median of 5 runs each). Usage: scripts/aot.sh [OUTPUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
out=${1:-artifacts/echo-aot}
dotnet publish Samples/Echo -c Release -r linux-x64 -p:PublishAot=true -o "$out" -nologo -v quiet
dotnet build Samples/Echo -c Release -nologo -v quiet
jit=Samples/Echo/bin/Release/net10.0/Echo.dll
median() { sort -n | sed -n 3p; }
printf '%-8s %-8s %10s %12s\n' build backend "seconds" "peak RSS KiB"
for backend in tasks reactor libuv; do
  "$out/Echo" --backend "$backend" >/dev/null    # fails the script if the AOT demo fails
  for build in aot jit; do
    if [ "$build" = aot ]; then cmd=("$out/Echo"); else cmd=(dotnet "$jit"); fi
    for _ in 1 2 3 4 5; do /usr/bin/time -f '%e %M' "${cmd[@]}" --backend "$backend" 2>&1 >/dev/null | tail -1; done |
      median | awk -v b="$build" -v k="$backend" '{ printf "%-8s %-8s %10s %12s\n", b, k, $1, $2 }'
  done
done
