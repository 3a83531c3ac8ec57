#!/usr/bin/env python3
"""Initialise a Pactus working directory without secrets in argv or in our output.

Usage:
  pactus-init.py --bin-dir DIR --working-dir WD --network mainnet|testnet|localnet \
                 --val-num N --password-file FILE [--mnemonic-file FILE] \
                 [--genesis-file FILE] [--timeout SECONDS] [--min-password-length N]

Why this exists (Pactus v1.16.0): `pactus-daemon init` takes the wallet password as `-p` and a
mnemonic as `--restore`, both visible in `ps`; a new wallet's seed phrase is printed to stdout and
init always asks "Have you written down the seed phrase?" through promptui, which needs a terminal.
So the binaries run under a pseudo-terminal, each prompt is awaited by its text and answered from
the 0600 files, and everything the child prints is dropped.

- New wallet: `pactus-daemon init -w WD --val-num N [--testnet|--localnet]`, answering
  "Have you written down the seed phrase? ..." (y), "Wallet Password" and "Confirm password".
- Restore: `init --restore` has no prompt form, so the same result is assembled from prompting
  commands: a throw-away `init` in a scratch dir supplies genesis.json and config.toml (identical
  for mainnet/testnet; for localnet the genesis validators are then swapped for the restored ones),
  `pactus-wallet --offline recover` creates the wallet (prompts "Seed", "Password",
  "Confirm password"; --offline: no address-recovery queries to public nodes), then
  `address new --type validator` N times and one `--type ed25519` reward address (prompt
  "Wallet password"), in the order and with the labels `init` uses, so the keys are the same ones
  `init --restore` derives. Pactus 1.15's recover asks no password (only a --password flag): the
  wallet is recovered unencrypted inside the unfinished 0700 directory, then `password` encrypts it
  (prompts "New Password", "Confirm password").
- The directory is built beside WD and renamed into place only when complete; a directory that is
  already initialised is left alone ("pactus-init: already initialised"); a non-empty directory that
  is not initialised is refused.
- Files end up 0600 and directories 0700 (Pactus itself leaves wallet.db 0644 under umask 022).
- `--genesis-file` (localnet only): join another node's localnet. The wallet is made as above (the
  daemon needs validators of its own; they are not in that genesis' committee, so they only follow
  the chain), then genesis.json is that file's bytes instead of the one init made from this wallet.
  An initialised directory with another genesis is moved to the given one: its genesis.json is
  replaced and the old chain's data/ and peers.json removed (the wallet stays). The daemon must be
  stopped then (its lock .pactus.lock is checked).

Output: status lines "pactus-init: ..." and, last, one JSON line {"validators": [...]} on stdout.
Errors go to stderr with the prompt that was awaited and a redacted tail of the child's output.
Python 3 standard library only (Debian 12, Ubuntu 22.04/24.04).
"""

from __future__ import annotations

import argparse
import codecs
import errno
import fcntl
import glob
import hashlib
import json
import os
import pty
import re
import secrets
import select
import shutil
import signal
import stat
import struct
import subprocess
import sys
import termios
import time
from typing import NamedTuple

PROG = "pactus-init"
NETWORK_FLAGS = {"mainnet": [], "testnet": ["--testnet"], "localnet": ["--localnet"]}
# Go's strings.TrimSpace set (unicode.IsSpace): what `start --password-from-file` strips.
GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008" \
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
ANSI_RE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
# A run of 12+ lowercase words looks like a seed phrase, whoever printed it.
SEED_LIKE_RE = re.compile(r"(?:\b[a-z]{3,8}\b[ \t]+){11,}\b[a-z]{3,8}\b")
SEED_PRINTED_RE = re.compile(r"seed phrase:\s*\n\s*([a-z]+(?:[ \t]+[a-z]+){11,23})")
ADDRESS_RE = re.compile(r"\b(t?pc1[a-z0-9]{38,})\b")


class InitError(Exception):
    """A failure with a message that is safe to print (no secret material)."""


class Prompt(NamedTuple):
    label: str  # text promptui shows, matched after stripping ANSI codes
    answer: str  # typed followed by Enter


