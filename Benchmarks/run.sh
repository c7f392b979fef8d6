#!/usr/bin/env bash
# The AnyNet benchmarks in one command.
#
#   Benchmarks/run.sh            full echo matrix (every server x 1/100/1000/10000 connections x 64 B/1 KiB/16 KiB,
#                                connection churn, memory per idle connection at 10k): about 6-7 minutes
#   Benchmarks/run.sh --quick    100 connections x 1 KiB and churn only: under a minute
#   Benchmarks/run.sh --programs the samples against the real programs (MiniRedis vs redis-server, HttpHello vs Kestrel
#                                and nginx, Proxy overhead): see Benchmarks/programs.sh; --programs --smoke checks it quickly
#   Benchmarks/run.sh --aspnet   ASP.NET Core (Samples/AspNetHello) on every backend and on Kestrel's Sockets transport,
#                                under wrk (Benchmarks/run-aspnet.sh; extra arguments go to it)
#   Benchmarks/run.sh --micro    the BenchmarkDotNet micro-benchmarks (allocations per round trip, task groups,
#                                100k sleeps, memory object streams vs Channel<T>); extra arguments go to BenchmarkDotNet
#
# Other matrix options (see AnyNet.Benchmarks.Matrix): --servers c-epoll,sockets,tasks,reactor,libuv --conns 100
# --sizes 1024 --duration 3 --warmup 1 --churn 2 --idle 10000 --server-core 0 --client-core 1 --out DIR
# A loop backend with several loops is a server named with its loop count: reactor-2, libuv-2 (or reactor-auto);
# give it the cores with --server-cpus, e.g. scaling from 1 to 2 loops with the load generator on the same two cores:
#   Benchmarks/run.sh --servers reactor,reactor-2,libuv,libuv-2 --server-cpus 0,1 --client-core 1 --idle 0 --churn 0
#
# Writes Benchmarks/results/results[-quick].md, results[-quick].csv and echo-matrix[-quick].svg.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if [[ "${1:-}" == "--programs" ]]; then
    shift
    exec bash Benchmarks/programs.sh "$@"
fi

if [[ "${1:-}" == "--aspnet" ]]; then
    shift
    exec "$root/Benchmarks/run-aspnet.sh" "$@"
fi

if [[ "${1:-}" == "--micro" ]]; then
    shift
    dotnet build Benchmarks/AnyNet.Benchmarks.Micro -c Release -nologo -v quiet -clp:NoSummary
    micro="$root/Benchmarks/AnyNet.Benchmarks.Micro/bin/Release/net10.0/AnyNet.Benchmarks.Micro.dll"
    cd Benchmarks/AnyNet.Benchmarks.Micro
    if [[ $# -gt 0 ]]; then
        exec dotnet "$micro" "$@"
    fi
    # Everything: the exact allocation check, then every BenchmarkDotNet class; the log keeps the tables.
    mkdir -p "$root/Benchmarks/results"
    { dotnet "$micro" --alloc && dotnet "$micro" --filter '*'; } 2>&1 | tee "$root/Benchmarks/results/micro.log"
    exit "${PIPESTATUS[0]}"
fi

# 10k connections: the server and the load generator each need more than 10k descriptors.
want=65536
hard=$(ulimit -Hn)
if [[ "$hard" != "unlimited" && "$hard" -lt "$want" ]]; then
    ulimit -Hn "$want" 2>/dev/null || want="$hard"
fi
ulimit -n "$want" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
if [[ "$(ulimit -n)" -lt 10100 ]]; then
    echo "run.sh: note: ulimit -n is $(ulimit -n); the 10000-connection cells need about 10100" >&2
fi

command -v gcc >/dev/null || { echo "run.sh: gcc is needed to build the C load generator and the C echo server" >&2; exit 1; }
command -v taskset >/dev/null || { echo "run.sh: taskset (util-linux) is needed to pin processes to cores" >&2; exit 1; }

mkdir -p Benchmarks/native/bin
for program in loadgen echo_epoll; do
    if [[ ! -x "Benchmarks/native/bin/$program" || "Benchmarks/native/$program.c" -nt "Benchmarks/native/bin/$program" ]]; then
        gcc -O2 -Wall -Wextra -Werror -o "Benchmarks/native/bin/$program" "Benchmarks/native/$program.c"
    fi
done

# One build: the matrix project also builds the echo server (and through it every backend).
dotnet build Benchmarks/AnyNet.Benchmarks.Matrix -c Release -nologo -v quiet -clp:NoSummary

exec dotnet Benchmarks/AnyNet.Benchmarks.Matrix/bin/Release/net10.0/AnyNet.Benchmarks.Matrix.dll "$@"
