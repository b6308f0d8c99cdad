/**
 * A topology as a Mermaid flowchart: groups (Docker networks, Kubernetes namespaces) as subgraphs,
 * the host as one node with an edge per published port, and an edge per data flow. Deterministic
 * (ordered as the program registers things), so the docs' staleness test can compare text.
 */
import type { NodeRole, Topology, TopologyNode } from "../lab/topology";

export const HOST_NODE = "host";

/** Mermaid ids: letters, digits and underscores. */
export const mermaidId = (id: string) => id.replace(/[^a-zA-Z0-9_]/g, "_");

const quote = (text: string) => `"${text.replace(/"/g, "#quot;")}"`;

const SHAPES: Record<NodeRole, [string, string]> = {
    "database": ["[(", ")]"],
    "cache": ["[(", ")]"],
    "secrets": ["{{", "}}"],
    "load-balancer": ["[/", "\\]"],
    "job": ["[[", "]]"],
    "app": ["[", "]"],
    "other": ["[", "]"],
};

function nodeLine(node: TopologyNode, topology: Topology): string {
    const [open, close] = SHAPES[node.role];
    const groupName = (id: string) => topology.groups.find((g) => g.id === id)?.name ?? id;
    const also = node.alsoOn.length ? `<br/>also on ${node.alsoOn.map(groupName).join(", ")}` : "";
    const short = node.id.split("/").pop();
    const label = node.name === short ? node.name : `${short}<br/><small>${node.name}</small>`;
    return `${mermaidId(node.id)}${open}${quote(`${label}${also}`)}${close}`;
}

export function renderMermaid(topology: Topology): string {
    const lines = ["flowchart LR"];
    const hostLabel = topology.target === "kubernetes" ? "your laptop (kind node ports)" : "your laptop (host)";
    lines.push(`    ${HOST_NODE}((${quote(hostLabel)}))`);
    for (const group of topology.groups) {
        const kind = group.kind === "namespace" ? "namespace" : "network";
        const notes = group.notes.length ? ` (${group.notes.join(", ")})` : "";
        lines.push(`    subgraph ${mermaidId(`${group.kind}_${group.id}`)}[${quote(`${kind} ${group.name}${notes}`)}]`);
        for (const node of topology.nodes.filter((n) => n.group === group.id)) lines.push(`        ${nodeLine(node, topology)}`);
        lines.push("    end");
    }
    for (const node of topology.nodes.filter((n) => n.group === undefined)) lines.push(`    ${nodeLine(node, topology)}`);
    for (const p of topology.published) {
        lines.push(`    ${HOST_NODE} -->|${quote(`${p.host} → ${p.port}`)}| ${mermaidId(p.node)}`);
    }
    for (const f of topology.flows) {
        lines.push(`    ${mermaidId(f.from)} -->|${quote(f.what)}| ${mermaidId(f.to)}`);
    }
    return lines.join("\n");
}
