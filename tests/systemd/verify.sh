#!/usr/bin/env bash
# `systemd-analyze verify` on an instance of assets/nowsync@.service (as nowsync@default.service,
# with the binary's real path in ExecStart), run by .ci/run. Any warning fails: verify exits 0
# on unknown settings and bad values, it only prints them.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin="$(realpath "${1:-target/debug/nowsync}")"
if ! command -v systemd-analyze >/dev/null; then
  echo "SKIPPED: systemd-analyze is not installed here; the unit was not verified"
  exit 0
fi
[ -x "$bin" ] || { echo "FAILED: no binary at $bin (build first)" >&2; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
sed "s#/usr/local/bin/nowsync#$bin#g" assets/nowsync@.service > "$dir/nowsync@default.service"
grep -q "ExecStart=$bin " "$dir/nowsync@default.service" || { echo "FAILED: ExecStart does not name /usr/local/bin/nowsync" >&2; exit 1; }
# --man=no: the man page (`nowsync man`) is installed by the admin, not on a CI machine.
out=$(systemd-analyze verify --man=no "$dir/nowsync@default.service" 2>&1) || { printf '%s\n' "$out"; exit 1; }
if [ -n "$out" ]; then
  printf '%s\n' "$out"
  echo "FAILED: systemd-analyze verify warned about nowsync@default.service" >&2
  exit 1
fi
echo "systemd-analyze verify: nowsync@default.service OK"
