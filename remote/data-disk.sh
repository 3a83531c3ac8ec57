#!/usr/bin/env bash
# Step "data-disk" (aws only, before pactus): the node's home, which holds its working dir (wallet and
# chain), goes on its own EBS volume, so the data outlives the VM. Finds the volume's device by its id,
# makes ext4 on it only when it is blank (no signature at all: no filesystem, no partition table),
# mounts it by UUID with nofail in fstab, and grows the filesystem when the volume was grown. The pactus
# step then creates the user and sets the home's owner. Never formats, wipes or mounts over data:
# - a volume with any other signature (xfs, a partition table …) is neither formatted nor mounted;
# - a home that already has files is not hidden under the volume: the step refuses and says how to move
#   them (a VM deployed before the data volume existed; README "What destroy keeps").
# No undo: destroy stops the VM before the volume is detached, so the system unmounts it cleanly.
# Inputs: PSN_VOLUME_ID (vol-…, known once the volume exists), PSN_DEVICE_NAME (the attachment's device
#   name: what Xen instances show, sdX as xvdX), PSN_BY_ID_DIR (udev's by-id links: on Nitro the volume
#   is nvme-Amazon_Elastic_Block_Store_vol…), PSN_MOUNT (the node's home), PSN_FSTAB, PSN_DATA_GB (the
#   configured size: a grown volume is waited for, then its ext4 grown), PSN_WAIT_SECONDS.
set -euo pipefail
PSN_STEP=data-disk
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
psn_require_root
psn_require_env PSN_VOLUME_ID PSN_DEVICE_NAME PSN_BY_ID_DIR PSN_MOUNT PSN_FSTAB PSN_DATA_GB PSN_WAIT_SECONDS

[[ $PSN_VOLUME_ID =~ ^vol-[0-9a-f]+$ ]] || psn_die "input PSN_VOLUME_ID ($PSN_VOLUME_ID) is not an EBS volume id"
# On Nitro instances the NVMe serial is the volume id without its dash.
serial=${PSN_VOLUME_ID/-/}
xen_name="${PSN_DEVICE_NAME%/sd*}/xvd${PSN_DEVICE_NAME##*/sd}"

# The volume's block device (resolved), or nothing while it has not appeared.
find_device() {
  local link="$PSN_BY_ID_DIR/nvme-Amazon_Elastic_Block_Store_$serial" name s
  if [ -e "$link" ]; then
    readlink -f "$link"
    return
  fi
  while read -r name s; do
    if [ "$s" = "$serial" ]; then
      printf '/dev/%s\n' "$name"
      return
    fi
  done < <(lsblk -dn -o NAME,SERIAL 2>/dev/null || true)
  # Xen instances name the device as attached (sdX appears as xvdX); there is no serial to check.
  for name in "$PSN_DEVICE_NAME" "$xen_name"; do
    if [ -b "$name" ]; then
      readlink -f "$name"
      return
    fi
  done
}

# Counted in whole seconds slept, not with $SECONDS: that counts clock-second boundaries, so a wait of
# 2 s could end after 1.1 s.
slept=0
waited=0
while :; do
  dev=$(find_device)
  [ -n "$dev" ] && [ -b "$dev" ] && break
  if [ "$slept" -ge "$PSN_WAIT_SECONDS" ]; then
    psn_die "volume $PSN_VOLUME_ID did not appear within ${PSN_WAIT_SECONDS}s (no $PSN_BY_ID_DIR/nvme-Amazon_Elastic_Block_Store_$serial, no NVMe serial $serial, no $PSN_DEVICE_NAME or $xen_name); check that it is attached: aws ec2 describe-volumes --volume-ids $PSN_VOLUME_ID"
  fi
  [ "$waited" = 1 ] || psn_log "waiting up to ${PSN_WAIT_SECONDS}s for volume $PSN_VOLUME_ID to appear"
  waited=1
  sleep 1
  slept=$((slept + 1))
done
devnum=$(lsblk -dn -o MAJ:MIN "$dev" | tr -d ' ')
changes=()

# Mounted already (a second run): only fstab and the size may need work.
mounted=$(findmnt -n -o MAJ:MIN --mountpoint "$PSN_MOUNT" 2>/dev/null | tr -d ' ' || true)
if [ -n "$mounted" ] && [ "$mounted" != "$devnum" ]; then
  psn_die "$PSN_MOUNT is a mount of $(findmnt -n -o SOURCE --mountpoint "$PSN_MOUNT"), not of volume $PSN_VOLUME_ID ($dev); unmount it, then run 'pulumi up' again"
