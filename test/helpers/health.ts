/**
 * The series the health refresher writes into the node exporter's textfile (remote/pactus-health.py
 * METRICS), in its order: the interface between /healthz's refresher and the alert rules. The suites
 * that check the refresher's output and the rules' names read this one list.
 */
export const HEALTH_SERIES = [
  "pactus_health_up",
  "pactus_health_height",
  "pactus_health_last_block_age_seconds",
  "pactus_health_blocks_left",
  "pactus_health_peers",
  "pactus_health_clock_offset_seconds",
  "pactus_health_cert_expiry_seconds",
  "pactus_health_reboot_required",
  "pactus_health_healthy",
  "pactus_health_info",
];
