#!/usr/bin/env bash
# Packs the library packages (and their .snupkg symbols) into a folder; samples, benchmarks and tests do not pack.
# Usage: scripts/pack.sh [OUTPUT_DIR] [extra dotnet pack arguments, e.g. -p:RepositoryUrl=https://...]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-artifacts/packages}
shift || true
mkdir -p "$out"
dotnet pack AnyNet.sln -c Release -nologo -v quiet -o "$out" "$@"
ls "$out"
