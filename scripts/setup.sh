#!/usr/bin/env bash
# Installs what a fresh machine may lack: the native libuv (for the libuv backend). Idempotent and quiet.
set -euo pipefail
cd "$(dirname "$0")/.."
sh Backends/AnyNet.Backends.Libuv/install-libuv.sh
command -v dotnet >/dev/null || { echo "setup: the .NET 10 SDK (dotnet) is required" >&2; exit 1; }