class Redactor:
    """Removes secret material from child output before any of it is shown in an error."""

    def __init__(self) -> None:
        self.phrases: list[str] = []
        self.words: set[str] = set()

    def add(self, secret: str, words: bool = False) -> None:
        if secret:
            self.phrases.append(secret)
            if words:
                self.words.update(w for w in secret.split() if len(w) >= 3)

    def clean(self, text: str) -> str:
        for m in SEED_PRINTED_RE.finditer(text):  # a seed phrase that init generated
            self.add(m.group(1), words=True)
        for phrase in sorted(self.phrases, key=len, reverse=True):
            text = text.replace(phrase, "[redacted]")
        text = SEED_LIKE_RE.sub("[redacted]", text)

        def token(m: re.Match) -> str:
            tok = m.group(0).lower()
            # promptui redraws the line per keystroke, so fragments of typed words appear too.
            if len(tok) >= 3 and any(w.startswith(tok) for w in self.words):
                return "[redacted]"
            return m.group(0)

        return re.sub(r"[A-Za-z]+", token, text)


def visible_text(raw: str) -> str:
    """What a terminal would show, roughly: no escape codes, last redraw of each line."""
    text = ANSI_RE.sub("", raw).replace("\x08", "")
    lines: list[str] = []
    for raw_line in text.split("\n"):
        line = raw_line.rstrip("\r").split("\r")[-1].rstrip()
        if not line.strip():
            continue
        # promptui redraws its line on every keystroke; keep only the last drawing of a prompt.
        label = line.lstrip("?✔✗ ").split(":", 1)[0]
        if lines and ":" in line and lines[-1].lstrip("?✔✗ ").split(":", 1)[0] == label:
            lines[-1] = line
        else:
            lines.append(line)
    return "\n".join(lines)


def say(msg: str) -> None:
    print(f"{PROG}: {msg}", flush=True)


def child_env() -> dict[str, str]:
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
           "TERM": "dumb", "LANG": "C.UTF-8"}
    if "HOME" in os.environ:
        env["HOME"] = os.environ["HOME"]
    return env


def _kill(pid: int) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)  # pty.fork made the child a session (and group) leader
        except ProcessLookupError:
            return
        for _ in range(20):
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return
            time.sleep(0.05)


def run_pty(argv: list[str], prompts: list[Prompt], what: str, timeout: float,
            redactor: Redactor) -> None:
    """Run argv on a pseudo-terminal, answer each prompt in turn, drop all output.

    Raises InitError naming the awaited prompt, with a redacted tail of the output."""
    pid, fd = pty.fork()
    if pid == 0:  # child: the pty slave is stdin/stdout/stderr and the controlling terminal
        try:
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 1000, 0, 0))
            attrs = termios.tcgetattr(0)
            attrs[3] &= ~(termios.ECHO | termios.ECHONL)  # the tty never echoes typed answers
            termios.tcsetattr(0, termios.TCSANOW, attrs)
            os.umask(0o077)
            os.execve(argv[0], argv, child_env())
        except BaseException:  # noqa: BLE001 - must never return into the parent's code
            os.write(2, b"exec failed\n")
        os._exit(127)

    raw = ""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    eof = False
    status: int | None = None

    def tail() -> str:
        text = redactor.clean(visible_text(raw))
        lines = text.splitlines()[-12:]
        out = "\n".join("    | " + line[-200:] for line in lines)
        if not out:
            return f"\n  ({what} printed nothing)"
        return f"\n  last output of {what} (redacted):\n{out}"

    def read_some(deadline: float) -> bool:
        """Read what is available; False on timeout."""
        nonlocal raw, eof
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            return False
        try:
            data = os.read(fd, 65536)
        except OSError as e:  # EIO: the child closed the terminal (exited)
            if e.errno != errno.EIO:
                raise
            data = b""
        if not data:
            eof = True
        raw += decoder.decode(data, final=not data)
        return True

    def reap() -> int:
        nonlocal status
        if status is None:
            _, st = os.waitpid(pid, 0)
            status = os.waitstatus_to_exitcode(st)
        return status

    try:
        mark = 0
        for prompt in prompts:
            deadline = time.monotonic() + timeout
            while prompt.label not in visible_text(raw[mark:]):
                if eof:
                    raise InitError(f"{what} exited with status {reap()} before showing the "
                                    f"prompt {prompt.label!r}" + tail())
                if not read_some(deadline):
                    raise InitError(f"timed out after {timeout:g}s waiting for the prompt "
                                    f"{prompt.label!r} from {what}" + tail())
            time.sleep(0.05)  # let promptui finish drawing and switch the terminal to raw mode
            os.write(fd, (prompt.answer + "\r").encode())
            mark = len(raw)
        deadline = time.monotonic() + timeout
        while not eof:
            if not read_some(deadline):
                raise InitError(f"timed out after {timeout:g}s waiting for {what} to finish "
                                f"after its last prompt" + tail())
        code = reap()
        if code != 0:
            hint = ""
            if "invalid mnenomic" in raw or "invalid mnemonic" in raw:  # sic, Pactus' spelling
                hint = " (the mnemonic is not a valid BIP-39 seed phrase: wrong word or checksum)"
            raise InitError(f"{what} failed with exit status {code}{hint}" + tail())
    finally:
        if status is None:
            _kill(pid)
        os.close(fd)
    redactor.clean(visible_text(raw))  # learn a printed seed phrase, just in case
    raw = ""