fi
if [ -z "$mounted" ]; then
  elsewhere=$(findmnt -n -o TARGET --source "$dev" 2>/dev/null | head -n1 || true)
  [ -z "$elsewhere" ] || psn_die "volume $PSN_VOLUME_ID ($dev) is mounted at $elsewhere; unmount it, then run 'pulumi up' again"
  # What the device holds: blkid probes the device itself (no cache), wipefs lists every signature it
  # knows, lsblk shows partitions. Blank means all three find nothing.
  rc=0
  sig=$(blkid -p -o export "$dev" 2>&1) || rc=$?
  [ "$rc" = 0 ] || [ "$rc" = 2 ] || psn_die "blkid cannot read $dev ($sig); nothing was changed"
  sigs=$(wipefs --noheadings --output TYPE "$dev" 2>/dev/null | tr '\n' ' ')
  parts=$(lsblk -n -o NAME "$dev" | tail -n +2 | tr -d ' \n')
  fstype=$(sed -n 's/^TYPE=//p' <<<"$sig")
  pttype=$(sed -n 's/^PTTYPE=//p' <<<"$sig")
  if [ -n "$(find "$PSN_MOUNT" -mindepth 1 -maxdepth 1 2>/dev/null | head -n1)" ]; then
    psn_die "$PSN_MOUNT already has files and is not on volume $PSN_VOLUME_ID ($dev): mounting the volume there would hide them (a node deployed before the data volume existed?). Nothing was changed. Stop the node, copy $PSN_MOUNT/. onto the volume mounted elsewhere (after mkfs.ext4 $dev if 'blkid -p $dev' prints nothing), unmount it, move $PSN_MOUNT aside, then run 'pulumi up' again (README: What destroy keeps)"
  fi
  if [ "$rc" = 2 ] && [ -z "$sigs" ] && [ -z "$parts" ]; then
    psn_log "volume $PSN_VOLUME_ID ($dev) is blank: making an ext4 filesystem"
    mkfs.ext4 -q "$dev" || psn_die "mkfs.ext4 $dev failed"
    changes+=("made ext4 on $dev")
  elif [ "$fstype" != ext4 ] || [ -n "$pttype" ] || [ -n "$parts" ]; then
    psn_die "volume $PSN_VOLUME_ID ($dev) holds ${fstype:+a $fstype filesystem }${pttype:+a $pttype partition table }${parts:+partitions $parts }${sigs:+(signatures: $sigs)}, not the ext4 this step makes; it was neither formatted nor mounted. Attach the node's data volume, or wipe this one yourself if its contents are not needed"
  fi
fi

uuid=$(blkid -p -s UUID -o value "$dev")
[ -n "$uuid" ] || psn_die "the ext4 filesystem on $dev has no UUID"
line="UUID=$uuid $PSN_MOUNT ext4 defaults,nofail 0 2"
# Our line replaces any other entry for the mount point (a volume mounted there before); the rest stays.
current=""
[ -f "$PSN_FSTAB" ] && current=$(cat "$PSN_FSTAB")
wanted=$(awk -v m="$PSN_MOUNT" -v l="$line" '$0 == l { next } $1 !~ /^#/ && $2 == m { next } { print }' <<<"$current")
wanted="${wanted:+$wanted$'\n'}$line"$'\n'
if psn_write_file "$PSN_FSTAB" 0644 root:root "$wanted"; then
  changes+=("fstab: $line")
  if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
fi

if [ -z "$mounted" ]; then
  mkdir -p "$PSN_MOUNT"
  mount -t ext4 -o defaults "$dev" "$PSN_MOUNT" || psn_die "mount $dev $PSN_MOUNT failed"
  changes+=("mounted $dev at $PSN_MOUNT")
fi

# A grown volume (host.dataDiskGb raised): the device shows the new size once EBS has applied it.
want=$((PSN_DATA_GB * 1024 * 1024 * 1024))
size=$(blockdev --getsize64 "$dev")
if [ "$size" -lt "$want" ]; then
  psn_log "waiting up to ${PSN_WAIT_SECONDS}s for $dev to grow to ${PSN_DATA_GB} GiB (EBS is modifying the volume)"
  until [ "$size" -ge "$want" ]; do
    [ "$slept" -lt "$PSN_WAIT_SECONDS" ] || psn_die "$dev is $((size / 1024 / 1024)) MiB, host.dataDiskGb says ${PSN_DATA_GB} GiB: the volume's modification has not reached the VM yet; run 'pulumi up' again later"
    sleep 1
    slept=$((slept + 1))
    size=$(blockdev --getsize64 "$dev")
  done
fi
fs_bytes=$(dumpe2fs -h "$dev" 2>/dev/null | awk -F: '/^Block count/ { c = $2 } /^Block size/ { b = $2 } END { print c * b }')
if [ "$((size - fs_bytes))" -ge $((1024 * 1024)) ]; then
  out=$(resize2fs "$dev" 2>&1) || psn_die "resize2fs $dev failed: $(tr "\n" " " <<<"$out")"
  changes+=("grew the filesystem to $((size / 1024 / 1024)) MiB")
fi

if [ "${#changes[@]}" -eq 0 ]; then
  psn_log "volume $PSN_VOLUME_ID ($dev) at $PSN_MOUNT unchanged"
else
  for c in "${changes[@]}"; do psn_log "$c"; done
fi
