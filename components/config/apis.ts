import { Problems, SecretGroupParser, bool, group, list, safeUrl } from "./fields";
import { parseHtpasswdPair } from "./htpasswd";
import type { StackConfig } from "./types";

/** The public checker (ping.pactus.org): the default CORS origin, and the Origin the verify step sends. */
export const PING_ORIGIN = "https://ping.pactus.org";
export const DEFAULT_CORS_ORIGINS = [PING_ORIGIN];

/** apis: which APIs get a public location, and the basic auth every one of them then requires. */
export const parseApis: SecretGroupParser<"apis"> = (raw, secrets, p) => {
  const ap = group(raw, "apis", p);
  const apis = {
    grpcWeb: bool(ap, "grpcWeb", "apis.grpcWeb", true, p),
    jsonrpc: bool(ap, "jsonrpc", "apis.jsonrpc", true, p),
    http: bool(ap, "http", "apis.http", true, p),
    basicAuth: parseHtpasswdPair("apis", secrets, p),
  };
  if (!apis.grpcWeb && !apis.jsonrpc && !apis.http)
    p.add(
      "apis",
      "all of grpcWeb, jsonrpc and http are off; enable at least one (e.g. apis.jsonrpc: true)",
    );
  return apis;
};

/** cors: the browser origins allowed to call the APIs. */
export function parseCors(raw: unknown, p: Problems): StackConfig["cors"] {
  const c = group(raw, "cors", p);
  const allowAny = bool(c, "allowAny", "cors.allowAny", false, p);
  const origins = list(c, "origins", "cors.origins", p) ?? DEFAULT_CORS_ORIGINS;
  for (const o of origins) {
    if (o === "*") {
      if (!allowAny)
        p.add(
          "cors.origins",
          `"*" lets every web page call the node; list the origins, or set cors.allowAny: true to accept that`,
        );
    } else safeUrl(o, "cors.origins", ["https", "http"], p, false);
  }
  return { origins, allowAny };
}
