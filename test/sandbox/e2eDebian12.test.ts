/**
 * The end-to-end run of e2e.test.ts, on a Debian 12 (bookworm) host: the other supported image.
 */
process.env.PSN_E2E_IMAGE = "debian-12";
// After the variable is set: the suite reads it when it loads.
// eslint-disable-next-line @typescript-eslint/no-require-imports
require("./e2e.test");
