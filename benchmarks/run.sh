#!/usr/bin/env bash
# WaveLink's benchmarks, each bounded in time; results under benchmarks/results/<UTC time>/ (see
# docs/benchmarks.md). Run them one at a time on an otherwise idle machine: every figure is CPU-bound.
#
#   benchmarks/run.sh [all | decisions | coldstarts | warm | contention | population | cpuburst | async]...  (default: all; bin/wavelink benchmarks ...)
#
#   decisions   JMH: Autoscaler.record/decide, Placement over 10/100/1000 nodes (ns/op)   ~5 min
#   coldstarts  emergency cold starts per second and their latency, one in-process member  ~8 min
#   warm        wrk against the gateway (warm echo) and a raw Pekko HTTP server, alternated ~3 min
#   contention  (not in all) loadgen compare of sync, async and dual on many functions sharing one
#               node's memory (benchmarks/workloads/contention, 24 functions, 4 minutes), a fresh
#               bin/wavelink start per run, the regular-track delays alternated  ~14 min per run
#   population  (not in all) one fresh member: heap after POPULATION_PROBES [100000] calls of names
#               never deployed, deploy rate of POPULATION_FUNCTIONS [100000] echo functions
#               (POPULATION_PARALLEL [8] at once), heap and idle CPU once they passivated, first calls
#               (POPULATION_JAVA_OPTS [-Xmx4g]); POPULATION_IDLE=0 stops after the deploys; then
#               POPULATION_KEEP [1000] functions with minScale 1 (2 MB each, node capacity
#               POPULATION_CAPACITY_MB [4096]) and, unless POPULATION_RESTART=0, a restart with the same
#               data: time to ready, first calls after it, minScale instances back
#               ~12 min + the deploys
#   async       (not in all) asynchronous invocations on one member: wrk submits async calls of a
#               warm echo (asyncConcurrency ASYNC_CONCURRENCY [64]) for ASYNC_SECONDS [60] with
#               WRK_CONNECTIONS; accepted calls/s and latency, then how fast the backlog drains
#               (up to ASYNC_DRAIN_MAX [1200] s), after ASYNC_WARMUP [20] s of the same load and its
#               drain  ~3 min + the drains
#   cpuburst    (not in all) CPU-bound bursts (the work example, CPUBURST_CALLS [200] concurrent calls
#               of CPUBURST_ROUNDS [100000] rounds) on cold dual functions whose module the node has
#               not compiled yet, RUNS times, in one in-process member; then emergency against
#               regular execution time once compiled  ~3 min
#
# Environment (defaults in brackets):
#   RUNS [3]              repetitions of each cold-start configuration and of each wrk run
#   JMH_FORKS [3]         JMH forks (fresh JVMs) per benchmark; JMH_ITERATIONS [5] x 1 s after 3 x 1 s warm-up
#   COLD_SECONDS [20]     measured seconds per cold-start run, after COLD_WARMUP [10] s of the same load
#   COLD_FUNCTIONS [2000] cold functions deployed per run; COLD_BURST [25] invocations per burst
#   COLD_PARALLEL [4]     bursts in flight in the closed loop
#   COLD_RATE [2500]      offered invocations per second in the open-loop run
#   COLD_CONFIGS ["direct-closed direct-open http-closed"]   which cold-start configurations to run
#   WRK_SECONDS [15]      seconds per wrk run; WRK_WARMUP [30]; WRK_CONNECTIONS [32]; WRK_THREADS [1]
#   JAVA_OPTS [-Xms1g -Xmx1g]   JVM flags of the member and raw-server JVMs
#   RESULTS               results directory (default benchmarks/results/<UTC time>)
#   QUIET_MAX_BUSY [25]   before each measured run, wait (up to QUIET_WAIT [120] s) until the machine's
#                         CPUs are at most this % busy; the busy level seen is logged in load.log
#   OTHERS_MAX [10]       a run during which other processes used more than this % of the machine is
#                         disturbed: it is moved to disturbed/ and repeated, up to RETRIES [2] times
#   CONTENTION_CAPACITY_MB [3584]  the node's capacity in the contention runs (a third of the peak
#                         the workload reserves when memory is not short)
#   CONTENTION_DELAYS ["1500 0"]   regular-track delays (ms), alternated, RUNS rounds of each
set -euo pipefail
# The benchmarks measure the control plane with API keys off (WAVELINK_AUTH=off, which the members
# they start inherit); the key check's own cost on the warm path is not in these figures.
export WAVELINK_AUTH="${WAVELINK_AUTH:-off}"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET="$ROOT/benchmarks/target"
RUNS="${RUNS:-3}"
JAVA_OPTS="${JAVA_OPTS:--Xms1g -Xmx1g}"
OUT="${RESULTS:-$ROOT/benchmarks/results/$(date -u +%Y%m%dT%H%M%SZ)}"
QUIET_MAX_BUSY="${QUIET_MAX_BUSY:-25}"
QUIET_WAIT="${QUIET_WAIT:-120}"
OTHERS_MAX="${OTHERS_MAX:-10}"
RETRIES="${RETRIES:-2}"

PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT
trap 'echo "[$(date -u +%H:%M:%S)] interrupted by a signal: stopping what this run started" | tee -a "$OUT/run.log"; exit 130' INT TERM HUP

log() { echo "[$(date -u +%H:%M:%S)] $*" | tee -a "$OUT/run.log"; }

# Runs a step in the background and waits for it, so that a signal to this script is handled at once
# (bash runs traps only between foreground commands) and stops the step too. Returns its exit code.
step() { # command...
  "$@" &
  local pid=$!
  PIDS+=("$pid")
  wait "$pid"
}

build() {
  if ! ls "$TARGET"/wavelink-benchmarks-*.jar >/dev/null 2>&1 || [[ ! -d "$TARGET/lib" ]]; then
    echo "Building the benchmarks module ..."
    (cd "$ROOT" && ./mvnw -B -q install -DskipTests -pl benchmarks -am)
  fi
}

# WaveLink's jars first (their reference.conf must win over the Pekko jars' defaults), then the rest
classpath() {
  local jar own
  jar=$(ls "$TARGET"/wavelink-benchmarks-*.jar | grep -v -e '-tests\.jar$' | head -n 1)
  own=$(ls "$TARGET"/lib/wavelink-*.jar | tr '\n' ':')
  echo "$jar:$own$TARGET/lib/*"
}

# the command line of a benchmark JVM (member, raw server): java_cmd; "${JAVA_CMD[@]}" CLASS ARGS...
java_cmd() {
  # shellcheck disable=SC2206
  JAVA_CMD=(java $JAVA_OPTS -Dlogback.configurationFile=benchmarks-logback.xml -cp "$CP")
}

# Percent of all CPUs busy over one second, from /proc/stat.
cpu_busy() {
  local a b
  read -r -a a < <(grep '^cpu ' /proc/stat)
  sleep 1
  read -r -a b < <(grep '^cpu ' /proc/stat)
  local total=0 idle i
  for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
  idle=$(((b[4] - a[4]) + (b[5] - a[5])))
  echo $(((100 * (total - idle)) / (total > 0 ? total : 1)))
}

# Waits (bounded) for other work on the machine to calm down; logs what it saw.
await_quiet() { # label
  local end=$((SECONDS + QUIET_WAIT)) busy
  busy=$(cpu_busy)
  while ((busy > QUIET_MAX_BUSY && SECONDS < end)); do
    sleep 4
    busy=$(cpu_busy)
  done
  {
    echo "== $1 at $(date -u +%H:%M:%S): CPUs ${busy}% busy just before (load $(cut -d' ' -f1-3 /proc/loadavg))"
    ps -eo pid,pcpu,etime,comm --sort=-pcpu | head -n 5
  } >>"$OUT/load.log"
  if ((busy > QUIET_MAX_BUSY)); then
    log "WARNING: the machine was still ${busy}% busy before $1 (other processes; see load.log)"
  fi
}

# CPU time (jiffies) of this script's process tree: itself and its live descendants, each with the
# time of the children it has reaped
tree_jiffies() {
  local pid sum=0 f
  for pid in $(ps -e -o pid=,ppid= | awk -v root=$$ '{p[$1] = $2} END {for (x in p) {y = x; while ((y in p) && y != root && y > 1) y = p[y]; if (y == root) print x}}'); do
    f=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null) || continue
    # shellcheck disable=SC2086
    set -- $f # from field 3 (state) on: utime, stime, cutime, cstime are fields 14-17
    sum=$((sum + ${12} + ${13} + ${14} + ${15}))
  done
  echo "$sum"
}

# busy and total jiffies of the whole machine
machine_jiffies() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat; }

# Around each measured run: how much of the machine other processes used meanwhile.
measure_start() {
  read -r M0_BUSY M0_ALL < <(machine_jiffies)
  M0_MINE=$(tree_jiffies)
}
measure_end() { # file-to-write label
  local busy all mine others
  read -r busy all < <(machine_jiffies)
  mine=$(tree_jiffies)
  others=$(((100 * ((busy - M0_BUSY) - (mine - M0_MINE))) / ((all - M0_ALL) > 0 ? (all - M0_ALL) : 1)))
  ((others < 0)) && others=0
  echo "$others" >"$1"
  echo "== $2: other processes used ${others}% of the machine during the run" >>"$OUT/load.log"
  OTHERS=$others
  if ((others > OTHERS_MAX)); then
    log "WARNING: other processes used ${others}% of the machine during $2: its figures are disturbed"
  fi
}

