/** Where things live on the host. One table, shared by the renderers, the steps and the tests. */
export const PORTS = {
  grpc: "127.0.0.1:50051",
  jsonrpc: "127.0.0.1:8545",
  http: "127.0.0.1:8080",
} as const;

export const SERVICE_USER = "pactus";

export function hostPaths(domain: string, version: string) {
  return {
    /** Versioned install dir of the release binaries. */
    pactusInstallDir: `/opt/pactus/${version}`,
    pactusHome: "/var/lib/pactus",
    /** Working dir: wallet (validator keys) and chain data. Kept on destroy unless purgeOnDestroy. */
    pactusWorkingDir: "/var/lib/pactus/node",
    pactusConfig: "/var/lib/pactus/node/config.toml",
    passwordFile: "/etc/pactus/wallet-password",
    unit: "/etc/systemd/system/pactus.service",
    nginxHttpSite: "/etc/nginx/sites-available/pactus-http.conf",
    nginxTlsSite: "/etc/nginx/sites-available/pactus.conf",
    acmeWebroot: "/var/www/pactus-acme",
    statusRoot: "/var/www/pactus",
    certDir: `/etc/letsencrypt/live/${domain}`,
    certbotHook: "/etc/letsencrypt/renewal-hooks/deploy/50-pactus-nginx-reload.sh",
    acmeCaBundle: "/etc/pactus-secure-node/acme-ca.pem",
    certbotDropIn: "/etc/systemd/system/certbot.service.d/50-pactus-acme-ca.conf",
  };
}

export type HostPaths = ReturnType<typeof hostPaths>;
