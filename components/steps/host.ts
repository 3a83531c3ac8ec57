/** The steps that make the host ready for the node: SSH up, base system, the node's own volume. */
import { DATA_DEVICE_NAME, DNS01_PLUGINS, P2P_PORTS } from "../render";
import { StepContext, StepDraft, loadScript } from "./plan";

export function waitForSshStep(): StepDraft {
  return { name: "wait-for-ssh", script: loadScript("wait-ssh.sh"), env: {} };
}

export function baseStep({ cfg, opts, p, state }: StepContext): StepDraft {
  return {
    name: "base",
    script: loadScript("base.sh"),
    env: {
      PSN_SSH_PORT: String(opts.sshPort),
      PSN_P2P_PORT: String(P2P_PORTS[cfg.pactus.network] ?? ""),
      PSN_APT_CONF: p.aptUpgradesConf,
      ...state,
      // DNS-01: the plugin comes with the other packages (one apt-get update, not two).
      ...(cfg.acme.challenge === "dns-01" && cfg.acme.dns01
        ? { PSN_EXTRA_PACKAGES: DNS01_PLUGINS[cfg.acme.dns01.plugin].package }
        : {}),
    },
    deleteScript: loadScript("base-delete.sh"),
    deleteEnv: { PSN_APT_CONF: p.aptUpgradesConf, ...state },
  };
}

/** aws only. Before pactus: the node's home must be on its own volume before the user and home exist. */
export function dataDiskStep({ cfg, p }: StepContext): StepDraft | undefined {
  if (cfg.host.provider !== "aws") return undefined;
  return {
    name: "data-disk",
    script: loadScript("data-disk.sh"),
    env: {
      PSN_DEVICE_NAME: DATA_DEVICE_NAME,
      PSN_BY_ID_DIR: p.diskById,
      PSN_MOUNT: p.pactusHome,
      PSN_FSTAB: p.fstab,
      PSN_DATA_GB: String(cfg.host.dataDiskGb),
      PSN_WAIT_SECONDS: "300",
    },
    lateInputs: ["PSN_VOLUME_ID"],
  };
}
