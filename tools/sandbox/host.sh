#!/usr/bin/env bash
# Sandbox hosts: a Debian 12 or 13 rootfs booted with systemd-nspawn in its own network namespace,
# reached over a veth pair, with a NAT to the machine's default route so apt works inside. A host boots
# like a fresh cloud VM: no root login over SSH, and a first-boot service (our stand-in for cloud-init)
# creates the admin user, gives it passwordless sudo and installs its key from the host's seed, while
# sshd already answers.
# See tools/sandbox/README.md for the layout and the addresses.
set -euo pipefail

CACHE_DIR=${PSN_CACHE_DIR:-/var/cache/pactus-secure-node}
SANDBOX_DIR=${SANDBOX_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/.sandbox}
# The image: PSN_IMAGE or `up --image`, debian-13 (default) or debian-12.
IMAGE=${PSN_IMAGE:-debian-13}
MIRROR=${PSN_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SSH_KEY=$SANDBOX_DIR/ssh/id_ed25519
# Bump when the rootfs recipe below changes: a cached rootfs of another recipe is then rebuilt.
ROOTFS_RECIPE=psn-rootfs-5
PACKAGES=systemd-sysv,openssh-server,iproute2,ca-certificates,curl,dbus,sudo,libpam-systemd,procps
# The user cloud images log in as (Debian's cloud images: admin).
ADMIN="admin"

PSN_LOG=host.sh
# shellcheck source=SCRIPTDIR/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

usage() {
  cat >&2 <<EOF
usage: host.sh rootfs                      build the cached rootfs of \$PSN_IMAGE (once)
       host.sh up <name> <index> [--image debian-13|debian-12] [--key-delay S] [--sudo-password]
                                           [--apt-busy S] [--no-wait]
                                           boot host <name> at 10.231.<index>.2 (index 1..254); the
                                           first-boot service installs $ADMIN's key S s after boot (and after two refused logins),
                                           gives it sudo with a password instead of NOPASSWD, or holds
                                           apt's lock for S s (as unattended-upgrades does); without
                                           --no-wait, returns once $ADMIN can log in
       host.sh down <name>                 stop it and remove everything 'up' created
       host.sh ssh <name> <index> [cmd..]  ssh $ADMIN@10.231.<index>.2 with the sandbox key, cmd via sudo -n
       host.sh status                      list running sandbox hosts
       host.sh key                         make the sandbox SSH key if missing; print its path
       host.sh images                      the images 'up --image' takes, one per line
EOF
  exit 2
}

need_root() { [ "$(id -u)" = 0 ] || die "must run as root"; }

check_name() {
  [[ $1 =~ ^[a-z0-9][a-z0-9-]{0,30}$ ]] || die "bad host name '$1' (lowercase letters, digits, '-', <= 31 chars)"
}

check_index() {
  if ! [[ $1 =~ ^[1-9][0-9]{0,2}$ ]] || [ "$1" -gt 254 ]; then
    die "bad index '$1' (1..254; 10.231.0.0/24 belongs to services.sh)"
  fi
}

ssh_opts() {
  printf '%s\n' -i "$SSH_KEY" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
    -o BatchMode=yes -o ConnectTimeout=2 -o IdentitiesOnly=yes -o LogLevel=ERROR
}

# Unmount everything below $1 (deepest first); debootstrap can leave /proc, /sys mounted on failure.
# shellcheck disable=SC2317 # called from the EXIT trap of cmd_rootfs
umount_below() {
  local m
  awk -v p="$1/" 'index($2, p) == 1 { print $2 }' /proc/self/mounts | sort -r |
    while read -r m; do umount -l "$m" || true; done
}

# The images and their Debian suites: the one list (deploy.sh asks `host.sh images`).
declare -A SUITES=([debian-13]=trixie [debian-12]=bookworm)
suite() {
  [ -n "${SUITES[$1]:-}" ] || die "unknown image '$1' (one of: ${!SUITES[*]})"
  echo "${SUITES[$1]}"
}

cmd_rootfs() {
  need_root
  local suite ROOTFS
  suite=$(suite "$IMAGE")
  ROOTFS=$CACHE_DIR/rootfs-$suite
  mkdir -p "$CACHE_DIR"
  exec 9>"$CACHE_DIR/rootfs.lock"
  flock 9
  if [ -d "$ROOTFS" ]; then
    local have
    have=$(cat "$ROOTFS/etc/psn-rootfs-recipe" 2>/dev/null || echo unknown)
    if [ "$have" = "$ROOTFS_RECIPE" ]; then
      log "rootfs: reusing $ROOTFS"
      exec 9>&-
      return 0
    fi
    log "rootfs: $ROOTFS was made by recipe '$have', not '$ROOTFS_RECIPE': building it again"
    rm -rf --one-file-system "$ROOTFS"
  fi
  command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"
  local t0 tmp
  t0=$(now)
  tmp=$(mktemp -d "$CACHE_DIR/rootfs-$suite.tmp.XXXXXX")
  # shellcheck disable=SC2064 # expand $tmp now: it is local
  trap "umount_below '$tmp'; rm -rf --one-file-system '$tmp'" EXIT
  log "rootfs: debootstrap $suite ($IMAGE) into $tmp (takes a minute or two)"
  debootstrap --variant=minbase --include="$PACKAGES" "$suite" "$tmp" "$MIRROR" >"$tmp.log" 2>&1 || {
    tail -n 20 "$tmp.log" >&2
    die "debootstrap failed (full log: $tmp.log)"
  }
  # Per-instance identity is written into each overlay by 'up'.
  rm -f "$tmp"/etc/ssh/ssh_host_* "$tmp/etc/hostname" "$tmp/etc/resolv.conf" "$tmp/var/lib/dbus/machine-id"
  : >"$tmp/etc/machine-id"
  systemctl --root="$tmp" enable systemd-networkd.service >/dev/null 2>&1
  cat >"$tmp/etc/apt/sources.list" <<EOF
deb $MIRROR $suite main
deb $MIRROR $suite-updates main
deb ${MIRROR%/debian}/debian-security $suite-security main
EOF
  cloud_image "$tmp"
  rm -rf "$tmp"/var/cache/apt/archives/*.deb "$tmp"/var/lib/apt/lists/*
  echo "$ROOTFS_RECIPE" >"$tmp/etc/psn-rootfs-recipe"
  chmod 755 "$tmp"
  mv "$tmp.log" "$CACHE_DIR/rootfs-$suite.debootstrap.log"
  mv -T "$tmp" "$ROOTFS"
  trap - EXIT
  log "rootfs: built $ROOTFS in $(since "$t0") s ($(du -sh "$ROOTFS" | cut -f1))"
  exec 9>&-
}

# What a cloud image has and a debootstrap'd one lacks: no root login over SSH, and a first-boot service
# that does what cloud-init does from instance metadata. Its seed (written by 'up' into the host's
# overlay, as a cloud's metadata service would serve it) names the user and holds the authorized key.
cloud_image() {
  local r=$1
  install -d "$r/etc/ssh/sshd_config.d" "$r/usr/local/sbin"
  printf 'PermitRootLogin no\nPasswordAuthentication no\n' >"$r/etc/ssh/sshd_config.d/50-cloud-image.conf"
  cat >"$r/usr/local/sbin/psn-first-boot" <<'SH'
#!/bin/bash
# First boot of a sandbox host, as cloud-init does it: the admin user, its sudo rule, its SSH key.
# Seed: /var/lib/psn-cloud/seed/{user,authorized_keys,key-delay,sudo,apt-busy}.
set -euo pipefail
seed=/var/lib/psn-cloud/seed
user=$(cat "$seed/user")
if ! id "$user" >/dev/null 2>&1; then useradd --create-home --shell /bin/bash --groups sudo "$user"; fi
if [ "$(cat "$seed/sudo" 2>/dev/null)" = password ]; then
  echo "$user ALL=(ALL) ALL" >/etc/sudoers.d/90-cloud-init-users
  echo "$user:$(head -c 12 /dev/urandom | base64)" | chpasswd
else
  echo "$user ALL=(ALL) NOPASSWD:ALL" >/etc/sudoers.d/90-cloud-init-users
fi
chmod 0440 /etc/sudoers.d/90-cloud-init-users
busy=$(cat "$seed/apt-busy" 2>/dev/null || echo 0)
if [ "$busy" -gt 0 ]; then
  # unattended-upgrades on a real first boot: apt's lock (an fcntl lock, as apt takes it) held a while.
  # (struct flock on x86_64: l_type, l_whence, l_start, l_len, l_pid; fcntl writes back into it.)
  systemd-run --quiet --unit psn-apt-busy perl -e 'use Fcntl; open(my $f, ">>", "/var/lib/dpkg/lock-frontend") or die;
    my $l = pack("s s x4 q q l x4", F_WRLCK, 0, 0, 0, 0); fcntl($f, F_SETLKW, $l) or die "lock: $!"; sleep $ARGV[0]' "$busy"
fi
delay=$(cat "$seed/key-delay" 2>/dev/null || echo 0)
if [ "$delay" -gt 0 ]; then
  # The key comes that long after sshd answers (a slow boot must not let sshd start after the key),
  # and not before the admin's login was refused twice (bounded: 5 more minutes), so the fault happens
  # however long the deploy takes to start on a busy machine.
  for _ in $(seq 1 600); do systemctl is-active --quiet ssh.service && break; sleep 0.2; done
  sleep "$delay"
  for _ in $(seq 1 1500); do
    n=$(journalctl -u ssh.service -o cat --no-pager 2>/dev/null | grep -c "authenticating user $user" || true)
    [ "$n" -ge 2 ] && break
    sleep 0.2
  done
fi
install -d -m 0700 -o "$user" -g "$user" "/home/$user/.ssh"
install -m 0600 -o "$user" -g "$user" "$seed/authorized_keys" "/home/$user/.ssh/authorized_keys"
touch /var/lib/psn-cloud/done
SH
  chmod 0755 "$r/usr/local/sbin/psn-first-boot"
  cat >"$r/etc/systemd/system/psn-first-boot.service" <<'UNIT'
[Unit]
Description=First boot: admin user, sudo and SSH key from the seed (cloud-init's job on a cloud VM)
ConditionPathExists=!/var/lib/psn-cloud/done
After=local-fs.target

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/psn-first-boot
RemainAfterExit=yes

[Install]
WantedBy=multi-user.target
UNIT
  systemctl --root="$r" enable psn-first-boot.service >/dev/null 2>&1
}

default_if() { ip -4 route show default | awk '{ for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit } }'; }

# The machine's nameservers, as seen from a host: loopback ones (a resolved stub) are useless there,
# so fall back to systemd-resolved's uplink list.
nameservers() {
  local ns="" f
  for f in /etc/resolv.conf /run/systemd/resolve/resolv.conf; do
    [ -r "$f" ] || continue
    ns=$(awk '$1 == "nameserver" { print $2 }' "$f" | grep -v -E '^(127\.|::1$)' | tr '\n' ' ' || true)
    [ -z "$ns" ] || break
  done
  [ -n "$ns" ] || log "warning: no non-loopback nameserver in /etc/resolv.conf; DNS inside hosts will not work"
  printf '%s' "${ns% }"
}

ensure_ssh_key() {
  mkdir -p "$(dirname "$SSH_KEY")"
  chmod 700 "$(dirname "$SSH_KEY")"
  (
    flock 8
    [ -s "$SSH_KEY" ] || ssh-keygen -q -t ed25519 -N '' -C psn-sandbox -f "$SSH_KEY"
  ) 8>"$SSH_KEY.lock"
  chmod 600 "$SSH_KEY"
}

# Alive (not a zombie) and running the expected program.
pid_alive() {
  [ -n "$1" ] && [ -d "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null &&
    [ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ]
}

# While anything of the sandbox is up, 10.231.0.0/16 minus the live /24s and 10.231.0.1 is
# unreachable: traffic to a host or service that is down fails at once instead of leaving through
# the default route. Removed with the last sandbox interface.
guard_route_add() { ip route replace unreachable 10.231.0.0/16; }
guard_route_del() {
  ip -o link show | grep ': psn' >/dev/null || ip route del unreachable 10.231.0.0/16 2>/dev/null || true
}

# iptables rules carry this comment so 'down' deletes exactly them.
tag() { printf 'psn-host-%s' "$1"; }

add_nat() {
  local name=$1 index=$2 out t
  out=$(default_if)
  [ -n "$out" ] || die "no default route on this machine: no NAT for apt inside the host"
  t=$(tag "$name")
  if [ "$(sysctl -n net.ipv4.ip_forward)" = 0 ]; then
    [ -e "$SANDBOX_DIR/ip_forward.orig" ] || echo 0 >"$SANDBOX_DIR/ip_forward.orig"
    sysctl -qw net.ipv4.ip_forward=1
  fi
  iptables -w -t nat -A POSTROUTING -s "10.231.$index.0/24" -o "$out" -m comment --comment "$t" -j MASQUERADE
  iptables -w -I FORWARD -i "psn${index}h" -o "$out" -m comment --comment "$t" -j ACCEPT
  iptables -w -I FORWARD -i "$out" -o "psn${index}h" -m conntrack --ctstate RELATED,ESTABLISHED \
    -m comment --comment "$t" -j ACCEPT
  # Hosts reach each other (a fleet's nodes: P2P to node 0) whatever the machine's FORWARD policy.
  iptables -w -I FORWARD -i "psn${index}h" -o psn+ -m comment --comment "$t" -j ACCEPT
}

del_nat() {
  local t table line
  t=$(tag "$1")
  for table in nat filter; do
    iptables -w -t "$table" -S | { grep -F -- "--comment $t " || true; } | while read -r line; do
      local -a args
      read -ra args <<<"${line/#-A /-D }"
      iptables -w -t "$table" "${args[@]}"
    done
  done
  # Restore ip_forward once no sandbox host needs it any more.
  if [ -e "$SANDBOX_DIR/ip_forward.orig" ] && ! iptables -w -t nat -S | grep -- '--comment psn-host-' >/dev/null; then
    sysctl -qw net.ipv4.ip_forward="$(cat "$SANDBOX_DIR/ip_forward.orig")"
    rm -f "$SANDBOX_DIR/ip_forward.orig"
  fi
}

write_guest_files() {
  local name=$1 index=$2 m=$3 dns
  dns=$(nameservers)
  echo "$name" >"$m/etc/hostname"
  printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\tlocalhost ip6-localhost ip6-loopback\n' "$name" >"$m/etc/hosts"
  tr -d '-' </proc/sys/kernel/random/uuid >"$m/etc/machine-id"
  rm -f "$m/etc/resolv.conf"
  for n in $dns; do echo "nameserver $n"; done >"$m/etc/resolv.conf"
  mkdir -p "$m/etc/systemd/network"
  {
    printf '[Match]\nName=eth0\n\n[Network]\nAddress=10.231.%s.2/24\nGateway=10.231.%s.1\n' "$index" "$index"
    # A ULA IPv6 address too, so the node's IPv6 listeners can be tested like a dual-stack VM's.
    printf 'Address=fd00:231:%s::2/64\n' "$index"
    printf 'LinkLocalAddressing=no\nIPv6AcceptRA=no\n'
    for n in $dns; do echo "DNS=$n"; done
  } >"$m/etc/systemd/network/10-eth0.network"
  ssh-keygen -A -f "$m" >/dev/null
}

# The seed a cloud's metadata service would serve this instance: who logs in, with which key.
write_seed() {
  local seed=$1/var/lib/psn-cloud/seed
  install -d -m 0700 "$seed"
  echo "$ADMIN" >"$seed/user"
  install -m 0600 "$SSH_KEY.pub" "$seed/authorized_keys"
  echo "$2" >"$seed/key-delay"
  echo "$3" >"$seed/sudo"
  echo "$4" >"$seed/apt-busy"
}

cmd_up() {
  [ $# -ge 2 ] || usage
  local name=$1 index=$2 hd m ns t0 pid key_delay=0 sudo_mode=nopasswd apt_busy=0 wait_login=true
  shift 2
  while [ $# -gt 0 ]; do
    case "$1" in
      --image) IMAGE=${2:?--image needs a value} && shift ;;
      --key-delay) key_delay=${2:?} && shift ;;
      --apt-busy) apt_busy=${2:?} && shift ;;
      --sudo-password) sudo_mode=password ;;
      --no-wait) wait_login=false ;;
      *) usage ;;
    esac
    shift
  done
  [[ $key_delay =~ ^[0-9]+$ && $apt_busy =~ ^[0-9]+$ ]] || die "--key-delay and --apt-busy take seconds"
  suite "$IMAGE" >/dev/null
  check_name "$name"
  check_index "$index"
  need_root
  hd=$SANDBOX_DIR/hosts/$name
  m=$hd/merged
  ns=psn-$name
  pid_alive "$(cat "$hd/nspawn.pid" 2>/dev/null || true)" systemd-nspawn && die "host '$name' is already up"
  ip link show "psn${index}h" >/dev/null 2>&1 && die "index $index is in use (psn${index}h exists)"
  cmd_rootfs
  cmd_down "$name" 2>/dev/null # leftovers of a crashed run: start from a fresh overlay
  ensure_ssh_key
  t0=$(now)
  # From here on a failed 'up' removes what it made (the log stays).
  # shellcheck disable=SC2064 # expand $name now
  trap "log 'up failed: cleaning up'; cmd_down '$name'" EXIT

  mkdir -p "$hd/upper" "$hd/work" "$m"
  echo "$index" >"$hd/index"
  mount -t overlay "psn-$name" -o "lowerdir=$CACHE_DIR/rootfs-$(suite "$IMAGE"),upperdir=$hd/upper,workdir=$hd/work" "$m"
  write_guest_files "$name" "$index" "$m"
  write_seed "$m" "$key_delay" "$sudo_mode" "$apt_busy"
  echo "$IMAGE" >"$hd/image"

  guard_route_add
  ip netns add "$ns"
  ip link add "psn${index}h" type veth peer name "psn${index}g"
  ip link set "psn${index}h" alias "$ns"
  ip link set "psn${index}g" netns "$ns"
  ip -n "$ns" link set "psn${index}g" name eth0
  ip addr add "10.231.$index.1/24" dev "psn${index}h"
  ip -6 addr add "fd00:231:$index::1/64" dev "psn${index}h" nodad
  ip link set "psn${index}h" up
  add_nat "$name" "$index"

  # The subshell moves itself into the host's own cgroups, then execs: $! is nspawn's PID (checked by
  # pid_alive below). setsid does not fork here (a background job of a non-interactive shell is not a
  # group leader); it keeps the caller's Ctrl-C away from the container.
  (
    for r in $(cgroup_roots); do
      mkdir -p "$r/$ns"
      echo "$BASHPID" >"$r/$ns/cgroup.procs"
    done
    exec setsid systemd-nspawn -b -D "$m" -M "$name" --keep-unit --register=no --capability=CAP_NET_ADMIN \
      --network-namespace-path="/run/netns/$ns" --resolv-conf=off --timezone=off --link-journal=no \
      --console=read-only
  ) </dev/null >"$hd/nspawn.log" 2>&1 &
  pid=$!
  echo "$pid" >"$hd/nspawn.pid"
  stat -c 'inode-%d:%i' "$m" >"$hd/nspawn.lock-name"
  local i
  for ((i = 0; i < 50; i++)); do # until the subshell has exec'd
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = systemd-nspawn ] && break
    sleep 0.02
  done

  local -a opts
  mapfile -t opts < <(ssh_opts)
  # With --no-wait, sshd answering is enough (the stack's wait-for-ssh step then waits for the key);
  # otherwise wait until the first-boot service has let the admin in.
  local deadline=$((SECONDS + 60 + key_delay)) what="$ADMIN can log in"
  "$wait_login" || what="sshd answers"
  until ready_ "$wait_login" "$index" "${opts[@]}"; do
    if ! pid_alive "$pid" systemd-nspawn || [ "$SECONDS" -ge "$deadline" ]; then
      tail -n 30 "$hd/nspawn.log" >&2
      log "host '$name': not '$what' within $((60 + key_delay)) s (log: $hd/nspawn.log)"
      exit 1
    fi
    sleep 0.2
  done
  trap - EXIT
  log "up: $name ($IMAGE) at 10.231.$index.2 (nspawn pid $pid), boot to '$what' $(since "$t0") s"
}

# ready_ <wait-login> <index> <ssh opts...>: the admin can log in, or (wait-login false) sshd answers.
ready_() {
  local login=$1 index=$2
  shift 2
  if "$login"; then
    ssh "$@" "$ADMIN@10.231.$index.2" true 2>/dev/null
  else
    ssh-keyscan -T 1 "10.231.$index.2" 2>/dev/null | grep . >/dev/null
  fi
}

# Without systemd on the machine, --keep-unit makes nspawn put the container's cgroups ("payload",
# "supervisor") under its own cgroup: the root, shared by every host. Give each host its own.
cgroup_roots() {
  [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ] && return 0
  if [ -e /sys/fs/cgroup/cgroup.controllers ]; then
    echo /sys/fs/cgroup
  else
    local r
    for r in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified; do [ -e "$r/cgroup.procs" ] && echo "$r"; done
  fi
  return 0
}

# What nspawn leaves behind when it cannot clean up (SIGKILL; /run not on tmpfs).
clean_nspawn_leftovers() {
  local name=$1 hd=$2 ns=psn-$1 r lock
  for r in $(cgroup_roots); do
    [ -d "$r/$ns" ] && find "$r/$ns" -depth -type d -exec rmdir {} + 2>/dev/null
  done
  lock=$(cat "$hd/nspawn.lock-name" 2>/dev/null || true)
  [ -n "$lock" ] && rm -f "/run/systemd/nspawn/locks/$lock"
  rm -rf --one-file-system "/run/systemd/nspawn/propagate/$name"
  rm -f "$hd/.#merged.lck" "$hd/nspawn.lock-name"
  rmdir /run/systemd/nspawn/propagate /run/systemd/nspawn/locks /run/systemd/nspawn 2>/dev/null || true
}

# A sandbox host is thrown away, so no orderly shutdown: every process of the container (all in its
# netns) gets SIGKILL at once, and nspawn, seeing its payload gone, cleans up and exits. (systemd's
# orderly shutdown inside the container cost seconds of CPU per host for nothing.)
stop_nspawn() {
  local hd=$1 ns=$2 pid p i
  pid=$(cat "$hd/nspawn.pid" 2>/dev/null || true)
  if [ -e "/run/netns/$ns" ]; then
    for ((i = 0; i < 50; i++)); do
      p=$(ip netns pids "$ns" 2>/dev/null)
      [ -z "$p" ] && break
      # shellcheck disable=SC2086 # one pid per word
      kill -KILL $p 2>/dev/null || true
      sleep 0.1
    done
  fi
  if pid_alive "$pid" systemd-nspawn; then
    for ((i = 0; i < 100; i++)); do
      pid_alive "$pid" systemd-nspawn || break
      sleep 0.1
    done
    if pid_alive "$pid" systemd-nspawn; then
      log "nspawn $pid still running 10 s after its container was killed: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
}

cmd_down() {
  [ $# = 1 ] || usage
  local name=$1 hd m ns index dev
  check_name "$name"
  need_root
  hd=$SANDBOX_DIR/hosts/$name
  m=$hd/merged
  ns=psn-$name
  stop_nspawn "$hd" "$ns"
  if mountpoint -q "$m" 2>/dev/null; then
    umount "$m" 2>/dev/null || { sleep 1; umount "$m" 2>/dev/null; } || umount -l "$m"
  fi
  index=$(cat "$hd/index" 2>/dev/null || true)
  # The host end carries the netns name as its alias: found even without the state dir.
  for dev in ${index:+psn${index}h} $(ip -o link show | awk -v a="$ns" '$0 ~ " alias " a "$" { sub(/@.*/, "", $2); print $2 }'); do
    ip link del "$dev" 2>/dev/null || true
  done
  [ -e "/run/netns/$ns" ] && ip netns del "$ns"
  # 'ip netns add' made /run/netns a mount point on first use; drop it once no namespace is left.
  if mountpoint -q /run/netns && [ -z "$(ls -A /run/netns)" ]; then umount /run/netns; fi
  del_nat "$name"
  guard_route_del
  clean_nspawn_leftovers "$name" "$hd"
  rm -rf --one-file-system "$hd/upper" "$hd/work" "$m" "$hd/nspawn.pid" "$hd/index" "$hd/image"
  log "down: $name"
}

