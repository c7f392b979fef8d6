#!/usr/bin/env bash
# Installs what a fresh machine may lack: the native libuv (for the libuv backend). Idempotent and quiet.
set -euo pipefail
cd "$(dirname "$0")/.."
sh Backends/AnyNet.Backends.Libuv/install-libuv.sh
command -v dotnet >/dev/null || { echo "setup: the .NET 10 SDK (dotnet) is required" >&2; exit 1; }

# The real clients the sample tests drive (redis-cli/redis-benchmark, wrk, curl, openssl). Only as root with apt-get;
# otherwise the tests that need a missing client report "skipped: <tool> not installed".
missing=()
command -v redis-cli >/dev/null && command -v redis-benchmark >/dev/null || missing+=(redis-tools)
command -v wrk >/dev/null || missing+=(wrk)
command -v curl >/dev/null || missing+=(curl)
command -v openssl >/dev/null || missing+=(openssl)
if [[ ${#missing[@]} -gt 0 && "$(id -u)" == "0" ]] && command -v apt-get >/dev/null; then
    { apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 \
        || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1; }; } \
        || echo "setup: could not install ${missing[*]}; the tests that need them will be skipped" >&2
fi
