#!/usr/bin/env bash
# Installs what a fresh machine may lack: the native libuv (for the libuv backend). Idempotent and quiet.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! ldconfig -p 2>/dev/null | grep -q 'libuv\.so\.1 '; then
  echo "setup: installing libuv1 (needed by the libuv backend)..."
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get install -y -qq libuv1 >/dev/null 2>&1 || { $SUDO apt-get update -qq >/dev/null && $SUDO apt-get install -y -qq libuv1 >/dev/null; }
fi
command -v dotnet >/dev/null || { echo "setup: the .NET 10 SDK (dotnet) is required" >&2; exit 1; }
