/**
 * The lab's policies, in the order of POLICIES.md (Docker, then stack). index.ts serves them; the
 * config generator reads their metadata; the tests evaluate them in-process.
 */
import { Policies } from "@pulumi/policy";
import { dataNetworkInternal } from "./data-network-internal";
import { dataPortsNotPublished } from "./data-ports-not-published";
import { databaseReplicated } from "./database-replicated";
import { defaultDenyNetworkPolicy } from "./default-deny-network-policy";
import { dockerCapsDropAll } from "./docker-caps-drop-all";
import { dockerHealthcheck } from "./docker-healthcheck";
import { dockerLimits } from "./docker-limits";
import { dockerNoHostNamespaces } from "./docker-no-host-namespaces";
import { dockerNoNewPrivileges } from "./docker-no-new-privileges";
import { dockerNoPlaintextSecretEnv } from "./docker-no-plaintext-secret-env";
import { dockerNoPrivileged } from "./docker-no-privileged";
import { dockerNoSensitiveHostDirs } from "./docker-no-sensitive-host-dirs";
import { dockerNoSocketMount } from "./docker-no-socket-mount";
import { dockerNonRoot } from "./docker-non-root";
import { dockerPortsLocalhost } from "./docker-ports-localhost";
import { dockerReadonlyRootfs } from "./docker-readonly-rootfs";
import { dockerRestartPolicy } from "./docker-restart-policy";
import { dockerUserNetwork } from "./docker-user-network";
import { imagePinned } from "./image-pinned";
import { LabPolicy } from "./lib/meta";
import { noSinglePointOfFailure } from "./no-single-point-of-failure";
import { ownershipLabels } from "./ownership-labels";
import { referencesResolve } from "./references-resolve";
import { tlsAtEdge } from "./tls-at-edge";

export const LAB_POLICIES: readonly LabPolicy[] = [
    dockerNoPrivileged,
    dockerNoSocketMount,
    dockerNoSensitiveHostDirs,
    dockerNoHostNamespaces,
    imagePinned,
    dockerNoPlaintextSecretEnv,
    dockerUserNetwork,
    dockerHealthcheck,
    dockerRestartPolicy,
    dataPortsNotPublished,
    dockerPortsLocalhost,
    dockerNonRoot,
    dockerCapsDropAll,
    dockerNoNewPrivileges,
    dockerReadonlyRootfs,
    dockerLimits,
    dataNetworkInternal,
    tlsAtEdge,
    noSinglePointOfFailure,
    databaseReplicated,
    defaultDenyNetworkPolicy,
    referencesResolve,
    ownershipLabels,
];

/** What `new PolicyPack` takes: the CrossGuard objects alone. */
export const policies: Policies = LAB_POLICIES.map((p) => p.policy);

export type { LabPolicy, PolicyMeta } from "./lib/meta";
