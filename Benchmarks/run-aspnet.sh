#!/usr/bin/env bash
# ASP.NET Core on AnyNet: Samples/AspNetHello on every AnyNet backend and on Kestrel's own Sockets transport, measured
# with wrk in the same run.
#
#   Benchmarks/run-aspnet.sh                 (also: Benchmarks/run.sh --aspnet)
#   options: --servers kestrel,tasks,reactor,libuv,kestrel-inline,reactor-inline,libuv-inline
#            --paths plaintext,json  --conns 10,100,1000  --duration 5  --warmup 1
#            --server-core 0  --client-core 1  --out Benchmarks/results
#
# Every server is started at once, pinned to the server core (taskset); wrk -t1 runs pinned to the client core. Each
# cell (path x connections) is measured on every server back to back, so a disturbance from other work hits all servers
# of a cell alike. "-inline" servers set UnsafePreferInlineScheduling (Kestrel and the application run on the I/O thread).
# Records requests/s, p99 latency (wrk --latency) and each server's peak RSS (VmHWM) over the run.
# Writes <out>/aspnet.md and <out>/aspnet.csv.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

servers="kestrel,tasks,reactor,libuv,kestrel-inline,reactor-inline,libuv-inline"
paths="plaintext,json"
conns="10,100,1000"
duration=5
warmup=1
server_core=0
client_core=1
out="$root/Benchmarks/results"
while [[ $# -gt 0 ]]; do
    case "$1" in
        --servers) servers="$2"; shift 2 ;;
        --paths) paths="$2"; shift 2 ;;
        --conns) conns="$2"; shift 2 ;;
        --duration) duration="$2"; shift 2 ;;
        --warmup) warmup="$2"; shift 2 ;;
        --server-core) server_core="$2"; shift 2 ;;
        --client-core) client_core="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        *) echo "run-aspnet.sh: unknown option $1" >&2; exit 2 ;;
    esac
done

for tool in wrk taskset curl; do
    command -v "$tool" >/dev/null || { echo "run-aspnet.sh: $tool is needed" >&2; exit 1; }
done
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

dotnet build Samples/AspNetHello -c Release -nologo -v quiet -clp:NoSummary
app="$root/Samples/AspNetHello/bin/Release/net10.0/AspNetHello.dll"
mkdir -p "$out"
logs="$(mktemp -d)"

declare -A pid port
cleanup() {
    for s in "${!pid[@]}"; do kill "${pid[$s]}" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT

IFS=',' read -r -a server_list <<< "$servers"
next_port=5700
for s in "${server_list[@]}"; do
    backend="${s%-inline}"
    inline=false
    [[ "$s" == *-inline ]] && inline=true
    port[$s]=$next_port
    next_port=$((next_port + 1))
    # Environment.ProcessorCount follows the affinity mask, so the loop backends run one loop on the one core.
    taskset -c "$server_core" dotnet "$app" --backend "$backend" --inline "$inline" --port "${port[$s]}" --https-port 0 \
        > "$logs/$s.log" 2>&1 &
    pid[$s]=$!
done

ready=()
for s in "${server_list[@]}"; do
    ok=false
    for _ in $(seq 100); do
        if curl -sf -o /dev/null "http://127.0.0.1:${port[$s]}/plaintext"; then ok=true; break; fi
        if ! kill -0 "${pid[$s]}" 2>/dev/null; then break; fi
        sleep 0.2
    done
    if $ok; then
        ready+=("$s")
    else
        echo "run-aspnet.sh: $s did not start; skipped. Its log:" >&2
        sed 's/^/    /' "$logs/$s.log" >&2
    fi
done

# wrk prints latency as 812.00us / 1.23ms / 2.00s: convert to ms.
to_ms() {
    awk -v v="$1" 'BEGIN {
        if (v ~ /us$/) { sub(/us$/, "", v); printf "%.2f", v / 1000 }
        else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.2f", v }
        else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.2f", v * 1000 }
        else { print "?" } }'
}

csv="$out/aspnet.csv"
echo "path,connections,server,requests_per_s,p99_ms,errors" > "$csv"
IFS=',' read -r -a path_list <<< "$paths"
IFS=',' read -r -a conn_list <<< "$conns"
declare -A rps p99
started="$(date -u '+%Y-%m-%d %H:%M UTC')"
for path in "${path_list[@]}"; do
    for c in "${conn_list[@]}"; do
        for s in "${ready[@]}"; do
            url="http://127.0.0.1:${port[$s]}/$path"
            taskset -c "$client_core" wrk -t1 -c"$c" -d"${warmup}s" "$url" > /dev/null 2>&1 || true
            result="$(taskset -c "$client_core" wrk -t1 -c"$c" -d"${duration}s" --latency "$url" 2>&1 || true)"
            r="$(awk '/^Requests\/sec:/ { printf "%d", $2 }' <<< "$result")"
            l="$(awk '$1 == "99%" { print $2 }' <<< "$result")"
            e="$(awk '/Socket errors:|Non-2xx/ { print }' <<< "$result" | tr '\n' ' ')"
            rps[$path,$c,$s]="${r:-0}"
            p99[$path,$c,$s]="$(to_ms "${l:-?}")"
            echo "$path,$c,$s,${r:-0},${p99[$path,$c,$s]},\"$e\"" >> "$csv"
            printf '%-10s %5s %-15s %8s req/s  p99 %8s ms  %s\n' "$path" "$c" "$s" "${r:-0}" "${p99[$path,$c,$s]}" "$e"
        done
    done
done

declare -A rss
for s in "${ready[@]}"; do
    rss[$s]="$(awk '/^VmHWM:/ { printf "%.1f MiB", $2 / 1024 }' "/proc/${pid[$s]}/status" 2>/dev/null || echo "?")"
done

md="$out/aspnet.md"
{
    echo "# ASP.NET Core on AnyNet: AspNetHello under wrk"
    echo
    echo "Run $started on $(nproc) cores ($(uname -r)); server on core $server_core, wrk -t1 on core $client_core;"
    echo "${warmup} s warm-up + ${duration} s per cell; every server measured back to back in each cell."
    echo "K = ratio to Kestrel's Sockets transport (\`kestrel\`) in the same cell."
    echo
    header="| path | conns |"
    rule="|---|---:|"
    for s in "${ready[@]}"; do header+=" $s |"; rule+="---:|"; done
    echo "$header"
    echo "$rule"
    for path in "${path_list[@]}"; do
        for c in "${conn_list[@]}"; do
            row="| /$path | $c |"
            base="${rps[$path,$c,kestrel]:-0}"
            for s in "${ready[@]}"; do
                r="${rps[$path,$c,$s]}"
                cell="$r req/s, p99 ${p99[$path,$c,$s]} ms"
                if [[ "$s" != "kestrel" && "$base" -gt 0 ]]; then
                    cell+=" ($(awk -v a="$r" -v b="$base" 'BEGIN { printf "%.2fx K", a / b }'))"
                fi
                row+=" $cell |"
            done
            echo "$row"
        done
    done
    echo
    echo "| server | peak RSS (VmHWM) |"
    echo "|---|---:|"
    for s in "${ready[@]}"; do echo "| $s | ${rss[$s]} |"; done
} > "$md"
echo
cat "$md"
