/**
 * remote/data-disk.sh for real (the aws data volume step), as planSteps sends it, against loop devices
 * on sparse files: ext4 made only on a blank device, a device with data mounted as it is, nothing with
 * another signature ever formatted, a second run that changes nothing. Each run is in its own private
 * mount namespace (`unshare -m`), with the step's mount point and fstab in a temp dir (inputs, as on
 * the host), so the machine's mounts and /etc/fstab are never touched. Needs root (loop devices, mount).
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildStdin, planSteps } from "../../components/steps";
import { awsRaw, cfg } from "../helpers/config";

const GiB = 1024 * 1024 * 1024;

/** Whether this process may grow a mounted ext4 (CAP_SYS_RESOURCE, capability 24). */
function canResize(): boolean {
  const eff = /^CapEff:\s*([0-9a-f]+)$/m.exec(fs.readFileSync("/proc/self/status", "utf8"))![1];
  return ((BigInt(`0x${eff}`) >> 24n) & 1n) === 1n;
}
const FSTAB_BEFORE = "# the VM's own entries stay\nUUID=1111-2222 / ext4 defaults 0 1\n";

let work: string;
/** Loop devices this file attached, detached in afterAll. */
const loops: string[] = [];
let hostFstab: string;

beforeAll(() => {
  if (process.getuid?.() !== 0)
    throw new Error("test/live/dataDisk.test.ts needs root (losetup, mount)");
  work = fs.mkdtempSync(path.join(os.tmpdir(), "psn-datadisk-"));
  // systemctl as the step would call it on a systemd host: recorded, not run.
  fs.mkdirSync(path.join(work, "bin"));
  fs.writeFileSync(
    path.join(work, "bin", "systemctl"),
    `#!/bin/sh\necho "$*" >>${path.join(work, "systemctl.log")}\n`,
    { mode: 0o755 },
  );
  hostFstab = fs.readFileSync("/etc/fstab", "utf8");
});

afterAll(() => {
  for (const dev of loops) spawnSync("losetup", ["-d", dev]);
  if (work) fs.rmSync(work, { recursive: true, force: true });
  // Nothing of ours is left in the machine's fstab or mounts.
  expect(fs.readFileSync("/etc/fstab", "utf8")).toBe(hostFstab);
  expect(fs.readFileSync("/proc/self/mountinfo", "utf8")).not.toContain("psn-datadisk-");
});

/** A loop device on a new sparse file of `gib` GiB. */
function newLoop(name: string, gib: number): { dev: string; file: string } {
  const file = path.join(work, `${name}.img`);
  fs.writeFileSync(file, "");
  fs.truncateSync(file, gib * GiB);
  const dev = execFileSync("losetup", ["-f", "--show", file], { encoding: "utf8" }).trim();
  loops.push(dev);
  return { dev, file };
}

/** A case's own host: a temp root with an fstab and the node's home, and the volume's by-id link. */
function newHost(name: string, dev: string | undefined, volumeId: string) {
  const root = path.join(work, name);
  const byId = path.join(root, "dev-disk-by-id");
  fs.mkdirSync(path.join(root, "etc"), { recursive: true });
  fs.mkdirSync(byId);
  const fstab = path.join(root, "etc", "fstab");
  fs.writeFileSync(fstab, FSTAB_BEFORE);
  if (dev)
    fs.symlinkSync(
      dev,
      path.join(byId, `nvme-Amazon_Elastic_Block_Store_${volumeId.replace("-", "")}`),
    );
  return {
    root,
    fstab,
    mount: path.join(root, "var", "lib", "pactus"),
    env: {
      PSN_VOLUME_ID: volumeId,
      PSN_BY_ID_DIR: byId,
      PSN_MOUNT: path.join(root, "var", "lib", "pactus"),
      PSN_FSTAB: fstab,
      // A name that exists nowhere: the Xen fallback must not find a disk of this machine.
      PSN_DEVICE_NAME: path.join(root, "no-such-dev", "sdf"),
      PSN_DATA_GB: "1",
      PSN_WAIT_SECONDS: "5",
    } as Record<string, string>,
  };
}

const plan = planSteps(cfg(awsRaw()), { sshPort: 22, initPy: "" }).find(
  (s) => s.name === "data-disk",
)!;
let stdinCount = 0;

