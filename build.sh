#!/usr/bin/env bash
# The one entry point: ./build.sh <target> [options]   (targets: demo, test, bench <name>, build, pack, clean)
# On a fresh Debian machine it installs what is missing — Debian's postgresql, rabbitmq-server and
# prometheus (their system services left stopped and disabled), libtdjson from the pinned npm package, the
# dotnet tools — quietly and idempotently, then hands over to Cake (build.cake).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"
mkdir -p .local
setup_log="$root/.local/setup.log"
: >"$setup_log"

fail() { echo "build.sh: $*" >&2; exit 1; }
quietly() {
  if ! "$@" >>"$setup_log" 2>&1; then
    echo "build.sh: '$*' failed; the end of its output ($setup_log):" >&2
    tail -n 40 "$setup_log" >&2
    exit 1
  fi
}
as_root() { if [[ $EUID -eq 0 ]]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else fail "root (or sudo) is needed to run: $*"; fi; }

install_debian_packages() {
  local need=()
  [[ -x /usr/lib/postgresql/15/bin/postgres && -x /usr/lib/postgresql/15/bin/initdb ]] || need+=(postgresql)
  [[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]] || need+=(rabbitmq-server)
  # prometheus and promtool: the Observability tests check the alert rules and scrape the fleet.
  [[ -x /usr/bin/prometheus && -x /usr/bin/promtool ]] || need+=(prometheus)
  command -v openssl >/dev/null 2>&1 || need+=(openssl)
  # unshare (util-linux) and ip (iproute2): the tests run in a loopback-only network namespace.
  command -v unshare >/dev/null 2>&1 || need+=(util-linux)
  command -v ip >/dev/null 2>&1 || [[ -x /usr/sbin/ip || -x /sbin/ip ]] || need+=(iproute2)
  # tmux: the CLI's interactive tests drive a real terminal (send-keys, capture-pane).
  command -v tmux >/dev/null 2>&1 || need+=(tmux)
  [[ ${#need[@]} -eq 0 ]] && return 0
  command -v apt-get >/dev/null 2>&1 || fail "missing ${need[*]} and no apt-get: install PostgreSQL 15, RabbitMQ and Prometheus yourself (or set TGFLEET_PG_BIN / TGFLEET_RABBITMQ_BIN / TGFLEET_PROMETHEUS_BIN)."
  echo "build.sh: installing ${need[*]} (Debian packages; their system services stay off)"
  # policy-rc.d 101 keeps the packages' services from starting while they install.
  local policy=/usr/sbin/policy-rc.d added_policy=""
  if [[ ! -e $policy ]]; then
    as_root sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod +x $policy"
    added_policy=1
  fi
  local status=0
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >>"$setup_log" 2>&1 || status=$?
  [[ $status -eq 0 ]] && { as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >>"$setup_log" 2>&1 || status=$?; }
  [[ -n $added_policy ]] && as_root rm -f "$policy"
  if [[ $status -ne 0 ]]; then
    echo "build.sh: apt-get could not install ${need[*]}; the end of its output:" >&2
    tail -n 40 "$setup_log" >&2
    exit 1
  fi
  # Leave no system-wide service running or enabled; the demo and the tests start their own.
  for service in postgresql rabbitmq-server prometheus; do
    if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
      as_root systemctl disable --now "$service" >>"$setup_log" 2>&1 || true
    else
      as_root update-rc.d "$service" disable >>"$setup_log" 2>&1 || true
      as_root service "$service" stop >>"$setup_log" 2>&1 || true
    fi
  done
  # rabbitmq-server's post-install starts an epmd daemon as the rabbitmq user.
  as_root pkill -u rabbitmq -x epmd >>"$setup_log" 2>&1 || true
}

install_dotnet_tools() {
  command -v dotnet >/dev/null 2>&1 || fail "the .NET SDK 10 is required (dotnet not found on PATH)."
  export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
  quietly dotnet tool restore
}

target="${1:-build}"
[[ $# -gt 0 ]] && shift
case "$target" in
  -h|--help|help)
    echo "usage: ./build.sh <demo|test|bench NAME|build|pack|clean> [--filter EXPR] [--configuration Release]"
    exit 0 ;;
esac

install_debian_packages
quietly "$root/native/tdlib/place-libtdjson.sh"
install_dotnet_tools

# Cake takes --name=value; turn "--filter Category=Binding" into "--filter=Category=Binding" and a
# bench name into --benchmark=NAME.
cake_args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --*=*) cake_args+=("$1"); shift ;;
    --*) if [[ $# -ge 2 && "$2" != --* ]]; then cake_args+=("$1=$2"); shift 2; else cake_args+=("$1=true"); shift; fi ;;
    *) if [[ "$target" == bench ]]; then cake_args+=("--benchmark=$1"); shift; else fail "unexpected argument '$1' (see ./build.sh --help)"; fi ;;
  esac
done

summary="$root/artifacts/test-results/summary.txt"
rm -f "$summary" "$root"/artifacts/bench/*.result
status=0
dotnet cake build.cake "--target=${target^}" --verbosity=minimal "${cake_args[@]}" || status=$?
# A benchmark ends with its one parseable line (kept by build.cake), after Cake's task summary.
if [[ "$target" == bench ]]; then
  for arg in "${cake_args[@]}"; do
    if [[ "$arg" == --benchmark=* && -f "$root/artifacts/bench/${arg#--benchmark=}.result" ]]; then
      echo
      cat "$root/artifacts/bench/${arg#--benchmark=}.result"
    fi
  done
fi
# The test run ends with its summary line, computed by build.cake from the TRX results.
if [[ "$target" == test ]]; then
  if [[ -f "$summary" ]]; then
    echo
    cat "$summary"
  else
    echo "build.sh: no test results were recorded (the build failed before the tests ran)." >&2
  fi
fi
exit "$status"
