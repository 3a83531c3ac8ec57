#!/usr/bin/env bash
# Installs the command provider built by build.sh as a Pulumi plugin in the given PULUMI_HOME, so
# `pulumi up` finds it with PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true. Idempotent: does nothing
# when `pulumi plugin ls` already lists the pinned version. Builds the toolchain first if needed.
#
# Usage: install-plugins.sh <PULUMI_HOME>
#   PSN_TOOLCHAIN_BIN=<dir>  use the tools in <dir> instead of build.sh's bin directory
set -euo pipefail
export LC_ALL=C

if [ $# -ne 1 ] || [ -z "$1" ]; then
  echo "usage: $0 <PULUMI_HOME>" >&2
  exit 2
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=/dev/null  # plain KEY=value lines
source "$(dirname "$here")/versions.env"

bin=${PSN_TOOLCHAIN_BIN:-$("$here/build.sh" --print-bin)}
mkdir -p "$1"
PULUMI_HOME=$(cd "$1" && pwd)
# Never let the CLI reach the network from here: no update check, no plugin download.
export PULUMI_HOME PATH="$bin:$PATH" PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true

version=$COMMAND_PROVIDER_VERSION
listed() {
  pulumi plugin ls | awk -v v="$version" '$1 == "command" && $2 == "resource" && $3 == v { found = 1 } END { exit !found }'
}

if listed; then
  echo "plugins: resource command $version already installed in $PULUMI_HOME"
  exit 0
fi

provider=$bin/pulumi-resource-command
if [ ! -x "$provider" ]; then
  echo "plugins: ERROR: $provider is missing (run tools/toolchain/build.sh; see" \
    "tools/toolchain/README.md), so resource command $version cannot be installed" >&2
  exit 1
fi

pulumi plugin install resource command "$version" --file "$provider"
listed || {
  echo "plugins: ERROR: installed resource command $version but \`pulumi plugin ls\` does not list it" >&2
  exit 1
}
echo "plugins: installed resource command $version in $PULUMI_HOME"
