/**
 * A stand-in for kube-proxy in front of one Service's ClusterIP, on loopback: it picks an endpoint
 * once per TCP connection, at random (iptables mode: one `statistic --mode random` rule per endpoint;
 * kubernetes.io/docs/reference/networking/virtual-ips), and pipes the connection to it for its whole
 * life, so keep-alive pins every request of that connection to one pod. Endpoints come and go as
 * the endpoints controller would change them (ready pods only); with none, a connection is refused
 * at once, as the REJECT rule kube-proxy writes for a Service without endpoints does.
 */
import * as net from "node:net";
import { freePort } from "./servers";

export interface KubeProxyStandIn {
    readonly host: string;
    readonly port: number;
    /** The ready endpoints ("host:port"), as the EndpointSlice lists them. */
    endpoints: { host: string; port: number }[];
    /** Connections opened so far, per endpoint "host:port". */
    readonly connections: Map<string, number>;
    close(): Promise<void>;
}

export async function startKubeProxyStandIn(endpoints: { host: string; port: number }[]): Promise<KubeProxyStandIn> {
    const port = await freePort();
    const sockets = new Set<net.Socket>();
    const proxy: KubeProxyStandIn = {
        host: "127.0.0.1", port, endpoints: [...endpoints], connections: new Map(),
        close: () => new Promise((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); }),
    };
    const server = net.createServer((client) => {
        sockets.add(client);
        client.on("close", () => sockets.delete(client));
        if (proxy.endpoints.length === 0) { client.resetAndDestroy(); return; }
        const to = proxy.endpoints[Math.floor(Math.random() * proxy.endpoints.length)];
        const key = `${to.host}:${to.port}`;
        proxy.connections.set(key, (proxy.connections.get(key) ?? 0) + 1);
        const upstream = net.connect(to.port, to.host);
        sockets.add(upstream);
        upstream.on("close", () => { sockets.delete(upstream); client.destroy(); });
        client.on("close", () => upstream.destroy());
        upstream.on("error", () => client.resetAndDestroy());
        client.on("error", () => upstream.destroy());
        client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    return proxy;
}