# After a disturbed run: moves its files (dir/name.*) to dir/disturbed/ and says whether to repeat it.
repeat_disturbed() { # dir name attempt
  ((OTHERS > OTHERS_MAX && $3 < RETRIES)) || return 1
  mkdir -p "$1/disturbed"
  local f
  for f in "$1/$2".*; do
    mv "$f" "$1/disturbed/$(basename "$f" | sed "s/^$2\./$2.attempt$(($3 + 1))./")"
  done
  log "repeating $2 (attempt $(($3 + 2)) of $((RETRIES + 1)))"
  return 0
}

# CPU seconds a process has used so far (all its threads)
proc_cpu_seconds() {
  local f
  f=$(sed 's/^.*) //' "/proc/$1/stat")
  # shellcheck disable=SC2086
  set -- $f
  echo "$(((${12} + ${13}) * 1000 / $(getconf CLK_TCK)))" | awk '{printf "%.3f\n", $1 / 1000}'
}

free_port() {
  local port
  while true; do
    port=$((20000 + RANDOM % 30000))
    if ! ss -ltnH 2>/dev/null | awk '{print $4}' | grep -q ":$port\$"; then
      echo "$port"
      return
    fi
  done
}

wait_line() { # file pattern seconds pid
  local end=$((SECONDS + $3))
  until grep -q "$2" "$1" 2>/dev/null; do
    if ! kill -0 "$4" 2>/dev/null; then echo "ERROR: process $4 died; see $1" >&2; tail -n 20 "$1" >&2; exit 1; fi
    if ((SECONDS >= end)); then echo "ERROR: timed out waiting for '$2' in $1" >&2; exit 1; fi
    sleep 0.5
  done
}

CASSANDRA=""
start_cassandra() {
  [[ -n "$CASSANDRA" ]] && return
  local port storage jmx
  port=$(free_port); storage=$(free_port); jmx=$(free_port)
  log "Starting Cassandra on 127.0.0.1:$port (data in $OUT/cassandra) ..."
  java -cp "$CP" io.wavelink.persistence.CassandraServer --dir "$OUT/cassandra" --port "$port" \
    --storage-port "$storage" --jmx-port "$jmx" >"$OUT/cassandra.log" 2>&1 &
  PIDS+=($!)
  wait_line "$OUT/cassandra.log" "CASSANDRA READY" 180 "$!"
  CASSANDRA="127.0.0.1:$port"
}

env_info() {
  {
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores"
    echo "memory: $(free -g | awk '/Mem:/{print $2}') GiB"
    echo "kernel: $(uname -r)"
    echo "java: $(java -version 2>&1 | head -n 2 | tr '\n' ' ')"
    echo "JAVA_OPTS: $JAVA_OPTS"
    echo "wrk: $({ wrk -v 2>&1 || true; } | head -n 1)"
  } >"$OUT/env.txt"
}

# ---------------------------------------------------------------- decisions (JMH)
decisions() {
  await_quiet "decisions"
  log "decisions: JMH, ${JMH_FORKS:-3} forks x ${JMH_ITERATIONS:-5} x 1 s per benchmark ..."
  measure_start
  step timeout 1200 java -cp "$CP" io.wavelink.benchmarks.Decisions --forks "${JMH_FORKS:-3}" \
    --iterations "${JMH_ITERATIONS:-5}" --out "$OUT/decisions" >"$OUT/decisions.log" 2>&1
  measure_end "$OUT/decisions/others" "decisions"
  cat "$OUT/decisions/summary.txt" | tee -a "$OUT/run.log"
}

