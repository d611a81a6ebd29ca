#!/usr/bin/env bash
# benches/http.sh: examples/http_server.rs (corio, one loop per thread)
# against examples/tokio_http_server.rs (tokio) under wrk, side by side.
#
#   benches/http.sh                      # 3 rounds of 5 s per cell
#   CORIO_BENCH_QUICK=1 benches/http.sh  # smoke run: 1 round of 1 s
#
# For each server, thread count ("1" and "all") and connection count
# (50, 500), wrk asks for `/` over keep-alive connections; corio and
# tokio rounds alternate (the order flips every round) so drift on a
# noisy machine hits both alike. Each cell is the median of the rounds.
#
# CPUs: the server and wrk are pinned to separate CPUs with taskset where
# the machine allows. With 4 or more allowed CPUs, wrk gets a quarter of
# them (at least 1) and "all" means every other CPU. With 2 or 3, wrk
# gets the last CPU and the 1-thread server the first; "all" then runs
# one server thread per CPU *sharing them with wrk*, which the table
# says. With 1 CPU nothing is pinned.
#
# Needs wrk (installed with apt-get when missing and running as root).
# Environment: CORIO_BENCH_ROUNDS, CORIO_BENCH_SECONDS override the round
# count and length; CORIO_BENCH_PATH the path asked for (default /).
set -euo pipefail
cd "$(dirname "$0")/.."

quick=${CORIO_BENCH_QUICK:-0}
if [ "$quick" != 0 ]; then
    rounds=${CORIO_BENCH_ROUNDS:-1}
    seconds=${CORIO_BENCH_SECONDS:-1}
    connection_counts=(50)
else
    rounds=${CORIO_BENCH_ROUNDS:-3}
    seconds=${CORIO_BENCH_SECONDS:-5}
    connection_counts=(50 500)
fi
path=${CORIO_BENCH_PATH:-/}

if ! command -v wrk >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "http.sh: installing wrk" >&2
        apt-get install -y -q wrk >/dev/null 2>&1 \
            || { apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null; }
    fi
    command -v wrk >/dev/null || { echo "http.sh: wrk is needed (apt-get install wrk)" >&2; exit 1; }
fi

