#!/usr/bin/env bash
# Undoes the monitoring step: the htpasswd file, and the node exporter if this stack installed it (an
# exporter that was there before gets its own options file back). The textfile dir is left to its writer.
# Inputs: PSN_EXPORTER_PACKAGE, PSN_EXPORTER_SERVICE, PSN_EXPORTER_DEFAULTS, PSN_HTPASSWD, PSN_TEXTFILE_DIR,
#   PSN_STATE_DIR.
set -euo pipefail
PSN_STEP=monitoring-delete
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
psn_require_root
psn_require_env PSN_EXPORTER_PACKAGE PSN_EXPORTER_SERVICE PSN_EXPORTER_DEFAULTS PSN_HTPASSWD PSN_TEXTFILE_DIR \
  PSN_STATE_DIR

rm -f "$PSN_HTPASSWD"
if [ -f "$PSN_STATE_DIR/monitoring-installed" ]; then
  psn_wait_apt
  # purge: also its options file (a conffile), so nothing of it stays. Its postrm also deletes the
  # textfile dir, whose files (pactus.prom) belong to the health refresher: they are put back.
  keep=$(mktemp -d)
  if [ -d "$PSN_TEXTFILE_DIR" ]; then cp -a "$PSN_TEXTFILE_DIR/." "$keep/"; fi
  DEBIAN_FRONTEND=noninteractive apt-get purge -y -q "$PSN_EXPORTER_PACKAGE" >/dev/null ||
    psn_log "warning: could not remove $PSN_EXPORTER_PACKAGE"
  if [ -n "$(ls -A "$keep")" ]; then
    install -d -m 0755 "$PSN_TEXTFILE_DIR"
    cp -a "$keep/." "$PSN_TEXTFILE_DIR/"
  fi
  rm -rf "$keep"
  rm -f "$PSN_STATE_DIR/monitoring-installed"
elif [ -f "$PSN_STATE_DIR/monitoring-defaults.orig" ]; then
  mv -f "$PSN_STATE_DIR/monitoring-defaults.orig" "$PSN_EXPORTER_DEFAULTS"
  systemctl try-restart "$PSN_EXPORTER_SERVICE" 2>/dev/null || true
fi
rmdir "$PSN_STATE_DIR" 2>/dev/null || true
psn_log "monitoring removed"
