/**
 * Stage 4's edge alone: the rendered nginx.conf with TLS (a self-signed certificate) in front of
 * the given upstreams, for the renderer's real-server tests.
 *
 *   startTlsEdge(upstreams, extra?) -> { server, cert, tlsPort, redirectPort, https(path, opts?), raw(text) }
 *       redirectPort stands for the host's published port; https() trusts only the certificate;
 *       raw() writes a request as given over TLS (Node's client refuses many malformed ones) and
 *       returns everything the edge sent until it closed (or reset).
 */
import * as tls from "node:tls";
import { type NginxConfOptions, type NginxUpstream, renderNginxConf } from "../../renderers/nginx";
import { freePort, makeTempDir, startNginx } from "./servers";
import { httpsRequest, makeSelfSignedCert } from "./tls";

export async function startTlsEdge(ups: NginxUpstream[], extra: Partial<NginxConfOptions> = {}) {
    const dir = makeTempDir("tls-");
    const cert = await makeSelfSignedCert(dir);
    const tlsPort = await freePort();
    const redirectPort = 18443;
    const server = await startNginx((ctx) => renderNginxConf({
        listenPort: ctx.port, listenAddress: "127.0.0.1", upstreams: ups, paths: ctx.paths, user: ctx.user,
        tls: { certificatePath: cert.certPath, keyPath: cert.keyPath, listenPort: tlsPort, redirectPort }, ...extra,
    }));
    const https = (path: string, opts: { method?: string; body?: string; localAddress?: string; headers?: Record<string, string> } = {}) =>
        httpsRequest(`https://localhost:${tlsPort}${path}`, { ca: cert.certPem, ...opts });
    const raw = (text: string, servername = "localhost") => new Promise<string>((resolve, reject) => {
        const socket = tls.connect({ host: "127.0.0.1", port: tlsPort, ca: cert.certPem, servername });
        let out = "";
        socket.setTimeout(5000, () => socket.destroy(new Error("raw request timed out")));
        socket.on("secureConnect", () => socket.write(text));
        socket.on("data", (d) => { out += d.toString("latin1"); });
        socket.on("close", () => resolve(out));
        // A reset after the answer (nginx closing with unread input) still leaves the answer.
        socket.on("error", (err) => (out ? resolve(out) : reject(err)));
    });
    return { server, cert, tlsPort, redirectPort, https, raw };
}
