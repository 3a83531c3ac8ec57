/**
 * The old path of the config rules, kept only for test/live (maintained on another branch) until its
 * imports move to ./config; new code imports from ./config.
 */
export * from "./config";
