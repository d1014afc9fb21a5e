#!/usr/bin/env bash
# System packages the tests start real servers and a browser with; installs only what is missing.
# Another apt or dpkg process (unattended-upgrades, a second run of this script) may hold
# apt's locks: wait up to APT_WAIT seconds for it rather than fail at once.
set -euo pipefail
APT_WAIT=${APT_WAIT:-600}

apt_get() {
  LC_ALL=C DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout="$APT_WAIT" "$@"
}

# DPkg::Lock::Timeout makes `install` wait for dpkg's lock, but `update` still fails at once on
# the lists lock (apt 2.6): retry it while that lock is what stops it.
apt_update() {
  local deadline=$((SECONDS + APT_WAIT)) out
  until out=$(apt_get update -q "$@" 2>&1); do
    if [[ $out != *"Could not get lock"* ]] || ((SECONDS >= deadline)); then
      printf '%s\n' "$out" >&2
      return 1
    fi
    sleep 1
  done
}

main() {
  local missing=()
  [ -x /usr/sbin/sshd ] || missing+=(openssh-server)
  command -v ssh-keygen >/dev/null || missing+=(openssh-client)
  [ -x /usr/sbin/nginx ] || missing+=(nginx)
  [ -x /usr/sbin/fcgiwrap ] || missing+=(fcgiwrap)
  [ -x /usr/bin/gitolite ] || missing+=(gitolite3)
  # the browser tests' headless Chromium, driven by Playwright through its executable_path (tests/browser.py)
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  [ ${#missing[@]} -gt 0 ] || return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "tests need: ${missing[*]} (run this script as root, or install them)" >&2
    return 1
  fi
  apt_get install -y -q --no-install-recommends "${missing[@]}" >/dev/null \
    || { apt_update && apt_get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; }
}

# tests/test_small_defects.py sources this file for apt_get and apt_update
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  main
fi

# The distribution was named `enforcer` before it became `git-enforcer`: an install under the old
# name (an editable one points at another checkout) would shadow the package these tests install.
if python3 -m pip show -q enforcer >/dev/null 2>&1; then
  python3 -m pip uninstall -y -q enforcer >/dev/null 2>&1 || true
fi