/** A shell line running the step as deployed (its stdin, with `env` over the plan's inputs). */
function step(env: Record<string, string>): string {
  const file = path.join(work, `stdin-${++stdinCount}`);
  fs.writeFileSync(file, buildStdin("data-disk", plan.script, { ...plan.env, ...env }));
  return `bash -s psn-data-disk <${file}`;
}

/** `script` in a new private mount namespace (its mounts end with it); never throws. */
function ns(script: string, timeout = 60_000) {
  const r = spawnSync("unshare", ["-m", "--propagation", "private", "bash", "-c", script], {
    encoding: "utf8",
    timeout,
    env: {
      ...process.env,
      PATH: `${path.join(work, "bin")}:${process.env.PATH ?? "/usr/bin:/bin"}`,
    },
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

const sh = (cmd: string) => execFileSync("bash", ["-c", cmd], { encoding: "utf8" }).trim();
const uuidOf = (dev: string) => sh(`blkid -p -s UUID -o value ${dev} || true`);
const headSha = (dev: string) =>
  crypto
    .createHash("sha256")
    .update(
      execFileSync("dd", [`if=${dev}`, "bs=1M", "count=2", "status=none"], {
        maxBuffer: 4 << 20,
      }),
    )
    .digest("hex");
const fstabLine = (uuid: string, mount: string) =>
  `UUID=${uuid} ${mount} ext4 defaults,nofail 0 2\n`;

describe("data-disk step on a loop device", () => {
  test("the plan runs it on aws only, before pactus, with the volume id as a late input", () => {
    const names = (c: ReturnType<typeof cfg>) =>
      planSteps(c, { sshPort: 22, initPy: "" }).map((s) => s.name);
    expect(names(cfg(awsRaw())).slice(0, 4)).toEqual([
      "wait-for-ssh",
      "base",
      "data-disk",
      "pactus",
    ]);
    expect(names(cfg())).not.toContain("data-disk");
    expect(plan.lateInputs).toEqual(["PSN_VOLUME_ID"]);
    expect(plan.deleteScript).toBeUndefined();
  });

  test("a blank device gets ext4 and is mounted by UUID with nofail; a second run changes nothing", () => {
    const { dev } = newLoop("blank", 1);
    const h = newHost("blank", dev, "vol-0a1b2c3d4e5f60001");
    const s1 = step(h.env);
    const s2 = step(h.env);
    const t0 = Date.now();
    const r = ns(
      [
        // systemd's marker dir, on a tmpfs of this namespace only: the step then reloads (the shim).
        "mount -t tmpfs psn-run /run && mkdir -p /run/systemd/system",
        `${s1} >${work}/blank-1.log 2>&1; echo "rc1=$?"`,
        `cp ${h.fstab} ${work}/blank-fstab-1`,
        `findmnt -n -o SOURCE,FSTYPE --mountpoint ${h.mount}`,
        `echo wallet >${h.mount}/canary`,
        `${s2} >${work}/blank-2.log 2>&1; echo "rc2=$?"`,
        `cat ${h.mount}/canary`,
      ].join("\n"),
    );
    const seconds = (Date.now() - t0) / 1000;
    const log1 = fs.readFileSync(path.join(work, "blank-1.log"), "utf8");
    const log2 = fs.readFileSync(path.join(work, "blank-2.log"), "utf8");
    expect({ status: r.status, out: r.out }).toMatchObject({ status: 0 });
    expect(r.out).toContain("rc1=0");
    expect(r.out).toContain("rc2=0");
    expect(r.out).toContain(`${dev} ext4`);
    expect(r.out).toMatch(/^wallet$/m);
    const uuid = uuidOf(dev);
    expect(uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(sh(`blkid -p -s TYPE -o value ${dev}`)).toBe("ext4");
    expect(log1).toContain(
      `[data-disk] volume vol-0a1b2c3d4e5f60001 (${dev}) is blank: making an ext4 filesystem`,
    );
    expect(log1).toContain(`[data-disk] mounted ${dev} at ${h.mount}`);
    const want = FSTAB_BEFORE + fstabLine(uuid, h.mount);
    expect(fs.readFileSync(path.join(work, "blank-fstab-1"), "utf8")).toBe(want);
    expect(fs.statSync(h.fstab).mode & 0o777).toBe(0o644);
    // The second run: one line, "unchanged"; same filesystem, same fstab, no second reload.
    expect(log2).toBe(
      `[data-disk] volume vol-0a1b2c3d4e5f60001 (${dev}) at ${h.mount} unchanged\n`,
    );
    expect(fs.readFileSync(h.fstab, "utf8")).toBe(want);
    expect(fs.readFileSync(path.join(work, "systemctl.log"), "utf8")).toBe("daemon-reload\n");
    // The mount lived in the namespace only.
    expect(sh(`findmnt -n --mountpoint ${h.mount} || true`)).toBe("");
    console.log(`data-disk: blank 1 GiB device, two runs in ${seconds.toFixed(1)} s`);
  });

  test("a device with data (a replaced VM, a fresh fstab) is mounted without mkfs and the file survives", () => {
    const { dev } = newLoop("data", 1);
    sh(`mkfs.ext4 -q ${dev}`);
    const uuid = uuidOf(dev);
    const h = newHost("data", dev, "vol-0a1b2c3d4e5f60002");
    const prep = ns(
      `mkdir -p ${work}/m && mount ${dev} ${work}/m && mkdir ${work}/m/node && echo keys >${work}/m/node/wallet && umount ${work}/m`,
    );
    expect(prep).toMatchObject({ status: 0 });
    const r = ns(`${step(h.env)} && cat ${h.mount}/node/wallet`);
    expect(r).toMatchObject({ status: 0 });
    expect(r.out).not.toContain("making an ext4");
    expect(r.out).toContain(`[data-disk] mounted ${dev} at ${h.mount}`);
    expect(r.out).toMatch(/^keys$/m);
    expect(uuidOf(dev)).toBe(uuid);
    expect(fs.readFileSync(h.fstab, "utf8")).toBe(FSTAB_BEFORE + fstabLine(uuid, h.mount));
  });

  test("another volume's fstab entry for the home is replaced, the rest of fstab kept", () => {
    const { dev } = newLoop("swapvol", 1);
    sh(`mkfs.ext4 -q ${dev}`);
    const h = newHost("swapvol", dev, "vol-0a1b2c3d4e5f60003");
    const old = `UUID=00000000-0000-0000-0000-000000000000 ${h.mount} ext4 defaults,nofail 0 2\n`;
    fs.writeFileSync(h.fstab, old + FSTAB_BEFORE);
    const r = ns(step(h.env));
    expect(r).toMatchObject({ status: 0 });
    expect(fs.readFileSync(h.fstab, "utf8")).toBe(FSTAB_BEFORE + fstabLine(uuidOf(dev), h.mount));
  });

  /** Writes a DOS partition table with one Linux partition (as fdisk would) onto `dev`. */
  function dosTable(dev: string) {
    const mbr = Buffer.alloc(512);
    mbr[446 + 4] = 0x83;
    mbr.writeUInt32LE(2048, 446 + 8);
    mbr.writeUInt32LE(4096, 446 + 12);
    mbr[510] = 0x55;
    mbr[511] = 0xaa;
    const fd = fs.openSync(dev, "r+");
    fs.writeSync(fd, mbr, 0, 512, 0);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
  }
  const foreign: [string, (dev: string) => void, RegExp][] = [
    ["a swap signature", (dev) => sh(`mkswap -q ${dev}`), /holds a swap filesystem/],
    ["a DOS partition table", dosTable, /holds a dos partition table/],
    ["an ext2 filesystem", (dev) => sh(`mkfs.ext2 -q ${dev}`), /holds a ext2 filesystem/],
  ];
  test.each(foreign)("a device with %s is neither formatted nor mounted", (_what, make, why) => {
    const name = `foreign-${stdinCount}`;
    const { dev } = newLoop(name, 1);
    make(dev);
    const before = headSha(dev);
    const h = newHost(name, dev, "vol-0a1b2c3d4e5f60004");
    const r = ns(`${step(h.env)}; rc=$?; findmnt -n --mountpoint ${h.mount}; exit $rc`);
    expect(r.status).toBe(1);
    expect(r.out).toMatch(why);
    expect(r.out).toContain("it was neither formatted nor mounted");
    expect(r.out).not.toContain("making an ext4");
    expect(r.out).not.toContain(h.mount + " ext4");
    expect(headSha(dev)).toBe(before);
    expect(fs.readFileSync(h.fstab, "utf8")).toBe(FSTAB_BEFORE);
  });

  test("a blank device under a home that already has files: refused, nothing changed", () => {
    const { dev } = newLoop("occupied", 1);
    const h = newHost("occupied", dev, "vol-0a1b2c3d4e5f60005");
    fs.mkdirSync(path.join(h.mount, "node"), { recursive: true });
    fs.writeFileSync(path.join(h.mount, "node", "wallet"), "old keys");
    const r = ns(step(h.env));
    expect(r.status).toBe(1);
    expect(r.out).toContain(
      `[data-disk] error: ${h.mount} already has files and is not on volume vol-0a1b2c3d4e5f60005 (${dev}): mounting the volume there would hide them`,
    );
    expect(r.out).toContain("Nothing was changed.");
    expect(spawnSync("blkid", ["-p", dev]).status).toBe(2);
    expect(fs.readFileSync(path.join(h.mount, "node", "wallet"), "utf8")).toBe("old keys");
    expect(fs.readFileSync(h.fstab, "utf8")).toBe(FSTAB_BEFORE);
  });

  test("a volume that never appears fails after the bounded wait, naming what it looked for", () => {
    const h = newHost("absent", undefined, "vol-0a1b2c3d4e5f60006");
    const t0 = Date.now();
    const r = ns(step({ ...h.env, PSN_WAIT_SECONDS: "2" }));
    const seconds = (Date.now() - t0) / 1000;
    expect(r.status).toBe(1);
    expect(r.out).toContain(
      "[data-disk] error: volume vol-0a1b2c3d4e5f60006 did not appear within 2s (no " +
        `${h.env.PSN_BY_ID_DIR}/nvme-Amazon_Elastic_Block_Store_vol0a1b2c3d4e5f60006, no NVMe serial vol0a1b2c3d4e5f60006`,
    );
    expect(seconds).toBeGreaterThanOrEqual(2);
    expect(seconds).toBeLessThan(10);
  });

  test("a grown volume: the step waits (bounded) for the new size, then grows ext4 while mounted", () => {
    const { dev, file } = newLoop("grow", 1);
    const h = newHost("grow", dev, "vol-0a1b2c3d4e5f60007");
    const grown = { ...h.env, PSN_DATA_GB: "2", PSN_WAIT_SECONDS: "3" };
    const first = step(h.env);
    const early = step(grown);
    const late = step(grown);
    const r = ns(
      [
        `${first} >/dev/null || exit 9`,
        `echo chain >${h.mount}/canary`,
        // host.dataDiskGb raised, but EBS has not grown the device yet: a bounded wait, then a clear error.
        `${early}; echo "early=$?"`,
        `truncate -s ${2 * GiB} ${file} && losetup -c ${dev}`,
        `${late}; echo "late=$?"`,
        `df -B1 --output=size ${h.mount} | tail -n1`,
        `cat ${h.mount}/canary`,
      ].join("\n"),
    );
    expect(r.status).toBe(0);
    expect(r.out).toContain("waiting up to 3s for");
    expect(r.out).toMatch(
      /is 1024 MiB, host.dataDiskGb says 2 GiB: the volume's modification has not reached the VM yet/,
    );
    expect(r.out).toContain("early=1");
    if (!canResize()) {
      // Online ext4 growth is an ioctl that needs CAP_SYS_RESOURCE, which root on an EC2 VM has and
      // some containers drop: here the step must fail with resize2fs's own reason, data intact.
      expect(r.out).toContain("[data-disk] error: resize2fs " + dev + " failed: ");
      expect(r.out).toContain("resize2fs: Permission denied to resize filesystem");
      expect(r.out).toContain("late=1");
      expect(r.out.trim().split("\n")).toContain("chain");
      console.log("data-disk: no CAP_SYS_RESOURCE here, the online grow itself was not run");
      return;
    }
    expect(r.out).toContain("[data-disk] grew the filesystem to 2048 MiB");
    expect(r.out).toContain("late=0");
    const lines = r.out.trim().split("\n");
    const size = Number(lines.at(-2));
    expect(size).toBeGreaterThan(1.8 * GiB);
    expect(lines.at(-1)).toBe("chain");
  });
});
