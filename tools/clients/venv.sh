#!/usr/bin/env bash
# Prints the python of a venv holding the official Pactus Python clients at the pins of
# requirements.txt (beside this script), creating it once with `python3 -m venv` + `pip install -r`
# under ${PSN_CACHE_DIR:-/var/cache/pactus-secure-node}/venv-<hash of requirements.txt>; later runs
# reuse it (a venv that no longer imports the clients is made anew). Progress goes to stderr, stdout
# carries only the python's path. Needs PyPI the first time, and Debian's python3-venv
# (tools/setup.sh test installs it).
set -euo pipefail
PSN_LOG=clients-venv
# shellcheck source=SCRIPTDIR/../sandbox/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../sandbox/common.sh"

req=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/requirements.txt
cache=${PSN_CACHE_DIR:-/var/cache/pactus-secure-node}
venv=$cache/venv-$(sha256sum "$req" | cut -c1-16)
ready() { [ -e "$venv/.complete" ] && "$venv/bin/python" -c 'import pactus_grpc, pactus_jsonrpc' 2>/dev/null; }

if ! ready; then
  if ! mkdir -p "$cache" 2>/dev/null || [ ! -w "$cache" ]; then
    die "cannot write $cache: set PSN_CACHE_DIR to a directory you can write (it holds venv-<hash>)"
  fi
  exec {lock}>"$cache/.venv.lock"
  flock "$lock"
  # Another run may have made it while we waited for the lock.
  if ! ready; then
    t=$(now)
    rm -rf "$venv"
    python3 -m venv "$venv" >&2 ||
      die "python3 -m venv failed: on Debian/Ubuntu install python3-venv ('sudo apt-get install -y python3-venv')"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req" >&2 ||
      die "pip install -r $req failed (see above)"
    : >"$venv/.complete"
    log "made $venv in $(since "$t") s"
  fi
fi
echo "$venv/bin/python"
