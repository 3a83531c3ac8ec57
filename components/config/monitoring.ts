import { SecretGroupParser, bool, cidrProblem, group, list } from "./fields";
import { parseHtpasswdPair } from "./htpasswd";

/**
 * monitoring: off by default. On, it needs a way to tell the operator's Prometheus from the internet:
 * credentials (monitoring.basicAuth with its password) and/or source CIDRs; with both, nginx demands
 * both (`satisfy all`). The keys are checked even while it is off, so turning it on holds no surprise.
 */
export const parseMonitoring: SecretGroupParser<"monitoring"> = (raw, secrets, p) => {
  const m = group(raw, "monitoring", p);
  const enabled = bool(m, "enabled", "monitoring.enabled", false, p);
  const basicAuth = parseHtpasswdPair("monitoring", secrets, p);
  const cidrs = list(m, "allowCidrs", "monitoring.allowCidrs", p);
  // A malformed list is its own problem: then the one below would only repeat it.
  const cidrsBroken = cidrs === undefined && m.allowCidrs !== undefined && m.allowCidrs !== null;
  const allowCidrs = cidrs ?? [];
  for (const c of allowCidrs) {
    const prob = cidrProblem(c);
    if (prob) p.add("monitoring.allowCidrs", prob);
    else if (/\/0$/.test(c) && !basicAuth)
      p.add(
        "monitoring.allowCidrs",
        `${c} lets the whole internet read the metrics; list your Prometheus's addresses, e.g. 203.0.113.7/32, or set monitoring.basicAuth too`,
      );
  }
  // Half a credential pair is its own problem too.
  const authTried =
    secrets["monitoring.basicAuth"] !== undefined ||
    secrets["monitoring.basicAuthPassword"] !== undefined;
  if (enabled && !basicAuth && allowCidrs.length === 0 && !cidrsBroken && !authTried)
    p.add(
      "monitoring.enabled",
      "true, but nothing says who may read /metrics/: set monitoring.basicAuth and monitoring.basicAuthPassword " +
        "(`htpasswd -bnB prometheus <password> | pulumi config set --path --secret monitoring.basicAuth`), " +
        "and/or monitoring.allowCidrs (`pulumi config set --path 'monitoring.allowCidrs[0]' 203.0.113.7/32`)",
    );
  return { enabled, basicAuth, allowCidrs };
};
