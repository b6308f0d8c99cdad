import { ContainerProps, publishedPorts, tierOf } from "./lib/docker";
import { previewSafe, undecided } from "./lib/known";
import { stackPolicy } from "./lib/meta";
import { nginxServers } from "./lib/nginx-conf";
import { DockerStack } from "./lib/stack";

/** Where the official nginx image (and the lab's -c path) keeps configuration. */
const isNginxConf = (file: string) => file.startsWith("/etc/nginx/") && file.endsWith(".conf");

/**
 * A stack policy: from stage 4 nginx.conf reaches Nginx in a read-only volume that a seed container
 * fills, so the text the rule must read sits in another resource's uploads.
 */
export const tlsAtEdge = stackPolicy({
    name: "tls-at-edge",
    description: "The published edge listens with TLS; its plain-HTTP servers only redirect to HTTPS (or refuse).",
    from: 4,
    severity: "high",
    why: "Encryption in flight: serve all your content via a TLS connection, terminating SSL at the Nginx proxy.",
    remediation: "In nginx.conf, serve on `listen <port> ssl;` with a certificate and key, publish that port, and make any plain-HTTP server `return 301 https://$host$request_uri;`.",
    anchors: ["seed: encryption in flight"],
}, {
    validateStack: previewSafe((args, report) => {
        const stack = new DockerStack(args.resources);
        const edges = stack.containersIn("server")
            .filter((c) => tierOf(stack.labels(c)) === "edge" || stack.filesOf(c).some((f) => isNginxConf(f.file)));
        if (edges.length === 0) args.notApplicable("no edge: no container labelled tier=edge or configured with an nginx.conf");
        for (const c of edges) {
            const where = `container "${c.name}"`;
            const ports = publishedPorts(c.props as ContainerProps).filter((p) => p.internal !== undefined);
            if (ports.length === 0) continue; // nothing of it faces the host
            const confs = stack.filesOf(c).filter((f) => isNginxConf(f.file));
            if (confs.length === 0) {
                report(`${where}: publishes ${ports.map((p) => p.internal).join(", ")} but has no nginx.conf the pack can read ` +
                    `(uploaded, or in a volume a seed container fills), so nothing shows it speaks TLS; give it one that listens with ssl`, c.urn);
                continue;
            }
            if (confs.some((f) => f.content === undefined)) {
                undecided(`container "${c.name}": its nginx.conf is rendered from values unknown until up`);
                continue;
            }
            const servers = nginxServers(confs.map((f) => f.content).join("\n"));
            const listening = (port: number, ssl: boolean) => servers.filter((s) => s.listens.some((l) => l.port === port && l.ssl === ssl));
            if (!ports.some((p) => listening(p.internal!, true).length > 0)) {
                report(`${where}: ports publish ${ports.map((p) => p.internal).join(", ")}, where nginx.conf listens without ` +
                    `TLS, so traffic crosses the network in clear; add "listen <port> ssl;" with ssl_certificate and ` +
                    `ssl_certificate_key, and publish that port`, c.urn);
            }
            for (const p of ports) {
                // A server that also listens with ssl elsewhere still answers this port in clear. One
                // that only refuses (the default server for unknown Hosts) hands nothing out in clear.
                for (const server of listening(p.internal!, false)) {
                    if (server.serves.length > 0 || !(server.redirectsToHttps || server.refuses)) {
                        report(`${where}: nginx.conf's plain-HTTP server on published port ${p.internal} ` +
                            `${server.serves.length ? `serves content (${server.serves.join(", ")})` : "does not redirect"} ` +
                            `instead of only redirecting; make it "return 301 https://$host$request_uri;"`, c.urn);
                    }
                }
            }
        }
    }),
});
