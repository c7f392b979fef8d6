#!/usr/bin/env bash
# Counts per message for two or more echo servers, run alternately: the A/B tool for "does backend X cost more than
# plain sockets, and where". Throughput on a shared machine moves by 25 % between runs; counts per message do not.
#
#   Benchmarks/compare.sh [--servers sockets,tasks] [--conns 100] [--size 1024] [--rounds 3] [--duration 7]
#                         [--echo-server DLL]
#
# Each round runs every server once, in turn (A, B, A, B...), pinned to core 0 with the C load generator on core 1 as in
# the matrix. Per run it prints: messages/s, server CPU (fraction of a core), server CPU microseconds per message, the
# server's thread count, and, when perf may count syscalls (root or kernel.perf_event_paranoid <= 1), per message:
# recvfrom, sendto, epoll_wait, sched_yield (the thread pool spinning), futex (its sleeps and wake-ups) and context
# switches; when dotnet-counters is installed (dotnet tool install -g dotnet-counters), thread-pool work items per
# message. Per-message counts divide by the sendto calls seen in the same window (one per echoed message on Linux).
# The environment is passed on, so runtime knobs can be compared too, e.g.
#   DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0 Benchmarks/compare.sh
# Take the lock the other benchmarks use on a shared machine: flock /tmp/anynet-bench.lock Benchmarks/compare.sh ...
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

servers=sockets,tasks conns=100 size=1024 rounds=3 duration=7 dll=
while [[ $# -gt 0 ]]; do
    case "$1" in
        --servers) servers="$2" ;;
        --conns) conns="$2" ;;
        --size) size="$2" ;;
        --rounds) rounds="$2" ;;
        --duration) duration="$2" ;;
        --echo-server) dll="$2" ;;
        *) echo "compare.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift 2
done
[[ "$duration" -ge 5 ]] || { echo "compare.sh: --duration must be at least 5 (counting starts 3 s in)" >&2; exit 2; }

mkdir -p Benchmarks/native/bin
if [[ ! -x Benchmarks/native/bin/loadgen || Benchmarks/native/loadgen.c -nt Benchmarks/native/bin/loadgen ]]; then
    gcc -O2 -Wall -Wextra -Werror -o Benchmarks/native/bin/loadgen Benchmarks/native/loadgen.c
fi
if [[ -z "$dll" ]]; then
    dotnet build Benchmarks/AnyNet.Benchmarks.EchoServer -c Release -nologo -v quiet -clp:NoSummary >/dev/null
    dll=Benchmarks/AnyNet.Benchmarks.EchoServer/bin/Release/net10.0/AnyNet.Benchmarks.EchoServer.dll
fi
ulimit -n 65536 2>/dev/null || true

counters=""
if command -v dotnet-counters >/dev/null; then
    counters=dotnet-counters
elif [[ -x "$HOME/.dotnet/tools/dotnet-counters" ]]; then
    counters="$HOME/.dotnet/tools/dotnet-counters"
fi
can_perf=0
if command -v perf >/dev/null && perf stat -e syscalls:sys_enter_sendto -- true >/dev/null 2>&1; then
    can_perf=1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
events='context-switches,syscalls:sys_enter_recvfrom,syscalls:sys_enter_sendto,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_sched_yield,syscalls:sys_enter_futex'

run_one() {
    local server="$1" log="$work/server.log"
    local fifo; fifo="$(mktemp -u)"
    mkfifo "$fifo"
    exec 3<>"$fifo"
    rm -f "$fifo"
    taskset -c 0 dotnet "$dll" --server "$server" --read direct <&3 >"$log" 2>&1 &
    local pid=$!
    for _ in $(seq 300); do
        grep -q '^listening ' "$log" 2>/dev/null && break
        sleep 0.1
    done
    local port; port="$(sed -n 's/^listening //p' "$log")"
    if [[ -z "$port" ]]; then
        echo "compare.sh: $server did not listen" >&2
        cat "$log" >&2
        kill "$pid" 2>/dev/null || true
        exec 3>&-
        return 1
    fi
    local sources=1
    [[ "$conns" -ge 1000 ]] && sources=4
    taskset -c 1 Benchmarks/native/bin/loadgen --mode echo --port "$port" --conns "$conns" --size "$size" \
        --warmup 2 --duration "$duration" --server-pid "$pid" --sources "$sources" >"$work/loadgen.txt" &
    local loadgen=$!
    # Count inside the measured window: from 3 s after the start to 1 s before its end.
    sleep 3
    local window=$((duration - 2))
    : >"$work/perf.txt"
    rm -f "$work/counters.csv"
    if [[ "$can_perf" == 1 ]]; then
        perf stat -x, -e "$events" -p "$pid" -o "$work/perf.txt" -- sleep "$window" >/dev/null 2>&1 &
    fi
    local perfpid=$!
    if [[ -n "$counters" ]]; then
        "$counters" collect -p "$pid" --counters System.Runtime --refresh-interval 1 --duration "00:00:00:$window" \
            --format csv -o "$work/counters.csv" >/dev/null 2>&1 || true
    fi
    wait "$perfpid" 2>/dev/null || true
    local threads; threads="$(ls "/proc/$pid/task" 2>/dev/null | wc -l)"
    wait "$loadgen"
    echo quit >&3
    wait "$pid" 2>/dev/null || true
    exec 3>&-

    local line; line="$(cat "$work/loadgen.txt")"
    local rate cpu
    rate="$(sed -n 's/.*msgs_per_s=\([0-9.]*\).*/\1/p' <<<"$line")"
    cpu="$(sed -n 's/.*server_cpu=\([0-9.]*\).*/\1/p' <<<"$line")"
    local out
    out="$(awk -v r="$rate" -v c="$cpu" 'BEGIN { printf "msgs/s=%.0f server_cpu=%.3f cpu_us/msg=%.2f", r, c, (r > 0 ? c * 1e6 / r : 0) }')"
    out="$out threads=$threads"
    if [[ -s "$work/perf.txt" ]]; then
        out="$out $(awk -F, '
            /sys_enter_sendto/ { send = $1 }
            /,/ && $1 ~ /^[0-9]+$/ { n[$3] = $1 }
            END {
                if (send <= 0) { print "syscalls=n/a"; exit }
                printf "recvfrom/msg=%.3f sendto/msg=1 epoll_wait/msg=%.3f sched_yield/msg=%.3f futex/msg=%.3f cs/msg=%.3f",
                    n["syscalls:sys_enter_recvfrom"] / send, n["syscalls:sys_enter_epoll_wait"] / send,
                    n["syscalls:sys_enter_sched_yield"] / send, n["syscalls:sys_enter_futex"] / send, n["context-switches"] / send
            }' "$work/perf.txt")"
    fi
    if [[ -s "$work/counters.csv" ]]; then
        # The counter is a rate per second; its mean over the window divided by the message rate.
        out="$out $(awk -F, -v r="$rate" '/thread_pool.work_item.count/ { s += $5; k++ }
            END { if (k > 0 && r > 0) printf "workitems/msg=%.4f", s / k / r }' "$work/counters.csv")"
    fi
    echo "$server ${conns}x$size $out"
}

echo "# compare.sh $(date -u '+%F %H:%M UTC'); load average $(cut -d' ' -f1-3 /proc/loadavg); $rounds rounds of: ${servers//,/ }"
IFS=, read -r -a list <<<"$servers"
for round in $(seq "$rounds"); do
    for server in "${list[@]}"; do
        run_one "$server" || true
    done
done