cargo build --release --quiet --example http_server --example tokio_http_server
target_dir=$(cargo metadata --format-version 1 --no-deps \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
bin_dir="$target_dir/release/examples"

# The CPUs this process may use, from its affinity list ("0-3,6").
cpus=()
IFS=',' read -ra ranges < <(grep Cpus_allowed_list /proc/self/status | awk '{print $2}')
for range in "${ranges[@]}"; do
    if [[ $range == *-* ]]; then
        for ((c = ${range%-*}; c <= ${range#*-}; c++)); do cpus+=("$c"); done
    else
        cpus+=("$range")
    fi
done
ncpu=${#cpus[@]}
join() { local IFS=,; echo "$*"; }
if [ "$ncpu" -ge 4 ]; then
    nwrk=$((ncpu / 4))
    wrk_cpus=$(join "${cpus[@]:ncpu-nwrk}")
    server_list=("${cpus[@]:0:ncpu-nwrk}")
    all_threads=${#server_list[@]}
    all_cpus=$(join "${server_list[@]}")
    all_note="server on CPUs $all_cpus, wrk on $wrk_cpus"
elif [ "$ncpu" -ge 2 ]; then
    nwrk=1
    wrk_cpus=${cpus[ncpu - 1]}
    server_list=("${cpus[@]:0:ncpu-1}")
    all_threads=$ncpu
    all_cpus=$(join "${cpus[@]}")
    all_note="server threads on all $ncpu CPUs, SHARED with wrk (CPU $wrk_cpus)"
else
    nwrk=1
    wrk_cpus=""
    server_list=("${cpus[@]}")
    all_threads=1
    all_cpus=""
    all_note="one CPU: nothing pinned, server and wrk share it"
fi
one_cpu=${server_list[0]}
[ "$ncpu" -ge 2 ] || one_cpu=""

tmp=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT

pinned() { # pinned CPUS command...: run on CPUS when given
    local on=$1; shift
    if [ -n "$on" ]; then taskset -c "$on" "$@"; else "$@"; fi
}

# start_server NAME THREADS CPUS: starts it, sets $addr and $server_pid.
start_server() {
    local out="$tmp/$1.out"
    pinned "$3" "$bin_dir/$1" --threads "$2" --port 0 >"$out" 2>"$tmp/$1.err" &
    server_pid=$!
    pids+=("$server_pid")
    for _ in $(seq 100); do
        addr=$(sed -n 's/^listening on //p' "$out")
        [ -n "$addr" ] && return 0
        sleep 0.05
    done
    echo "http.sh: $1 did not start:" >&2
    cat "$tmp/$1.err" >&2
    exit 1
}

# Latency value ("812.00us", "1.25ms", "1.02s") in milliseconds.
to_ms() {
    awk -v v="$1" 'BEGIN {
        if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
        else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
        else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.3f", v * 1000 }
        else printf "nan" }'
}

# bench ADDR CONNECTIONS: one wrk round; prints "req_s p50_ms p99_ms errors".
bench() {
    local threads=$nwrk
    [ "$threads" -le "$2" ] || threads=$2
    local report
    report=$(pinned "$wrk_cpus" wrk -t "$threads" -c "$2" -d "${seconds}s" --latency \
        "http://$1$path" 2>&1) || echo "http.sh: wrk failed: $report" >&2
    local rps p50 p99 errors
    rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$report")
    p50=$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$report")")
    p99=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$report")")
    errors=$(awk '/Socket errors|Non-2xx/ {gsub(/[^0-9 ]/, " "); for (i = 1; i <= NF; i++) s += $i}
        END {print s + 0}' <<<"$report")
    echo "${rps:-0} $p50 $p99 $errors"
}

median() { tr ' ' '\n' <<<"$*" | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

echo "http.sh: $ncpu CPU(s) [${cpus[*]}]; wrk on CPU(s) ${wrk_cpus:-any}; $rounds round(s) of ${seconds} s; GET $path"
echo "  1 thread: server on CPU ${one_cpu:-any}"
echo "  all     : $all_threads thread(s), $all_note"
echo

rows=()
for mode in 1 all; do
    if [ "$mode" = 1 ]; then threads=1 on=$one_cpu; else threads=$all_threads on=$all_cpus; fi
    start_server http_server "$threads" "$on"
    corio_addr=$addr corio_pid=$server_pid
    start_server tokio_http_server "$threads" "$on"
    tokio_addr=$addr tokio_pid=$server_pid
    for conns in "${connection_counts[@]}"; do
        declare -A got=()
        if [ "$quick" = 0 ]; then # warm both up (allocators, page cache, wrk)
            seconds_saved=$seconds seconds=1
            bench "$corio_addr" "$conns" >/dev/null
            bench "$tokio_addr" "$conns" >/dev/null
            seconds=$seconds_saved
        fi
        for ((r = 1; r <= rounds; r++)); do
            order=(corio tokio)
            [ $((r % 2)) = 0 ] && order=(tokio corio)
            for who in "${order[@]}"; do
                if [ "$who" = corio ]; then a=$corio_addr; else a=$tokio_addr; fi
                read -r rps p50 p99 errors < <(bench "$a" "$conns")
                got[$who.rps]+="$rps " got[$who.p50]+="$p50 " got[$who.p99]+="$p99 "
                got[$who.err]=$((${got[$who.err]:-0} + errors))
                printf '  %-4s threads=%-3s conns=%-4s round %d: %-5s %10.0f req/s  p50 %8.3f ms  p99 %8.3f ms  errors %s\n' \
                    "$mode" "$threads" "$conns" "$r" "$who" "$rps" "$p50" "$p99" "$errors"
            done
        done
        c_rps=$(median ${got[corio.rps]}) t_rps=$(median ${got[tokio.rps]})
        ratio=$(awk -v c="$c_rps" -v t="$t_rps" 'BEGIN { if (t > 0) printf "%.2f", c / t; else print "nan" }')
        rows+=("$(printf '| %-4s | %3s | %5s | %10.0f | %10.0f | %5s | %8.3f | %8.3f | %8.3f | %8.3f | %s/%s |' \
            "$mode" "$threads" "$conns" "$c_rps" "$t_rps" "$ratio" \
            "$(median ${got[corio.p50]})" "$(median ${got[tokio.p50]})" \
            "$(median ${got[corio.p99]})" "$(median ${got[tokio.p99]})" \
            "${got[corio.err]}" "${got[tokio.err]}")")
        unset got
    done
    kill "$corio_pid" "$tokio_pid" 2>/dev/null || true
    wait "$corio_pid" "$tokio_pid" 2>/dev/null || true
done

echo
echo "medians of $rounds round(s); latencies in ms; errors = wrk socket errors + non-2xx, corio/tokio"
echo "| mode | thr | conns | corio req/s | tokio req/s | ratio | corio p50 | tokio p50 | corio p99 | tokio p99 | errors |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
