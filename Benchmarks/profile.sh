#!/usr/bin/env bash
# Where an echo server spends its CPU: perf record -g on one server under the C load generator.
#
#   Benchmarks/profile.sh --server tasks|reactor|libuv|sockets|c-epoll [--conns 100] [--size 1024] [--duration 10]
#                         [--read direct|zero] [--out DIR] [--echo-server DLL]
#
# The server is pinned to core 0 and the load generator to core 1, as in the matrix. The .NET servers run with
# DOTNET_PerfMapEnabled=1, so perf names JIT-compiled frames from /tmp/perf-<pid>.map, DOTNET_EnableWriteXorExecute=0
# (with W^X the JIT's code is mapped from a memfd, and perf shows it as memfd:doublemapper instead of using the map),
# and DOTNET_TieredCompilation=0, so the recording holds steady-state code and not the JIT compiling it (on a busy
# machine the server may get too little CPU to finish tiering up before the recording starts). Writes DIR/<server>-<conns>x<size>
# .data (the recording) and .txt: the loadgen line, the share of CPU per DSO (kernel, coreclr, libuv, JIT code...),
# the hottest symbols by self time and by inclusive time. Shares are what to read on a busy machine; absolute rates
# are not comparable across runs. Needs perf and permission to profile (root, or kernel.perf_event_paranoid <= 1).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

server=tasks conns=100 size=1024 duration=10 read=direct out="${TMPDIR:-/tmp}/anynet-profiles" dll=
while [[ $# -gt 0 ]]; do
    case "$1" in
        --server) server="$2" ;;
        --conns) conns="$2" ;;
        --size) size="$2" ;;
        --duration) duration="$2" ;;
        --read) read="$2" ;;
        --out) out="$2" ;;
        --echo-server) dll="$2" ;;
        *) echo "profile.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift 2
done

command -v perf >/dev/null || { echo "profile.sh: perf is needed (linux-perf)" >&2; exit 1; }
mkdir -p "$out" Benchmarks/native/bin
for program in loadgen echo_epoll; do
    if [[ ! -x "Benchmarks/native/bin/$program" || "Benchmarks/native/$program.c" -nt "Benchmarks/native/bin/$program" ]]; then
        gcc -O2 -Wall -Wextra -Werror -o "Benchmarks/native/bin/$program" "Benchmarks/native/$program.c"
    fi
done

ulimit -n 65536 2>/dev/null || true
name="$server-${conns}x$size"
fifo="$(mktemp -u)"
mkfifo "$fifo"
exec 3<>"$fifo"
rm -f "$fifo"
if [[ "$server" == "c-epoll" ]]; then
    taskset -c 0 Benchmarks/native/bin/echo_epoll 0 <&3 >"$out/$name.server.log" 2>&1 &
else
    if [[ -z "$dll" ]]; then
        dotnet build Benchmarks/AnyNet.Benchmarks.EchoServer -c Release -nologo -v quiet -clp:NoSummary >/dev/null
        dll=Benchmarks/AnyNet.Benchmarks.EchoServer/bin/Release/net10.0/AnyNet.Benchmarks.EchoServer.dll
    fi
    DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 DOTNET_TieredCompilation=0 taskset -c 0 dotnet "$dll" \
        --server "$server" --read "$read" <&3 >"$out/$name.server.log" 2>&1 &
fi
pid=$!
for _ in $(seq 300); do
    grep -q '^listening ' "$out/$name.server.log" 2>/dev/null && break
    sleep 0.1
done
port="$(sed -n 's/^listening //p' "$out/$name.server.log")"
[[ -n "$port" ]] || { echo "profile.sh: the server did not listen" >&2; cat "$out/$name.server.log" >&2; kill "$pid"; exit 1; }

sources=1
[[ "$conns" -ge 1000 ]] && sources=4
taskset -c 1 Benchmarks/native/bin/loadgen --mode echo --port "$port" --conns "$conns" --size "$size" \
    --warmup 2 --duration "$((duration + 2))" --server-pid "$pid" --sources "$sources" >"$out/$name.loadgen.txt" &
loadgen=$!
# Record the middle of the measured window: after the warm-up, before the end.
sleep 3
perf record -F 1999 -g -p "$pid" -o "$out/$name.data" -- sleep "$duration" 2>/dev/null
wait "$loadgen"
echo quit >&3
wait "$pid" || true
exec 3>&-

{
    echo "# $name (read=$read) $(date -u '+%F %H:%M UTC'); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "## loadgen"
    cat "$out/$name.loadgen.txt"
    echo "## CPU share per DSO"
    perf report -i "$out/$name.data" --no-children --sort dso -g none --stdio 2>/dev/null | grep -v '^#' | grep -v '^$' | head -15
    echo "## hottest symbols, self time"
    perf report -i "$out/$name.data" --no-children --sort dso,symbol --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -45
    echo "## hottest symbols, inclusive time"
    perf report -i "$out/$name.data" --children --sort symbol --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -45
} >"$out/$name.txt"
echo "profile.sh: wrote $out/$name.txt"
