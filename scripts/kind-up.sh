#!/bin/sh
# devsecops-journey: the kind cluster for stages 5-6, with a local registry the program pushes the
# app image to. Follows kind's local-registry recipe (https://kind.sigs.k8s.io/docs/user/local-registry/):
#   1. a registry container on 127.0.0.1:5001 (devsecops:appRegistry)
#   2. the cluster from kind-config.yaml (NodePort 30443 -> 127.0.0.1:8443)
#   3. on every node, containerd sends localhost:5001 to the registry container
#   4. the registry joins the kind network, so the nodes reach it by name
#   5. the cluster documents its registry (KEP-1755's local-registry-hosting ConfigMap)
#   6. metrics-server, which kind lacks and the app's HorizontalPodAutoscaler needs to see CPU
# Run it again at any time: every step checks first. Remove it all with scripts/kind-up.sh --delete.
set -eu

cluster="devsecops-journey"
reg_name="kind-registry"
reg_port="5001"
# Pinned like every image of the lab.
reg_image="${KIND_REGISTRY_IMAGE:-registry:3.0.0}"
metrics_server="${METRICS_SERVER_VERSION:-v0.8.0}"
here="$(cd "$(dirname "$0")" && pwd)"
config="$here/../kind-config.yaml"

for tool in docker kind kubectl; do
    command -v "$tool" >/dev/null 2>&1 || { echo "kind-up: $tool is not installed (see README, Stages 5-6 on Kubernetes)" >&2; exit 1; }
done

if [ "${1:-}" = "--delete" ]; then
    kind delete cluster --name "$cluster"
    docker rm -f "$reg_name" >/dev/null 2>&1 || true
    echo "kind-up: cluster $cluster and registry $reg_name removed"
    exit 0
fi

# 1. The registry, on the host's loopback only.
if [ "$(docker inspect -f '{{.State.Running}}' "$reg_name" 2>/dev/null || true)" != "true" ]; then
    docker rm -f "$reg_name" >/dev/null 2>&1 || true
    docker run -d --restart=always -p "127.0.0.1:${reg_port}:5000" --network bridge --name "$reg_name" "$reg_image"
fi

# 2. The cluster.
if ! kind get clusters 2>/dev/null | grep -qx "$cluster"; then
    kind create cluster --config "$config" ${KIND_NODE_IMAGE:+--image "$KIND_NODE_IMAGE"}
fi

# 3. localhost:5001 inside a node is the node itself: point containerd at the registry container.
registry_dir="/etc/containerd/certs.d/localhost:${reg_port}"
for node in $(kind get nodes --name "$cluster"); do
    docker exec "$node" mkdir -p "$registry_dir"
    printf '[host."http://%s:5000"]\n' "$reg_name" | docker exec -i "$node" cp /dev/stdin "$registry_dir/hosts.toml"
done

# 4. The registry on the cluster's network.
if [ "$(docker inspect -f='{{json .NetworkSettings.Networks.kind}}' "$reg_name")" = "null" ]; then
    docker network connect kind "$reg_name"
fi

# 5. Tell tools where the registry is.
kubectl --context "kind-$cluster" apply -f - <<YAML
apiVersion: v1
kind: ConfigMap
metadata:
  name: local-registry-hosting
  namespace: kube-public
data:
  localRegistryHosting.v1: |
    host: "localhost:${reg_port}"
    help: "https://kind.sigs.k8s.io/docs/user/local-registry/"
YAML

# 6. metrics-server, pinned; kind's kubelets serve self-signed certificates, hence the extra flag.
kubectl --context "kind-$cluster" apply -f "https://github.com/kubernetes-sigs/metrics-server/releases/download/${metrics_server}/components.yaml"
if ! kubectl --context "kind-$cluster" -n kube-system get deploy metrics-server -o jsonpath='{.spec.template.spec.containers[0].args}' | grep -q kubelet-insecure-tls; then
    kubectl --context "kind-$cluster" -n kube-system patch deploy metrics-server --type=json \
        -p '[{"op":"add","path":"/spec/template/spec/containers/0/args/-","value":"--kubelet-insecure-tls"}]'
fi

echo "kind-up: cluster $cluster is up (context kind-$cluster), registry on localhost:${reg_port}"
echo "kind-up: next: npm run lab -- up 5   (stop the cluster with: docker stop devsecops-journey-control-plane; delete it and the registry with: scripts/kind-up.sh --delete)"
