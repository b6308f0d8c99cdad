/**
 * The lab's policies, in the order of the project's policy catalogue (Docker, Kubernetes, then stack; it lives
 * in the project's design folder beside the repository, not in it). index.ts serves them; the
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
import { k8sNoDefaultNamespace } from "./k8s-no-default-namespace";
import { k8sHostIsolation } from "./k8s-host-isolation";
import { k8sNoPrivilege } from "./k8s-no-privilege";
import { k8sRunAsNonRoot } from "./k8s-run-as-non-root";
import { k8sCapabilities } from "./k8s-capabilities";
import { k8sSeccomp } from "./k8s-seccomp";
import { k8sReadonlyRootfs } from "./k8s-readonly-rootfs";
import { k8sResources } from "./k8s-resources";
import { k8sProbes } from "./k8s-probes";
import { k8sImageTag } from "./k8s-image-tag";
import { k8sSaHygiene } from "./k8s-sa-hygiene";
import { k8sSecretEnvRef } from "./k8s-secret-env-ref";
import { k8sServiceExposure } from "./k8s-service-exposure";
import { k8sNamespacePssLabel } from "./k8s-namespace-pss-label";
import { k8sRbacLeastPrivilege } from "./k8s-rbac-least-privilege";
import { k8sHpaSane } from "./k8s-hpa-sane";
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
    k8sNoDefaultNamespace,
    k8sHostIsolation,
    k8sNoPrivilege,
    k8sRunAsNonRoot,
    k8sCapabilities,
    k8sSeccomp,
    k8sReadonlyRootfs,
    k8sResources,
    k8sProbes,
    k8sImageTag,
    k8sSaHygiene,
    k8sSecretEnvRef,
    k8sServiceExposure,
    k8sNamespacePssLabel,
    k8sRbacLeastPrivilege,
    k8sHpaSane,
    noSinglePointOfFailure,
    databaseReplicated,
    defaultDenyNetworkPolicy,
    referencesResolve,
    ownershipLabels,
];

/** What `new PolicyPack` takes: the CrossGuard objects alone. */
export const policies: Policies = LAB_POLICIES.map((p) => p.policy);

export type { LabPolicy, PolicyMeta } from "./lib/meta";
