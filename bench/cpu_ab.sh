#!/bin/bash
# Server CPU per operation of two servers measured side by side, in the same seconds.
#
# This machine drifts between speed states (~30 % apart) within minutes, so runs taken one after
# the other can differ more than the servers do. Here both servers run at once, pinned to CPU 0,
# each loaded by its own client on CPU 1 for the same 5 s; the CPU time each used (utime+stime
# from /proc) divided by the operations it served gives µs/op under the same machine state.
# Sharing CPU 0 costs each a little; the ratio B/A is what to read (it repeats within ~1 %).
#
# usage: bench/cpu_ab.sh echo|http "A command" "B command" [rounds]
#   echo: E1's load (echoload, 50 connections, 64-byte ping-pong); http: H1's (wrk, GET /0/hello)
#   Each command is started with --port P appended.
#   PEERS_BIN: where echoload is (default /tmp/pb/bin, as ../shared/peers builds it).
# e.g. bench/cpu_ab.sh http /tmp/pb/bin/raw-epoll-delay "build/release/apps/evq delay-server --quiet"
set -euo pipefail
mode=$1 a=$2 b=$3 rounds=${4:-3}
bin=${PEERS_BIN:-/tmp/pb/bin}
port_a=18201 port_b=18202

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

load() {
  if [ "$mode" = echo ]; then
    taskset -c 1 timeout 30 "$bin/echoload" --port "$1" --conns 50 --size 64 --warmup 0 \
      --duration 5 | grep -o 'roundtrips=[0-9]*' | cut -d= -f2
  else
    taskset -c 1 timeout 30 wrk -t1 -c50 -d5s "http://127.0.0.1:$1/0/hello" |
      awk '/requests in/ {print $1}'
  fi
}

for ((round = 1; round <= rounds; round++)); do
  # shellcheck disable=SC2086  # the commands are word-split on purpose
  taskset -c 0 $a --port $port_a > /dev/null 2>&1 &
  pid_a=$!
  # shellcheck disable=SC2086
  taskset -c 0 $b --port $port_b > /dev/null 2>&1 &
  pid_b=$!
  sleep 0.5
  a0=$(cpu_ticks $pid_a) b0=$(cpu_ticks $pid_b)
  load $port_a > /tmp/cpu_ab.a &
  load_a=$!
  load $port_b > /tmp/cpu_ab.b &
  load_b=$!
  wait $load_a $load_b
  a1=$(cpu_ticks $pid_a) b1=$(cpu_ticks $pid_b)
  kill -TERM $pid_a $pid_b
  wait $pid_a $pid_b 2> /dev/null || true
  hz=$(getconf CLK_TCK)
  awk -v a=$((a1 - a0)) -v b=$((b1 - b0)) -v na="$(cat /tmp/cpu_ab.a)" -v nb="$(cat /tmp/cpu_ab.b)" \
    -v hz="$hz" -v r=$round 'BEGIN {
      ua = a * 1e6 / hz / na; ub = b * 1e6 / hz / nb
      printf "round %d: A %.3f us/op (%d ops)  B %.3f us/op (%d ops)  B/A %.3f\n", r, ua, na, ub, nb, ub / ua
    }'
done
