#!/bin/sh
# Installs the system libuv (libuv.so.1, Debian/Ubuntu package libuv1) that the AnyNet libuv backend loads.
# Idempotent and quiet: does nothing when libuv.so.1 is already present. Runs apt-get directly as root, through
# sudo otherwise; refreshes the package lists only if the first install attempt needs it.
set -eu

have_libuv() {
    if command -v ldconfig >/dev/null 2>&1 && ldconfig -p 2>/dev/null | grep -q 'libuv\.so\.1 '; then
        return 0
    fi
    for dir in /usr/lib /usr/lib64 /lib /usr/local/lib /usr/lib/*-linux-gnu /lib/*-linux-gnu; do
        [ -e "$dir/libuv.so.1" ] && return 0
    done
    return 1
}

if have_libuv; then
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-libuv.sh: libuv.so.1 is missing and apt-get is not available; install libuv 1.x with your package manager." >&2
    exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "install-libuv.sh: libuv.so.1 is missing; run as root: apt-get install -y libuv1" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y -qq libuv1 >/dev/null 2>&1; then
    $SUDO apt-get update -qq >/dev/null
    $SUDO apt-get install -y -qq libuv1 >/dev/null
fi

if ! have_libuv; then
    echo "install-libuv.sh: apt-get installed libuv1 but libuv.so.1 is still not found." >&2
    exit 1
fi
