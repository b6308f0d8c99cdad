/**
 * Stage 6's chaos job: a POSIX sh script that deletes one random running pod matching a label
 * selector in one namespace, with kubectl. Pure text, no Pulumi; test/kubernetes/render.test.ts runs
 * it against a stand-in kubectl. It needs exactly get/list/delete on pods in that namespace.
 */

export const CHAOS_ENV = {
    namespace: "TARGET_NAMESPACE",
    selector: "TARGET_SELECTOR",
} as const;

export function renderChaosScript(): string {
    const e = CHAOS_ENV;
    return `#!/bin/sh
# devsecops-journey: chaos (stage 6). Rendered; do not edit.
# Deletes one random running pod of $${e.selector} in $${e.namespace}; the Deployment replaces it, and
# the SLO says whether the product noticed.
set -eu
: "\${${e.namespace}:?${e.namespace} must be set}"
: "\${${e.selector}:?${e.selector} must be set}"

pods="$(kubectl get pods -n "$${e.namespace}" -l "$${e.selector}" --field-selector=status.phase=Running -o name)"
if [ -z "$pods" ]; then
    echo "chaos: no running pod matches $${e.selector} in $${e.namespace}; nothing to do"
    exit 0
fi
count="$(printf '%s\\n' "$pods" | wc -l)"
# awk's rand, seeded from the clock and the pid: busybox and GNU both have it (shuf is not everywhere).
pick="$(printf '%s\\n' "$pods" | awk -v seed="$(date +%s)$$" -v n="$count" 'BEGIN { srand(seed); k = int(rand() * n) + 1 } NR == k')"
echo "chaos: deleting $pick (one of $count)"
kubectl delete -n "$${e.namespace}" "$pick" --wait=false
`;
}
