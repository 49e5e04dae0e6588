#!/usr/bin/env bash
# The keyring checks `cargo test` cannot run on its own (DESIGN.md "Testing"): the ignored
# `keyring_real_*` tests of tests/it/secrets.rs against
#   1. the real Linux kernel keyutils store, in a session keyring of their own;
#   2. a real Secret Service: gnome-keyring on a private D-Bus session bus, unlocked, with
#      throwaway XDG dirs, so no developer keyring is ever touched;
#   3. the same, with the keyring left locked: storing must fail fast, not hang.
# Installs what it needs with apt-get when run as root (CI). Fails if any check fails or if a
# filter selects no test.
set -euo pipefail
cd "$(dirname "$0")/../.."

need=()
command -v keyctl >/dev/null || need+=(keyutils)
command -v dbus-run-session >/dev/null || need+=(dbus)
command -v gnome-keyring-daemon >/dev/null || need+=(gnome-keyring)
command -v secret-tool >/dev/null || need+=(libsecret-tools)
if ((${#need[@]})); then
  if [ "$(id -u)" != 0 ]; then
    echo "tests/keyring/run.sh: missing ${need[*]}: install them (apt-get install ${need[*]}) or run as root" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

echo "== the Linux build reaches D-Bus through pure-Rust zbus, not libdbus"
tree=$(cargo tree --locked --target x86_64-unknown-linux-gnu -e normal -p nowsync)
for want in zbus-secret-service-keyring-store linux-keyutils-keyring-store zbus; do
  grep -q " $want v" <<<"$tree" || { echo "FAILED: $want is not in the Linux dependency tree" >&2; exit 1; }
done
if grep -q -E " (libdbus-sys|dbus) v" <<<"$tree"; then
  echo "FAILED: the Linux build links libdbus" >&2
  exit 1
fi

# Build once, outside the keyrings and buses below.
cargo test --locked --test it --no-run

# Runs one ignored test by exact name and checks that exactly it ran and passed.
run_one() {
  local name=$1 out
  out=$(cargo test --locked --test it -- --ignored --exact --test-threads=1 "secrets::$name" 2>&1) || {
    printf '%s\n' "$out"
    echo "FAILED: $name" >&2
    return 1
  }
  printf '%s\n' "$out"
  grep -q "test result: ok. 1 passed" <<<"$out" || {
    echo "FAILED: $name did not run" >&2
    return 1
  }
}
export -f run_one

echo "== keyutils (own session keyring)"
keyctl session - bash -c 'run_one keyring_real_keyutils'

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Runs a command on a fresh private bus with its own XDG dirs; $1 is "unlocked" or "locked".
on_private_bus() {
  local state=$1 test=$2 dir
  dir=$(mktemp -d "$tmp/XXXX")
  mkdir -m 700 "$dir/run" "$dir/data" "$dir/config" "$dir/cache"
  env -u DBUS_SESSION_BUS_ADDRESS -u GNOME_KEYRING_CONTROL \
    XDG_RUNTIME_DIR="$dir/run" XDG_DATA_HOME="$dir/data" XDG_CONFIG_HOME="$dir/config" XDG_CACHE_HOME="$dir/cache" \
    STATE="$state" TEST="$test" \
    dbus-run-session -- bash -c '
      set -euo pipefail
      if [ "$STATE" = unlocked ]; then
        echo -n throwaway | gnome-keyring-daemon --unlock --components=secrets >/dev/null
      fi
      NOWSYNC_TEST_PRIVATE_BUS="$DBUS_SESSION_BUS_ADDRESS" run_one "$TEST"
    '
}

echo "== Secret Service (gnome-keyring on a private bus, unlocked)"
on_private_bus unlocked keyring_real_secret_service
echo "== Secret Service (gnome-keyring on a private bus, locked)"
on_private_bus locked keyring_real_secret_service_locked_does_not_hang
echo "keyring: 3 passed, 0 failed"
