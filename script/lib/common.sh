# shellcheck shell=bash
# Helpers shared by the scripts in script/ and bench/. Source it; it sets no shell options of its own.

mc_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# Progress lines go to stderr so that a script's stdout stays clean for what it is asked to print.
mc_step() { printf '==> %s\n' "$*" >&2; }
mc_info() { printf '    %s\n' "$*" >&2; }
mc_warn() { printf 'warning: %s\n' "$*" >&2; }

# mc_die MESSAGE [HINT]: the failure, then what to do about it.
mc_die() {
  printf 'error: %s\n' "$1" >&2
  [ $# -lt 2 ] || printf '  next: %s\n' "$2" >&2
  exit 1
}

# mc_seconds_since START: whole seconds elapsed since START (a value of $SECONDS).
mc_seconds_since() { echo $((SECONDS - $1)); }

# mc_port_free PORT: true when nothing accepts connections on 127.0.0.1:PORT.
mc_port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# mc_free_port: prints a TCP port on 127.0.0.1 that nothing listens on (bounded number of tries).
mc_free_port() {
  local port
  for _ in $(seq 50); do
    port=$((20000 + RANDOM % 20000))
    if mc_port_free "$port"; then
      echo "$port"
      return 0
    fi
  done
  return 1
}

# mc_http_status URL: prints the HTTP status code of a GET (000 when nothing answers); never fails.
mc_http_status() { curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1" 2>/dev/null || true; }

# mc_wait_ready URL PID TIMEOUT_S: waits until URL answers 200 while PID lives. Fails when PID exits
# or TIMEOUT_S pass first.
mc_wait_ready() {
  local url=$1 pid=$2 timeout=$3 start=$SECONDS
  while [ $((SECONDS - start)) -lt "$timeout" ]; do
    kill -0 "$pid" 2>/dev/null || return 1
    [ "$(mc_http_status "$url")" = 200 ] && return 0
    sleep 0.2
  done
  return 1
}

# mc_stop_pid PID [GRACE_S]: SIGTERM, wait up to GRACE_S (default 15) for a drain, then SIGKILL.
mc_stop_pid() {
  local pid=$1 grace=${2:-15} start=$SECONDS
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null && [ $((SECONDS - start)) -lt "$grace" ]; do sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    mc_warn "process $pid did not stop within ${grace}s of SIGTERM; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

# mc_build PRESET TARGET [CMAKE_CONFIGURE_ARGS...]: configure and build one CMake preset; TARGET `all`
# builds everything, `myclothes` only the program (what running it needs, without the tests).
mc_build() {
  local preset=$1 target=$2
  shift 2
  local log="$mc_root/build/configure-$preset.log"
  mkdir -p "$mc_root/build"
  # Configure chatter (FindBoost's warnings among it) goes to a log that is shown only when it fails.
  if ! (cd "$mc_root" && cmake --preset "$preset" "$@" >"$log" 2>&1); then
    tail -n 40 "$log" >&2
    mc_die "cmake could not configure the '$preset' preset (full log: $log)" \
      "read the messages above; script/bootstrap installs the libraries"
  fi
  (cd "$mc_root" && cmake --build --preset "$preset" --target "$target") ||
    mc_die "the '$preset' build failed" "fix the compiler errors above, then run the command again"
}
