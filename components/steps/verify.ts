/** The last step: the checks ping.pactus.org makes, and /healthz, from the host. */
import { BlockList, isIP } from "node:net";
import { PING_ORIGIN } from "../config/apis";
import type { StackConfig } from "../config/types";
import { GRPC_PORT, SERVICE_UNIT } from "../render";
import { StepContext, StepPlan, hashOf, loadScript } from "./plan";
import { API_CREDENTIALS } from "./secrets";

/**
 * What the verify step expects /metrics/ to answer a request without credentials made on the host
 * (from 127.0.0.1): "off" (404), "protected" (401 or 403), or "open" (200) when only CIDRs guard it
 * and one of them holds 127.0.0.1.
 */
export function metricsExpectation(m: StackConfig["monitoring"]): "off" | "protected" | "open" {
  if (!m.enabled) return "off";
  if (m.basicAuth) return "protected";
  const loopback = new BlockList();
  for (const c of m.allowCidrs) {
    const [addr, bits] = c.split("/");
    loopback.addSubnet(addr, Number(bits), isIP(addr) === 6 ? "ipv6" : "ipv4");
  }
  return loopback.check("127.0.0.1", "ipv4") ? "open" : "protected";
}

/** verify re-runs whenever any step before it changed: their hashes are part of its own. */
export function verifyStep({ cfg, p }: StepContext, before: StepPlan[]): StepPlan {
  const apis = (["grpcWeb", "jsonrpc", "http"] as const).filter((a) => cfg.apis[a]);
  const env = {
    PSN_DOMAIN: cfg.domain,
    PSN_APIS: apis.join(" "),
    PSN_ORIGIN: cfg.cors.allowAny ? PING_ORIGIN : (cfg.cors.origins[0] ?? ""),
    PSN_TRUSTED: String(!cfg.acme.staging),
    PSN_TIMEOUT: "120",
    PSN_CERT_DIR: p.certDir,
    PSN_SERVICE: SERVICE_UNIT,
    PSN_WORKING_DIR: p.pactusWorkingDir,
    PSN_GRPC_PORT: String(GRPC_PORT),
    PSN_METRICS: metricsExpectation(cfg.monitoring),
  };
  const script = loadScript("verify.sh");
  return {
    name: "verify",
    script,
    env,
    // With basic auth: the API credentials it calls the node with.
    ...(cfg.apis.basicAuth
      ? { ...API_CREDENTIALS, secretStdin: true }
      : { secrets: [], secretStdin: false }),
    hash: hashOf(
      script,
      env,
      before.map((s) => s.hash),
    ),
  };
}