def run_plain(argv: list[str], what: str, timeout: float) -> str:
    """Run a command that asks nothing and prints nothing secret; return its visible stdout."""
    try:
        res = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                             timeout=timeout, env=child_env(), check=False,
                             preexec_fn=lambda: os.umask(0o077))
    except subprocess.TimeoutExpired:
        raise InitError(f"timed out after {timeout:g}s running {what}") from None
    out = visible_text(res.stdout.decode("utf-8", "replace"))
    err = visible_text(res.stderr.decode("utf-8", "replace"))
    if res.returncode != 0:
        raise InitError(f"{what} failed with exit status {res.returncode}:\n    | "
                        + "\n    | ".join((out + "\n" + err).strip().splitlines()[-12:]))
    return out


def read_capped(path: str, what: str, limit: int, limit_text: str) -> bytes:
    """The bytes of `what` file `path`, refused when larger than `limit` (said as `limit_text`)."""
    try:
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except OSError as e:
        raise InitError(f"{what} file {path}: {e.strerror}") from None
    if len(data) > limit:
        raise InitError(f"{what} file {path} is larger than {limit_text}")
    return data


def read_secret_file(path: str, what: str) -> str:
    try:
        st = os.stat(path)
    except OSError as e:
        raise InitError(f"{what} file {path}: {e.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        raise InitError(f"{what} file {path} is not a regular file")
    if st.st_mode & 0o077:
        say(f"warning: {what} file {path} is accessible by group/others "
            f"(mode {stat.S_IMODE(st.st_mode):04o}); 0600 is expected")
    data = read_capped(path, what, 64 * 1024, "64 KiB")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InitError(f"{what} file {path} is not valid UTF-8") from None
    return text.strip(GO_SPACE)


def check_password(pw: str, path: str, min_len: int) -> None:
    if not pw:
        raise InitError(f"password file {path} is empty (Pactus v1.16+ requires a wallet password)")
    if any(ord(c) < 32 or ord(c) == 127 for c in pw):
        raise InitError(f"password file {path} must hold one line without control characters "
                        "(a line break or control character inside it cannot be typed at a prompt)")
    if len(pw) < min_len:
        raise InitError(f"password in {path} is too short: {len(pw)} characters, "
                        f"at least {min_len} required")


def normalise_mnemonic(text: str, path: str) -> str:
    words = text.split()
    if len(words) not in (12, 15, 18, 21, 24):
        raise InitError(f"mnemonic file {path} holds {len(words)} words; "
                        "a BIP-39 seed phrase has 12, 15, 18, 21 or 24")
    for i, w in enumerate(words, 1):
        if not re.fullmatch(r"[a-z]{3,8}", w):
            raise InitError(f"mnemonic file {path}: word {i} is not a lowercase English "
                            "BIP-39 word")
    return " ".join(words)


def is_initialised(wd: str) -> bool:
    return (os.path.isfile(os.path.join(wd, "genesis.json"))
            and os.path.exists(os.path.join(wd, "wallets", "default_wallet")))


def harden(path: str) -> None:
    """Owner-only modes: 0700 for directories, 0600 for files."""
    for root, _dirs, files in os.walk(path):
        os.chmod(root, 0o700)
        for name in files:
            p = os.path.join(root, name)
            if not os.path.islink(p):
                os.chmod(p, 0o600)


def wallet_cmd(bins: dict[str, str], wallet: str, *args: str) -> list[str]:
    return [bins["wallet"], "--offline", "--path", wallet, *args]


def list_validators(bins: dict[str, str], wallet: str, network: str, timeout: float) -> list[str]:
    """`address all` needs no password: it lists the public addresses stored in the wallet."""
    out = run_plain(wallet_cmd(bins, wallet, "address", "all"), "pactus-wallet address all",
                    timeout)
    prefix = "pc1p" if network == "mainnet" else "tpc1p"  # type 'p' = validator
    return [m.group(1) for m in ADDRESS_RE.finditer(out) if m.group(1).startswith(prefix)]


def init_new(bins, wd, args, password, redactor) -> None:
    run_pty([bins["daemon"], "init", "-w", wd, "--val-num", str(args.val_num),
             *NETWORK_FLAGS[args.network]],
            [Prompt("Have you written down the seed phrase", "y"),
             Prompt("Wallet Password", password),
             Prompt("Confirm password", password)],
            "pactus-daemon init", args.timeout, redactor)


def init_restore(bins, wd, scratch, args, *, password, mnemonic, redactor) -> None:
    net, n = args.network, args.val_num
    # 1. genesis.json + config.toml exactly as init writes them, from a throw-away wallet.
    junk_pw = secrets.token_urlsafe(24)
    redactor.add(junk_pw)
    init_new(bins, scratch, args, junk_pw, redactor)
    os.mkdir(wd, 0o700)
    for name in ("genesis.json", "config.toml"):
        os.rename(os.path.join(scratch, name), os.path.join(wd, name))
    shutil.rmtree(scratch)

    # 2. the wallet, as cmd.CreateNode builds it: wallet, N validators, then the reward address.
    wallet = os.path.join(wd, "wallets", "default_wallet")
    recover = wallet_cmd(bins, wallet, "recover", *(["--testnet"] if net != "mainnet" else []))
    # Pactus 1.15 takes recover's password only as --password (argv): there the wallet is recovered
    # without one, inside this unfinished 0700 directory, and encrypted by `password` at the end.
    legacy = "--password" in run_plain([*recover, "--help"], "pactus-wallet recover --help",
                                       args.timeout)
    run_pty(recover,
            [Prompt("Seed", mnemonic)] + ([] if legacy else [
                Prompt("Password", password), Prompt("Confirm password", password)]),
            "pactus-wallet recover", args.timeout, redactor)
    for i in range(1, n + 1):
        run_plain(wallet_cmd(bins, wallet, "address", "new", "--type", "validator",
                             "--label", f"Validator address {i}"),
                  "pactus-wallet address new --type validator", args.timeout)
    # The same key type, named ed25519_account before 1.16.
    reward = wallet_cmd(bins, wallet, "address", "new",
                        "--type", "ed25519_account" if legacy else "ed25519",
                        "--label", "Reward address")
    if legacy:
        run_plain(reward, "pactus-wallet address new --type ed25519", args.timeout)
        run_pty(wallet_cmd(bins, wallet, "password"),
                [Prompt("New Password", password), Prompt("Confirm password", password)],
                "pactus-wallet password", args.timeout, redactor)
    else:
        run_pty(reward, [Prompt("Wallet password", password)],
                "pactus-wallet address new --type ed25519", args.timeout, redactor)
    if net == "localnet":
        localnet_fixups(bins, wd, wallet, args.timeout)


def localnet_fixups(bins, wd, wallet, timeout) -> None:
    """init --localnet puts the wallet's first 4 validators into a fresh genesis, and records the
    wallet's network as Localnet (2); `pactus-wallet recover` only knows mainnet/testnet."""
    vals = list_validators(bins, wallet, "localnet", timeout)[:4]
    pubs = []
    for addr in vals:
        out = run_plain(wallet_cmd(bins, wallet, "address", "pub", addr),
                        "pactus-wallet address pub", timeout)
        m = re.search(r"Public Key:\s*(\S+)", out)
        if not m:
            raise InitError(f"pactus-wallet address pub {addr}: no public key in its output")
        pubs.append(m.group(1))
    gen_path = os.path.join(wd, "genesis.json")
    with open(gen_path, encoding="utf-8") as f:
        text = f.read()
    old = [v["public_key"] for v in json.loads(text)["validators"]]
    if len(old) != 4 or len(pubs) != 4:
        raise InitError(f"unexpected localnet genesis: {len(old)} validators, {len(pubs)} restored")
    for o, p in zip(old, pubs, strict=True):
        if text.count(o) != 1:
            raise InitError("unexpected localnet genesis layout (validator key not unique)")
        text = text.replace(o, p)
    with open(gen_path + ".tmp", "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(gen_path + ".tmp", gen_path)

    try:
        import sqlite3  # noqa: PLC0415 - only needed here; part of Debian/Ubuntu libpython3-stdlib
    except ImportError:
        raise InitError("python3 lacks the sqlite3 module, needed to restore a localnet wallet") \
            from None
    db = sqlite3.connect(os.path.join(wallet, "wallet.db"))
    try:
        cur = db.execute("UPDATE wallet SET value = '2' WHERE name = 'network' AND value = '1'")
        if cur.rowcount != 1:
            raise InitError("could not mark the restored wallet as a localnet wallet")
        db.commit()
    finally:
        db.close()


def read_genesis(path: str) -> bytes:
    """A genesis.json to join, checked to be one (a JSON object with validators and params)."""
    data = read_capped(path, "genesis", 1024 * 1024, "1 MiB")
    try:
        doc = json.loads(data)
    except ValueError:
        raise InitError(f"genesis file {path} is not JSON") from None
    if not (isinstance(doc, dict) and doc.get("validators") and isinstance(doc.get("params"), dict)):
        raise InitError(f"genesis file {path} is not a Pactus genesis.json (no validators or params)")
    return data


def write_atomic(path: str, data: bytes) -> None:
    with open(path + ".tmp", "wb", opener=lambda p, fl: os.open(p, fl, 0o600)) as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(path + ".tmp", path)


def check_not_in_committee(bins, wallet: str, genesis: bytes, timeout: float) -> None:
    """Refuses a wallet that holds a validator of the genesis' committee (e.g. node 1's mnemonic
    restored): two nodes would then sign for the same validator."""
    committee = {v["public_key"] for v in json.loads(genesis)["validators"]}
    for addr in list_validators(bins, wallet, "localnet", timeout):
        out = run_plain(wallet_cmd(bins, wallet, "address", "pub", addr),
                        "pactus-wallet address pub", timeout)
        m = re.search(r"Public Key:\s*(\S+)", out)
        if m and m.group(1) in committee:
            raise InitError(f"this wallet's validator {addr} is in the committee of the genesis to "
                            "join (the other node's wallet restored here?): two nodes would sign for "
                            "it. A joining node needs a wallet of its own (no mnemonic, or another one)")


def join_genesis(bins, wd: str, genesis: bytes, timeout: float) -> bool:
    """An initialised WD on the given genesis: True when it had another one (now replaced, the old
    chain's data removed), False when it was already on it. Only with the daemon stopped (it also
    holds the wallet's database, which the committee check reads)."""
    gen_path = os.path.join(wd, "genesis.json")
    with open(gen_path, "rb") as f:
        if f.read() == genesis:
            return False
    lock = os.open(os.path.join(wd, ".pactus.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InitError(f"{wd} is on another genesis, and a running pactus-daemon holds its lock: "
                            "stop it first") from None
        check_not_in_committee(bins, os.path.join(wd, "wallets", "default_wallet"), genesis, timeout)
        write_atomic(gen_path, genesis)
        shutil.rmtree(os.path.join(wd, "data"), ignore_errors=True)
        with_peers = os.path.join(wd, "peers.json")
        if os.path.exists(with_peers):
            os.remove(with_peers)
    finally:
        os.close(lock)
    return True


def lock_parent(parent: str, timeout: float) -> int:
    dfd = os.open(parent, os.O_RDONLY | os.O_DIRECTORY)
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(dfd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return dfd
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise InitError(f"another pactus-init holds the lock on {parent}") from None
            time.sleep(0.2)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin-dir", required=True,
                    help="directory with pactus-daemon and pactus-wallet")
    ap.add_argument("--working-dir", required=True, help="Pactus working directory to create")
    ap.add_argument("--network", required=True, choices=sorted(NETWORK_FLAGS))
    ap.add_argument("--val-num", required=True, type=int, help="number of validators, 1..32")
    ap.add_argument("--password-file", required=True, help="file holding the wallet password")
    ap.add_argument("--mnemonic-file",
                    help="file holding a seed phrase to restore (else: a new wallet)")
    ap.add_argument("--genesis-file",
                    help="localnet: the genesis.json of the localnet to join (else: its own)")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for each prompt")
    ap.add_argument("--min-password-length", type=int, default=8)
    args = ap.parse_args(argv)

    t0 = time.monotonic()
    if not 1 <= args.val_num <= 32:
        raise InitError(f"--val-num {args.val_num} is out of range 1..32")
    if args.network == "localnet" and args.val_num < 4:
        raise InitError(f"localnet needs at least 4 validators, --val-num is {args.val_num}")
    bin_dir = os.path.abspath(args.bin_dir)
    bins = {k: os.path.join(bin_dir, f"pactus-{k}") for k in ("daemon", "wallet")}
    for path in bins.values():
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            raise InitError(f"{path} is missing or not executable")

    genesis = None
    if args.genesis_file:
        if args.network != "localnet":
            raise InitError(f"--genesis-file is for localnet only (the {args.network} genesis is "
                            "the one Pactus ships)")
        genesis = read_genesis(args.genesis_file)

    wd = os.path.abspath(args.working_dir)
    parent, name = os.path.split(wd)
    if is_initialised(wd):  # cheap check first: no secrets needed to say "nothing to do"
        if genesis is not None and join_genesis(bins, wd, genesis, args.timeout):
            say(f"joined the localnet of genesis sha256 {hashlib.sha256(genesis).hexdigest()}: "
                "genesis.json replaced, the previous chain's data removed, the wallet kept")
        else:
            say("already initialised")
        return 0

    redactor = Redactor()
    password = read_secret_file(args.password_file, "password")
    redactor.add(password)
    check_password(password, args.password_file, args.min_password_length)
    mnemonic = None
    if args.mnemonic_file:
        raw_mnemonic = read_secret_file(args.mnemonic_file, "mnemonic")
        redactor.add(raw_mnemonic, words=True)
        mnemonic = normalise_mnemonic(raw_mnemonic, args.mnemonic_file)
        redactor.add(mnemonic, words=True)

    os.makedirs(parent, exist_ok=True)
    dfd = lock_parent(parent, args.timeout)
    try:
        if is_initialised(wd):  # a concurrent run finished while we waited for the lock
            say("already initialised")
            return 0
        if os.path.lexists(wd) and (not os.path.isdir(wd) or os.path.islink(wd) or os.listdir(wd)):
            raise InitError(
                f"{wd} exists but is not an initialised Pactus working directory (it lacks "
                "genesis.json or wallets/default_wallet); refusing to guess. "
                "Move it away or empty it.")
        for stale in glob.glob(os.path.join(parent, f".{glob.escape(name)}.pactus-init-*")):
            shutil.rmtree(stale, ignore_errors=True)  # left by a crashed run; we hold the lock
            say(f"removed an unfinished earlier attempt: {stale}")

        staging = os.path.join(parent, f".{name}.pactus-init-{secrets.token_hex(4)}")
        os.mkdir(staging, 0o700)
        try:
            stage_wd = os.path.join(staging, "wd")
            if mnemonic is None:
                say(f"creating a new {args.network} wallet with {args.val_num} validator(s)")
                init_new(bins, stage_wd, args, password, redactor)
            else:
                say(f"restoring a {args.network} wallet with {args.val_num} validator(s) "
                    "from the mnemonic file")
                init_restore(bins, stage_wd, os.path.join(staging, "scratch"), args,
                             password=password, mnemonic=mnemonic, redactor=redactor)
            if not is_initialised(stage_wd):
                raise InitError("the Pactus tools finished but genesis.json or "
                                "wallets/default_wallet is missing")
            if genesis is not None:
                check_not_in_committee(bins, os.path.join(stage_wd, "wallets", "default_wallet"),
                                       genesis, args.timeout)
                write_atomic(os.path.join(stage_wd, "genesis.json"), genesis)
                say(f"joining the localnet of genesis sha256 {hashlib.sha256(genesis).hexdigest()}")
            wallet = os.path.join(stage_wd, "wallets", "default_wallet")
            validators = list_validators(bins, wallet, args.network, args.timeout)
            if len(validators) != args.val_num:
                raise InitError(f"expected {args.val_num} validator addresses in the wallet, "
                                f"found {len(validators)}")
            harden(stage_wd)
            os.sync()
            try:
                os.rename(stage_wd, wd)  # atomic; replaces an empty directory
            except OSError as e:
                raise InitError(f"could not move the initialised directory into place at {wd}: "
                                f"{e.strerror}") from None
            os.fsync(dfd)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    finally:
        os.close(dfd)

    say(f"initialised {wd} ({args.network}, {len(validators)} validator(s)) "
        f"in {time.monotonic() - t0:.1f}s")
    print(json.dumps({"validators": validators}, separators=(",", ":")), flush=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except InitError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr, flush=True)
        sys.exit(1)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr, flush=True)
        sys.exit(130)
