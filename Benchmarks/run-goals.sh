#!/usr/bin/env bash
# Runs the FastAGI goal scenarios of BENCHMARKS.md, each paired with the C baseline server in
# the same window (this VM's speed drifts, so only same-window ratios compare), and prints one
# line per run. Usage, from Benchmarks/: ./run-goals.sh [ROUNDS]   (default 2)
# Needs: swift, cc, taskset (util-linux). Run it on an otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")"
rounds=${1:-2}
port=4600

swift build -c release >/dev/null
mkdir -p .build
cc -O2 -o .build/agi-load-c agi-load-c/agi-load.c
cc -O2 -o .build/agi-reference-server reference-c/agi-reference-server.c

helpline=(taskset -c 0 .build/release/agi-bench-server --port "$port" --threads 1)
baseline=(taskset -c 0 .build/agi-reference-server "$port")
load=(taskset -c 1 .build/agi-load-c --port "$port")

# run LABEL SERVER_ARRAY_NAME LOAD_ARGS… : one fresh server, one load run, one summary line
run() {
    local label=$1 server=$2
    shift 2
    local -n command=$server
    "${command[@]}" >/dev/null 2>&1 &
    local pid=$!
    for _ in $(seq 1 50); do
        if (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
        sleep 0.1
    done
    local server_pid
    server_pid=$(pgrep -P "$pid" || echo "$pid")
    local result
    result=$("${load[@]}" --server-pid "$server_pid" "$@" | grep '^RESULT')
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    printf '%-28s %s\n' "$label" "$(echo "$result" | tr ' ' '\n' | grep -E '^(sessions_per_s|commands_per_s|errors|p99_us|first_p99_us|later_p99_us|server_cpu_us_per_session|server_rss_held_mb|held)=' | tr '\n' ' ')"
}

for round in $(seq 1 "$rounds"); do
    echo "# round $round"
    run "throughput helpline" helpline --concurrency 100 --duration 8
    run "throughput C baseline" baseline --concurrency 100 --duration 8
    run "idle-10000 helpline" helpline --idle 10000 --hold 10
    run "latency-2k helpline" helpline --concurrency 1000 --duration 8 --think 500
    run "latency-2k C baseline" baseline --concurrency 1000 --duration 8 --think 500
    run "latency-10k helpline" helpline --concurrency 1000 --duration 8 --think 100
    run "latency-10k C baseline" baseline --concurrency 1000 --duration 8 --think 100
done