# ---------------------------------------------------------------- emergency cold starts
coldstarts() {
  start_cassandra
  mkdir -p "$OUT/coldstarts"
  local common=(--cassandra "$CASSANDRA" --functions "${COLD_FUNCTIONS:-2000}" --burst "${COLD_BURST:-25}"
    --seconds "${COLD_SECONDS:-20}" --warmup-seconds "${COLD_WARMUP:-10}")
  local r config args attempt
  for ((r = 1; r <= RUNS; r++)); do
    for config in ${COLD_CONFIGS:-direct-closed direct-open http-closed}; do
      case "$config" in
        direct-closed) args=(--via direct --parallel "${COLD_PARALLEL:-4}") ;;
        direct-open) args=(--via direct --rate "${COLD_RATE:-2500}") ;;
        http-closed) args=(--via http --parallel "${COLD_PARALLEL:-4}") ;;
        *) echo "ERROR: unknown cold-start configuration $config" >&2; exit 2 ;;
      esac
      for ((attempt = 0; ; attempt++)); do
        await_quiet "coldstarts $config run $r"
        log "coldstarts: $config run $r ..."
        measure_start
        step timeout 300 "${JAVA_CMD[@]}" io.wavelink.benchmarks.ColdStarts "${common[@]}" "${args[@]}" \
          --out "$OUT/coldstarts/$config-$r.json" >"$OUT/coldstarts/$config-$r.log" 2>&1 \
          || { log "ERROR: see $OUT/coldstarts/$config-$r.log"; break; }
        measure_end "$OUT/coldstarts/$config-$r.others" "coldstarts $config run $r"
        grep -E '"(emergencyColdStartsPerSecond|p50Ms|p99Ms)"' "$OUT/coldstarts/$config-$r.json" | head -n 3 \
          | tr -d ' \n' | tee -a "$OUT/run.log"
        echo | tee -a "$OUT/run.log"
        repeat_disturbed "$OUT/coldstarts" "$config-$r" "$attempt" || break
      done
    done
  done
}

# ---------------------------------------------------------------- CPU-bound bursts (tiered execution)
cpuburst() {
  start_cassandra
  mkdir -p "$OUT/cpuburst"
  local attempt
  for ((attempt = 0; ; attempt++)); do
    await_quiet "cpuburst"
    log "cpuburst: $RUNS runs of ${CPUBURST_CALLS:-200} calls ..."
    measure_start
    step timeout 900 "${JAVA_CMD[@]}" io.wavelink.benchmarks.CpuBurst --cassandra "$CASSANDRA" --runs "$RUNS" \
      --calls "${CPUBURST_CALLS:-200}" --rounds "${CPUBURST_ROUNDS:-100000}" --out "$OUT/cpuburst/cpuburst.json" \
      >"$OUT/cpuburst/cpuburst.log" 2>&1 \
      || { log "ERROR: see $OUT/cpuburst/cpuburst.log"; break; }
    measure_end "$OUT/cpuburst/cpuburst.others" "cpuburst"
    grep '"run"' "$OUT/cpuburst/cpuburst.json" | tee -a "$OUT/run.log"
    repeat_disturbed "$OUT/cpuburst" "cpuburst" "$attempt" || break
  done
}

# ---------------------------------------------------------------- warm overhead (wrk)
warm() {
  command -v wrk >/dev/null || { echo "ERROR: wrk is not installed (apt-get install -y wrk)" >&2; exit 1; }
  start_cassandra
  mkdir -p "$OUT/warm"
  local raw_port gw_port
  raw_port=$(free_port)
  gw_port=$(free_port)
  log "warm: raw Pekko HTTP on :$raw_port, member with a warm echo on :$gw_port ..."
  "${JAVA_CMD[@]}" io.wavelink.benchmarks.RawHello --port "$raw_port" >"$OUT/warm/raw-server.log" 2>&1 &
  local raw_pid=$!
  PIDS+=($raw_pid)
  wait_line "$OUT/warm/raw-server.log" "RAW READY" 60 "$raw_pid"
  "${JAVA_CMD[@]}" io.wavelink.benchmarks.WarmMember --cassandra "$CASSANDRA" --port "$gw_port" --concurrency 64 >"$OUT/warm/member.log" 2>&1 &
  local gw_pid=$!
  PIDS+=($gw_pid)
  wait_line "$OUT/warm/member.log" "WARM READY" 180 "$gw_pid"

  local raw_url="http://127.0.0.1:$raw_port/echo"
  local gw_url="http://127.0.0.1:$gw_port/v1/functions/echo/invoke"
  local wrk_args=(-t "${WRK_THREADS:-1}" -c "${WRK_CONNECTIONS:-32}" --latency -s "$ROOT/benchmarks/wrk/post.lua")
  log "warm: warm-up ${WRK_WARMUP:-30} s each"
  step wrk "${wrk_args[@]}" -d "${WRK_WARMUP:-30}s" "$raw_url" >"$OUT/warm/warmup-raw.log" 2>&1
  step wrk "${wrk_args[@]}" -d "${WRK_WARMUP:-30}s" "$gw_url" >"$OUT/warm/warmup-gateway.log" 2>&1
  local r target url pid cpu0 attempt
  for ((r = 1; r <= RUNS; r++)); do
    for target in raw gateway; do
      if [[ "$target" == raw ]]; then url="$raw_url" pid=$raw_pid; else url="$gw_url" pid=$gw_pid; fi
      for ((attempt = 0; ; attempt++)); do
        await_quiet "warm $target run $r"
        measure_start
        cpu0=$(proc_cpu_seconds "$pid")
        step wrk "${wrk_args[@]}" -d "${WRK_SECONDS:-15}s" "$url" >"$OUT/warm/$target-$r.txt" 2>&1
        # the server's own CPU seconds during the run (wrk's are not counted)
        awk -v a="$cpu0" -v b="$(proc_cpu_seconds "$pid")" 'BEGIN {printf "%.3f\n", b - a}' >"$OUT/warm/$target-$r.cpu"
        measure_end "$OUT/warm/$target-$r.others" "warm $target run $r"
        log "warm: $target run $r: $(grep -E 'Requests/sec' "$OUT/warm/$target-$r.txt"), server CPU $(cat "$OUT/warm/$target-$r.cpu") s"
        repeat_disturbed "$OUT/warm" "$target-$r" "$attempt" || break
      done
    done
  done
  curl -s "http://127.0.0.1:$gw_port/v1/functions/echo" >"$OUT/warm/function-after.json" 2>/dev/null || true
}