cmd_ssh() {
  [ $# -ge 2 ] || usage
  local index=$2 have
  check_name "$1"
  check_index "$index"
  have=$(cat "$SANDBOX_DIR/hosts/$1/index" 2>/dev/null || true)
  [ -z "$have" ] || [ "$have" = "$index" ] || die "host '$1' has index $have, not $index"
  ip link show "psn${index}h" >/dev/null 2>&1 || die "no sandbox host is up at index $index"
  shift 2
  local -a opts
  mapfile -t opts < <(ssh_opts)
  # The command line (as ssh would send it) runs as root through sudo, as the stack's steps do,
  # redirections included: sh -c gets it whole, quoted for the admin's login shell.
  if [ $# -gt 0 ]; then set -- sudo -n sh -c "$(printf '%q' "$*")"; fi
  exec ssh "${opts[@]}" "$ADMIN@10.231.$index.2" "$@"
}

cmd_status() {
  local hd name pid index any=0
  for hd in "$SANDBOX_DIR"/hosts/*/; do
    [ -d "$hd" ] || continue
    name=$(basename "$hd")
    pid=$(cat "$hd/nspawn.pid" 2>/dev/null || true)
    index=$(cat "$hd/index" 2>/dev/null || echo '?')
    if pid_alive "$pid" systemd-nspawn; then
      printf '%-16s 10.231.%s.2  %s  nspawn pid %s\n' "$name" "$index" "$(cat "$hd/image" 2>/dev/null)" "$pid"
      any=1
    elif [ -n "$pid" ] || mountpoint -q "$hd/merged" 2>/dev/null; then
      printf '%-16s stale (not running; run host.sh down %s)\n' "$name" "$name"
    fi
  done
  [ "$any" = 1 ] || log "no sandbox host is running"
}

# Everything runs from main, read whole before it starts: editing this file mid-run is safe.
main() {
  [ $# -ge 1 ] || usage
  local sub=$1
  shift
  case $sub in
    rootfs) [ $# = 0 ] || usage; cmd_rootfs ;;
    up) cmd_up "$@" ;;
    down) cmd_down "$@" ;;
    ssh) cmd_ssh "$@" ;;
    status) cmd_status ;;
    key) [ $# = 0 ] || usage; ensure_ssh_key; echo "$SSH_KEY" ;;
    images) printf '%s\n' "${!SUITES[@]}" ;;
    *) usage ;;
  esac
}

main "$@"
exit $?
