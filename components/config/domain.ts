import { Problems, domainProblem } from "./fields";

/** domain: the node's public name, which the certificate is for. */
export function parseDomain(raw: unknown, p: Problems): string {
  if (raw === undefined || raw === null || raw === "") {
    p.add(
      "domain",
      "missing; set the node's public name with `pulumi config set domain node.example.org`",
    );
    return "";
  }
  if (typeof raw !== "string") {
    p.add("domain", "must be a string, e.g. node.example.org");
    return "";
  }
  const prob = domainProblem(raw);
  if (prob) {
    p.add("domain", prob);
    return "";
  }
  return raw;
}