# ---------------------------------------------------------------- async invocations (wrk + drain)
async_calls() {
  command -v wrk >/dev/null || { echo "ERROR: wrk is not installed (apt-get install -y wrk)" >&2; exit 1; }
  start_cassandra
  mkdir -p "$OUT/async"
  local gw_port
  gw_port=$(free_port)
  "${JAVA_CMD[@]}" io.wavelink.benchmarks.WarmMember --cassandra "$CASSANDRA" --port "$gw_port" --concurrency 64 \
    --async-concurrency "${ASYNC_CONCURRENCY:-64}" >"$OUT/async/member.log" 2>&1 &
  local pid=$!
  PIDS+=($pid)
  wait_line "$OUT/async/member.log" "WARM READY" 180 "$pid"
  local url="http://127.0.0.1:$gw_port/v1/functions/echo/invoke"
  # warm-up: the same load (JIT, Cassandra's caches), then its backlog drained, before measuring
  log "async: warm-up ${ASYNC_WARMUP:-20} s"
  step wrk -t "${WRK_THREADS:-1}" -c "${WRK_CONNECTIONS:-32}" -s "$ROOT/benchmarks/wrk/async.lua" \
    -d "${ASYNC_WARMUP:-20}s" "$url" >"$OUT/async/warmup.txt" 2>&1
  local warm_total warm_target
  warm_total=$(awk '/requests in/ {print $1}' "$OUT/async/warmup.txt")
  warm_target=$(( $(grep '^SERVED [0-9]' "$OUT/async/member.log" | head -n 1 | awk '{print $3}') + warm_total ))
  local wdeadline=$(( $(date +%s) + ${ASYNC_DRAIN_MAX:-1200} ))
  while (( $(grep '^SERVED [0-9]' "$OUT/async/member.log" | tail -n 1 | awk '{print $3}') < warm_target )); do
    (( $(date +%s) > wdeadline )) && { log "async: the warm-up's backlog did not drain"; break; }
    sleep 1
  done
  await_quiet "async"
  local before
  before=$(grep '^SERVED [0-9]' "$OUT/async/member.log" | tail -n 1 | awk '{print $3}')
  measure_start
  local t0
  t0=$(date +%s%3N)
  step wrk -t "${WRK_THREADS:-1}" -c "${WRK_CONNECTIONS:-32}" --latency -s "$ROOT/benchmarks/wrk/async.lua" \
    -d "${ASYNC_SECONDS:-60}s" "$url" >"$OUT/async/wrk.txt" 2>&1
  local t1 total non2xx accepted served_at_end target served t2
  t1=$(date +%s%3N)
  total=$(awk '/requests in/ {print $1}' "$OUT/async/wrk.txt")
  non2xx=$(awk -F': ' '/Non-2xx/ {print $2}' "$OUT/async/wrk.txt")
  accepted=$((total - ${non2xx:-0}))
  served_at_end=$(grep '^SERVED [0-9]' "$OUT/async/member.log" | tail -n 1 | awk '{print $3}')
  target=$((before + accepted))
  log "async: $accepted accepted in $(( (t1 - t0) / 1000 )) s ($(grep -E 'Requests/sec' "$OUT/async/wrk.txt")), non-2xx ${non2xx:-0}; $((served_at_end - before)) already run, draining the rest ..."
  local deadline=$(( $(date +%s) + ${ASYNC_DRAIN_MAX:-1200} ))
  while :; do
    served=$(grep '^SERVED [0-9]' "$OUT/async/member.log" | tail -n 1 | awk '{print $3}')
    ((served >= target)) && break
    (( $(date +%s) > deadline )) && { log "async: drain not finished after ${ASYNC_DRAIN_MAX:-1200} s ($served of $target)"; break; }
    sleep 1
  done
  t2=$(date +%s%3N)
  measure_end "$OUT/async/async.others" "async"
  {
    echo "{\"accepted\": $accepted, \"non2xx\": ${non2xx:-0}, \"submitSeconds\": $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", (b - a) / 1000}'),"
    echo " \"acceptedPerSecond\": $(awk -v n="$accepted" -v a="$t0" -v b="$t1" 'BEGIN {printf "%.0f", n * 1000 / (b - a)}'),"
    echo " \"runDuringSubmit\": $((served_at_end - before)), \"backlogAtEnd\": $((target - served_at_end)),"
    echo " \"drainSeconds\": $(awk -v a="$t1" -v b="$t2" 'BEGIN {printf "%.1f", (b - a) / 1000}'),"
    echo " \"drainPerSecond\": $(awk -v n="$((target - served_at_end))" -v a="$t1" -v b="$t2" 'BEGIN {printf "%.0f", n * 1000 / (b - a + 1)}'),"
    echo " \"served\": $((served - before))}"
  } >"$OUT/async/async.json"
  log "async: $(tr -d '\n' <"$OUT/async/async.json")"
}

