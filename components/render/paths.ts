/**
 * Where things live on the host. One table, shared by the renderers, the steps (which pass these values
 * to the host scripts as inputs: the scripts in remote/ name no path or port of their own) and the tests.
 */
import type { Network } from "../config/types";

/** The node's gRPC port. The JSON-RPC and HTTP gateways and nginx's gRPC-Web location call it. */
export const GRPC_PORT = 50051;

/** The node's API listeners, all on loopback: only nginx faces the internet. */
export const PORTS = {
  grpc: `127.0.0.1:${GRPC_PORT}`,
  jsonrpc: "127.0.0.1:8545",
  http: "127.0.0.1:8080",
  /**
   * The daemon's HTML server, which serves /metrics/prometheus (enabled only with monitoring.enabled).
   * Loopback only: with [grpc] basic_auth set it lets any Basic credentials through.
   */
  html: "127.0.0.1:8081",
  /** Prometheus's node exporter (monitoring.enabled), loopback only: nginx serves it over TLS. */
  nodeExporter: "127.0.0.1:9100",
} as const;

/** What nginx serves under /metrics/ (monitoring.enabled): public path → loopback URL. */
export const METRICS_LOCATIONS = {
  "/metrics/node": `http://${PORTS.nodeExporter}/metrics`,
  "/metrics/pactus": `http://${PORTS.html}/metrics/prometheus`,
} as const;

/**
 * The node's P2P port per network, opened to the internet by the cloud firewall (components/host.ts)
 * and ufw (the base step). mainnet and testnet: Pactus's defaults, which config.toml keeps. localnet:
 * Pactus picks a random port (its default is 0), so config.toml sets this one (`[network]
 * listen_addrs`): the other nodes of a localnet fleet dial node 1 at a multiaddr that must survive
 * its restarts.
 */
export const P2P_PORTS: Readonly<Record<Network, number>> = {
  mainnet: 21888,
  testnet: 21777,
  localnet: 21666,
};

/**
 * The device name of the node's data volume in its EC2 attachment (components/host.ts). Xen instances
 * show it as /dev/xvdf; Nitro ones as an NVMe disk whose serial is the volume id (the data-disk step).
 */
export const DATA_DEVICE_NAME = "/dev/sdf";

/**
 * The node exporter's textfile directory (Debian's prometheus-node-exporter default), where the health
 * refresher writes HEALTH_PROM_FILE; the metrics side points `--collector.textfile.directory` at it.
 */
export const NODE_EXPORTER_TEXTFILE_DIR = "/var/lib/prometheus/node-exporter";
export const HEALTH_PROM_FILE = `${NODE_EXPORTER_TEXTFILE_DIR}/pactus.prom`;
/** The health refresher's systemd unit (a loop, not a timer: no journal line per run). */
export const HEALTH_UNIT = "pactus-health.service";
/** /healthz answers 503 when the certificate has fewer days left than this. */
export const HEALTH_CERT_MIN_DAYS = 14;
/** Pactus's block interval (s, all networks): blocks left from the last block's time before 1.16. */
export const BLOCK_INTERVAL_SECONDS = 10;
/** Debian's and Ubuntu's flag of a pending reboot (unattended-upgrades' and the kernel's hooks). */
export const REBOOT_REQUIRED_FLAG = "/var/run/reboot-required";
/** Prometheus's node exporter: the Debian/Ubuntu package and its unit (monitoring.enabled). */
export const NODE_EXPORTER = {
  package: "prometheus-node-exporter",
  service: "prometheus-node-exporter.service",
} as const;
/** The group nginx's workers run as on Debian and Ubuntu: they read the metrics htpasswd file. */
export const NGINX_GROUP = "www-data";

export const SERVICE_USER = "pactus";
/** The node's systemd unit. */
export const SERVICE_UNIT = "pactus.service";

