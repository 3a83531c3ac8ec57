import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

const ROOT = path.resolve(__dirname, "..", "..");
const WF = path.join(ROOT, ".github", "workflows");

describe("GitHub workflows", () => {
  test("actionlint (with shellcheck on run: blocks) finds nothing", () => {
    const bin = process.env.PSN_BIN_DIR;
    if (!bin || !fs.existsSync(path.join(bin, "actionlint")))
      throw new Error("PSN_BIN_DIR must hold actionlint (tools/toolchain/build.sh)");
    const r = spawnSync(path.join(bin, "actionlint"), [], { cwd: ROOT, encoding: "utf8" });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  test("preview: tests first, then pulumi preview --diff per stack as a PR comment, skipped for forks", () => {
    const wf = parse(fs.readFileSync(path.join(WF, "preview.yml"), "utf8"));
    expect(Object.keys(wf.on)).toEqual(["pull_request"]);
    const job = wf.jobs.preview;
    expect(job.needs).toBe("test");
    expect(job.if).toBe("github.event.pull_request.head.repo.full_name == github.repository");
    expect(job.strategy.matrix.stack).toEqual(["dev", "prod"]);
    const step = job.steps.find((s: { uses?: string }) => s.uses?.startsWith("pulumi/actions@"));
    expect(step.with).toMatchObject({ command: "preview", diff: true, "comment-on-pr": true });
    expect(job.permissions["pull-requests"]).toBe("write");
  });

  test("deploy: dev on merge to main, prod behind the protected production environment", () => {
    const wf = parse(fs.readFileSync(path.join(WF, "deploy.yml"), "utf8"));
    expect(wf.on.push.branches).toEqual(["main"]);
    expect(wf.jobs.dev.environment).toBe("dev");
    expect(wf.jobs.prod).toMatchObject({ needs: "dev", environment: "production" });
    for (const j of [wf.jobs.dev, wf.jobs.prod]) {
      expect(
        j.steps.find((s: { uses?: string }) => s.uses?.startsWith("pulumi/actions@")).with.command,
      ).toBe("up");
    }
  });

  test("destroy: manual only, with a typed confirmation", () => {
    const wf = parse(fs.readFileSync(path.join(WF, "destroy.yml"), "utf8"));
    expect(Object.keys(wf.on)).toEqual(["workflow_dispatch"]);
    expect(wf.jobs.destroy.if).toBe("inputs.confirm == inputs.stack");
  });
});