# ---------------------------------------------------------------- contention (loadgen compare)
contention() {
  mkdir -p "$OUT/contention"
  local r delay port cport run pid attempt
  for ((r = 1; r <= RUNS; r++)); do
    for delay in ${CONTENTION_DELAYS:-1500 0}; do
      run="delay-$delay-run-$r"
      for ((attempt = 0; ; attempt++)); do
        port=$(free_port); cport=$(free_port)
        await_quiet "contention $run"
        log "contention: $run: a fresh member with ${CONTENTION_CAPACITY_MB:-3584} MB on :$port ..."
        rm -rf "$OUT/contention/$run.data"
        WAVELINK_DATA_DIR="$OUT/contention/$run.data" WAVELINK_HTTP_PORT="$port" WAVELINK_CLUSTER_PORT="$cport" \
          WAVELINK_CASSANDRA_PORT="$(free_port)" WAVELINK_CASSANDRA_STORAGE_PORT="$(free_port)" \
          WAVELINK_CASSANDRA_JMX_PORT="$(free_port)" WAVELINK_NODE_CAPACITY_MB="${CONTENTION_CAPACITY_MB:-3584}" \
          "$ROOT/bin/wavelink" start >"$OUT/contention/$run.member.log" 2>&1 &
        pid=$!
        PIDS+=($pid)
        wait_line "$OUT/contention/$run.member.log" "WaveLink ready" 300 "$pid"
        measure_start
        step "$ROOT/bin/wavelink" loadgen compare --trace "$ROOT/benchmarks/workloads/contention" --speedup 10 \
          --target "http://127.0.0.1:$port" --out "$OUT/contention/$run.out" --regular-track-delay "$delay" --quiet \
          >"$OUT/contention/$run.log" 2>&1 || log "ERROR: see $OUT/contention/$run.log"
        measure_end "$OUT/contention/$run.others" "contention $run"
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        rm -rf "$OUT/contention/$run.data"
        tail -n 22 "$OUT/contention/$run.log" | tee -a "$OUT/run.log"
        repeat_disturbed "$OUT/contention" "$run" "$attempt" || break
      done
    done
  done
  java -cp "$CP" io.wavelink.benchmarks.ContentionSummary "$OUT/contention" | tee "$OUT/contention/summary.md"
}

# ---------------------------------------------------------------- population (many functions, one member)
# Heap after a full GC (jcmd GC.run, then GC.heap_info's "used"), in KiB
heap_used_kb() { # pid
  jcmd "$1" GC.run >/dev/null 2>&1 || true
  jcmd "$1" GC.heap_info 2>/dev/null | awk '/used/ {for (i = 1; i <= NF; i++) if ($i == "used") {sub(/K,?$/, "", $(i + 1)); print $(i + 1); exit}}'
}

# Sends one request per name in a curl config (curl -Z, POPULATION_PARALLEL at once, connections
# reused) and writes one status code per line to $3.
curl_many() { # config-file extra-args-file status-file
  # shellcheck disable=SC2046
  step curl -s --no-progress-meter -Z --parallel-max "${POPULATION_PARALLEL:-8}" $(cat "$2") -w '%{http_code}\n' -K "$1" >"$3" || true
}