export function hostPaths(domain: string, version: string) {
  const pactusInstallRoot = "/opt/pactus";
  const pactusHome = "/var/lib/pactus";
  const pactusEtc = "/etc/pactus";
  return {
    /** Holds one dir per installed release; removed on destroy. */
    pactusInstallRoot,
    /** Versioned install dir of the release binaries. */
    pactusInstallDir: `${pactusInstallRoot}/${version}`,
    /**
     * The service user's home. Kept on destroy unless purgeOnDestroy. On aws the mount point of the
     * node's own EBS volume (the data-disk step), so all the node's data is on that volume.
     */
    pactusHome,
    /** Working dir: wallet (validator keys) and chain data. Kept on destroy unless purgeOnDestroy. */
    pactusWorkingDir: `${pactusHome}/node`,
    pactusConfig: `${pactusHome}/node/config.toml`,
    pactusEtc,
    passwordFile: `${pactusEtc}/wallet-password`,
    unit: `/etc/systemd/system/${SERVICE_UNIT}`,
    nginxHttpSite: "/etc/nginx/sites-available/pactus-http.conf",
    nginxTlsSite: "/etc/nginx/sites-available/pactus.conf",
    acmeWebroot: "/var/www/pactus-acme",
    statusRoot: "/var/www/pactus",
    certDir: `/etc/letsencrypt/live/${domain}`,
    certbotHook: "/etc/letsencrypt/renewal-hooks/deploy/50-pactus-nginx-reload.sh",
    acmeCaBundle: "/etc/pactus-secure-node/acme-ca.pem",
    certbotDropIn: "/etc/systemd/system/certbot.service.d/50-pactus-acme-ca.conf",
    /**
     * DNS-01 (acme.challenge dns-01): the credentials file of certbot's plugin, 0600 root, per plugin
     * that takes one (route53 uses the instance role). certbot's renewal conf points at it.
     */
    dns01CredentialsCloudflare: "/etc/letsencrypt/pactus-dns-cloudflare.ini",
    dns01CredentialsRfc2136: "/etc/letsencrypt/pactus-dns-rfc2136.ini",
    /**
     * The base step's apt policy: unattended upgrades from the security archive only, never a reboot.
     * Named after 50unattended-upgrades so it is read after it (and after 20auto-upgrades): its lists
     * replace the package's, its values win. Removed on destroy.
     */
    aptUpgradesConf: "/etc/apt/apt.conf.d/52pactus-secure-node",
    /** What the steps record for destroy: packages they installed, the default site they disabled. */
    stateDir: "/var/lib/pactus-secure-node",
    /** Where the data-disk step records the volume's mount (by UUID, nofail). */
    fstab: "/etc/fstab",
    /** udev's links to disks by id: a Nitro EBS volume is nvme-Amazon_Elastic_Block_Store_vol…. */
    diskById: "/dev/disk/by-id",
    /** nginx's cache of hot HTTP API reads (nginx.cache); nginx creates it, in Debian's /var/lib/nginx. */
    nginxCacheDir: "/var/lib/nginx/pactus-cache",
    /**
     * The health refresher's output, served by nginx at /healthz: healthz.json, and the flag file
     * `unhealthy` while it is not. The unit's RuntimeDirectory: removed when the refresher stops.
     */
    healthDir: "/run/pactus-health",
    /** The refresher (remote/pactus-health.py), its settings and its unit. */
    healthRefresher: "/usr/local/lib/pactus-secure-node/pactus-health.py",
    healthEnv: "/etc/pactus-secure-node/health.env",
    healthUnit: `/etc/systemd/system/${HEALTH_UNIT}`,
    /** With apis.basicAuth: the API user and password the refresher calls the node with (0600, root). */
    healthAuth: "/etc/pactus-secure-node/health-auth",
    /** The node exporter's textfile collector dir: *.prom files there become series (pactus_health_*). */
    nodeExporterTextfileDir: NODE_EXPORTER_TEXTFILE_DIR,
    /** The node exporter's options (Debian's and Ubuntu's unit read ARGS from it). */
    nodeExporterDefaults: "/etc/default/prometheus-node-exporter",
    /** nginx's htpasswd file for /metrics/ (monitoring.basicAuth), 0640 root:www-data. */
    metricsHtpasswd: "/etc/nginx/pactus-metrics.htpasswd",
    /** Scratch files of the pactus step (init helper, mnemonic), on tmpfs. */
    runDir: "/run/pactus-secure-node",
    /**
     * Present while the pactus step restarts the node (an upgrade, a rollback): nginx then answers the
     * API locations with its JSON 502 at once, instead of passing calls to a daemon that is starting.
     * On tmpfs, so a reboot clears it; the step removes it on any exit.
     */
    drainFlag: "/run/pactus-secure-node/node-restarting",
  };
}

export type HostPaths = ReturnType<typeof hostPaths>;

/** The credentials file of a DNS-01 plugin that reads one. */
export function dns01CredentialsPath(p: HostPaths, plugin: "cloudflare" | "rfc2136"): string {
  return plugin === "cloudflare" ? p.dns01CredentialsCloudflare : p.dns01CredentialsRfc2136;
}
