import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

const ROOT = path.resolve(__dirname, "..", "..");
const WF = path.join(ROOT, ".github", "workflows");

describe("GitHub workflows", () => {
  test("the pull-request job lints and runs the unit suites (npm run lint, npm run test:unit)", () => {
    const wf = parse(fs.readFileSync(path.join(WF, "preview.yml"), "utf8"));
    const runs = (wf.jobs.test.steps as { run?: string }[]).map((s) => s.run).filter(Boolean);
    expect(runs).toContain("npm ci");
    expect(runs).toContain("npm run lint");
    expect(runs).toContain("npm run test:unit");
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