population() {
  mkdir -p "$OUT/population"
  local dir="$OUT/population" n="${POPULATION_FUNCTIONS:-100000}" probes="${POPULATION_PROBES:-100000}"
  local port cport pid i t0 t1 kb0 kb1 kb2 c0 c1
  port=$(free_port); cport=$(free_port)
  await_quiet "population"
  rm -rf "$dir/data"
  local member_env=(WAVELINK_DATA_DIR="$dir/data" WAVELINK_HTTP_PORT="$port" WAVELINK_CLUSTER_PORT="$cport"
    WAVELINK_CASSANDRA_PORT="$(free_port)" WAVELINK_CASSANDRA_STORAGE_PORT="$(free_port)"
    WAVELINK_CASSANDRA_JMX_PORT="$(free_port)" JAVA_OPTS="${POPULATION_JAVA_OPTS:--Xmx4g}"
    WAVELINK_NODE_CAPACITY_MB="${POPULATION_CAPACITY_MB:-4096}")
  log "population: a fresh member (${POPULATION_JAVA_OPTS:--Xmx4g}) on :$port ..."
  env "${member_env[@]}" "$ROOT/bin/wavelink" start >"$dir/member.log" 2>&1 &
  pid=$!
  PIDS+=($pid)
  wait_line "$dir/member.log" "WaveLink ready" 300 "$pid"
  local base="http://127.0.0.1:$port/v1/functions"
  kb0=$(heap_used_kb "$pid")
  log "population: heap after a full GC at start: $((kb0 / 1024)) MiB"

  # 1. probes of names never deployed (issue 11: they must cost nothing lasting)
  for ((i = 0; i < probes; i++)); do printf 'url = "%s/probe-%08x-%d/invoke"\noutput = "/dev/null"\n' "$base" "$((RANDOM * 32768 + RANDOM))" "$i"; done >"$dir/probes.cfg"
  echo "-X POST -d x" >"$dir/probes.args"
  t0=$(date +%s.%N)
  curl_many "$dir/probes.cfg" "$dir/probes.args" "$dir/probes.status"
  t1=$(date +%s.%N)
  kb1=$(heap_used_kb "$pid")
  log "population: $probes probes of names never deployed in $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", b - a}') s," \
    "answers $(sort "$dir/probes.status" | uniq -c | tr '\n' ' '); heap after a full GC: $((kb1 / 1024)) MiB"

  # 2. N deploys of the echo example (minScale 0), POPULATION_PARALLEL at once
  printf '{"code":"%s","memoryMb":32}' "$(base64 -w0 "$ROOT/examples/functions/echo.wasm")" >"$dir/spec.json"
  for ((i = 0; i < n; i++)); do printf 'url = "%s/pop-%d"\noutput = "/dev/null"\n' "$base" "$i"; done >"$dir/deploys.cfg"
  echo "-X PUT -H Content-Type:application/json --data-binary @$dir/spec.json" >"$dir/deploys.args"
  t0=$(date +%s.%N)
  curl_many "$dir/deploys.cfg" "$dir/deploys.args" "$dir/deploys.status"
  t1=$(date +%s.%N)
  log "population: $n deploys in $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", b - a}') s" \
    "($(awk -v a="$t0" -v b="$t1" -v n="$n" 'BEGIN {printf "%.0f", n / (b - a)}')/s), answers $(sort "$dir/deploys.status" | uniq -c | tr '\n' ' ')"
  if [[ "${POPULATION_IDLE:-1}" == 0 ]]; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    rm -rf "$dir/data" "$dir"/*.cfg
    return
  fi
  # the idle functions passivate after wavelink.function.passivate-after (5 min): heap and CPU
  # are taken once they have
  log "population: waiting ${POPULATION_SETTLE:-330} s for the deployed functions to passivate ..."
  sleep "${POPULATION_SETTLE:-330}"
  kb2=$(heap_used_kb "$pid")
  c0=$(proc_cpu_seconds "$pid")
  sleep 60
  c1=$(proc_cpu_seconds "$pid")
  log "population: $n idle functions: heap after a full GC $((kb2 / 1024)) MiB" \
    "($(((kb2 - kb1) * 1024 / (n > 0 ? n : 1))) bytes per function over the probes' figure)," \
    "idle CPU $(awk -v a="$c0" -v b="$c1" 'BEGIN {printf "%.3f", (b - a) / 60}') of a core over 60 s"
  log "population: first calls: $(for i in 1 2 3; do curl -s -o /dev/null -w '%{http_code} in %{time_total} s; ' -X POST -d hi "$base/pop-$((RANDOM % (n > 0 ? n : 1)))/invoke"; done)"

  # 5. a restart with the same data (issue 15): POPULATION_KEEP functions with minScale 1 (2 MB
  # each, so that a node of POPULATION_CAPACITY_MB holds them all) must come back by themselves, and
  # every other function must answer its first call once the member says ready
  local keep="${POPULATION_KEEP:-1000}" ready_s back_s
  if ((keep > 0)); then
    printf '{"code":"%s","memoryMb":2,"minScale":1}' "$(base64 -w0 "$ROOT/examples/functions/echo.wasm")" >"$dir/keep.json"
    for ((i = 0; i < keep; i++)); do printf 'url = "%s/keep-%d"\noutput = "/dev/null"\n' "$base" "$i"; done >"$dir/keep.cfg"
    echo "-X PUT -H Content-Type:application/json --data-binary @$dir/keep.json" >"$dir/keep.args"
    curl_many "$dir/keep.cfg" "$dir/keep.args" "$dir/keep.status"
    log "population: $keep deploys with minScale 1, answers $(sort "$dir/keep.status" | uniq -c | tr '\n' ' ')"
    t0=$SECONDS
    until (($(keep_ready "$port") >= keep)) || ((SECONDS - t0 > 600)); do sleep 2; done
    log "population: $(keep_ready "$port") of $keep minScale instances ready $((SECONDS - t0)) s after their deploys"
  fi
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if [[ "${POPULATION_RESTART:-1}" == 1 ]]; then
    : >"$dir/member2.log"
    t0=$(date +%s.%N)
    env "${member_env[@]}" "$ROOT/bin/wavelink" start >"$dir/member2.log" 2>&1 &
    pid=$!
    PIDS+=($pid)
    wait_line "$dir/member2.log" "WaveLink ready" 300 "$pid"
    t1=$(date +%s.%N)
    ready_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", b - a}')
    log "population: restarted with $n + $keep functions: ready in $ready_s s; first calls right after:" \
      "$(for i in 1 2 3 4 5; do curl -s -o /dev/null -w '%{http_code} in %{time_total} s; ' -X POST -d hi "$base/pop-$((RANDOM % (n > 0 ? n : 1)))/invoke"; done)"
    if ((keep > 0)); then
      until (($(keep_ready "$port") >= keep)) || ((SECONDS - ${t1%.*} > 600)); do sleep 1; done
      back_s=$(awk -v a="$t1" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
      log "population: $(keep_ready "$port") of $keep minScale instances back $back_s s after ready" \
        "(polled each second); calls of them: $(for i in 1 2 3; do curl -s -o /dev/null -w '%{http_code} in %{time_total} s; ' -X POST -d hi "$base/keep-$((RANDOM % keep))/invoke"; done)"
    fi
    log "population: after the restart, heap after a full GC $(($(heap_used_kb "$pid") / 1024)) MiB"
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$dir/data" "$dir"/*.cfg
}

# How many ready regular instances of keep-* functions GET /v1/nodes shows
keep_ready() { # port
  curl -s "http://127.0.0.1:$1/v1/nodes" | python3 -c '
import json, sys
try:
    nodes = json.load(sys.stdin)["nodes"]
except Exception:
    print(0); sys.exit()
print(sum(1 for n in nodes for i in n.get("instances", []) if i["function"].startswith("keep-") and i["kind"] == "regular" and i["ready"]))'
}

# ---------------------------------------------------------------- main
what=("$@")
((${#what[@]} == 0)) && what=(all)
for w in "${what[@]}"; do
  case "$w" in
    all | decisions | coldstarts | warm | contention | population | cpuburst | async) ;;
    *) echo "usage: benchmarks/run.sh [all | decisions | coldstarts | warm | contention | population | cpuburst | async]..." >&2; exit 2 ;;
  esac
done
mkdir -p "$OUT"
build
CP="$(classpath)"
java_cmd
env_info
log "results in $OUT"
for w in "${what[@]}"; do
  case "$w" in
    all) decisions; coldstarts; warm ;;
    decisions) decisions ;;
    coldstarts) coldstarts ;;
    warm) warm ;;
    contention) contention ;;
    population) population ;;
    cpuburst) cpuburst ;;
    async) async_calls ;;
  esac
done
java -cp "$CP" io.wavelink.benchmarks.Summary "$OUT" >/dev/null
log "summary: $OUT/summary.md"
cat "$OUT/summary.md"
