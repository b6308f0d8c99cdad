/**
 * TLS for the real-server tests: a self-signed certificate made with the openssl CLI (Node's crypto
 * makes keys, not X.509 certificates), an HTTPS client that trusts exactly that certificate, and a
 * bare handshake to see which protocol versions a server accepts.
 *
 *   TLS_NEEDS                                     for skipUnless(this, [...NEEDS.nginx, ...TLS_NEEDS])
 *   makeSelfSignedCert(dir) -> { certPath, keyPath, certPem }   CN=localhost, SAN localhost + 127.0.0.1
 *   makeLabCa(dir) -> { caPath, caPem, issue(name, sans) -> { certPath, keyPath, certPem, keyPem } }   a CA like the program's
 *   httpsRequest(url, { ca, method?, headers?, body?, localAddress? }) -> { status, headers, rawHeaders, body }
 *   tlsHandshake({ host, port, ca, minVersion?, maxVersion?, ciphers?, ecdhCurve? }) -> { ok: true, protocol } | { ok: false, code, message }
 */
import * as fs from "node:fs";
import type { IncomingHttpHeaders } from "node:http";
import * as https from "node:https";
import * as path from "node:path";
import * as tls from "node:tls";
import { type Requirement, requireBinary, run } from "./proc";

export const TLS_NEEDS: Requirement[] = [{ binary: "openssl", debianPackage: "openssl" }];

export interface SelfSignedCert {
    certPath: string;
    keyPath: string;
    certPem: string;
}

/** An ECDSA P-256 certificate valid for two days, written into `dir` (key 0600). */
export async function makeSelfSignedCert(dir: string): Promise<SelfSignedCert> {
    const openssl = requireBinary("openssl", "openssl");
    const certPath = path.join(dir, "tls.crt");
    const keyPath = path.join(dir, "tls.key");
    await run("openssl req -x509", openssl, [
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
        "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        "-keyout", keyPath, "-out", certPath,
    ]);
    // Readable by nginx's unprivileged workers? Only the master reads it (as root when tests run as root).
    fs.chmodSync(keyPath, 0o600);
    return { certPath, keyPath, certPem: fs.readFileSync(certPath, "utf8") };
}

export interface IssuedCert {
    certPath: string;
    keyPath: string;
    certPem: string;
    keyPem: string;
}

export interface LabCa {
    caPath: string;
    caPem: string;
    /** A server certificate signed by this CA, for exactly these SANs ("DNS:localhost", "IP:127.0.0.1"). */
    issue(name: string, sans: string[]): Promise<IssuedCert>;
}

/**
 * A CA and the server certificates it signs, shaped as a lab CA made with
 * @pulumi/tls (ECDSA P-256; the CA with basicConstraints CA:TRUE, keyCertSign; servers with
 * serverAuth and their SANs). Keys are written 0600; callers re-own them as the server needs.
 */
export async function makeLabCa(dir: string): Promise<LabCa> {
    const openssl = requireBinary("openssl", "openssl");
    const caPath = path.join(dir, "ca.crt");
    const caKey = path.join(dir, "ca.key");
    await run("openssl req -x509 (CA)", openssl, [
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
        "-subj", "/CN=devsecops-journey test CA", "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-keyout", caKey, "-out", caPath,
    ]);
    return {
        caPath,
        caPem: fs.readFileSync(caPath, "utf8"),
        async issue(name, sans) {
            const keyPath = path.join(dir, `${name}.key`);
            const certPath = path.join(dir, `${name}.crt`);
            const csr = path.join(dir, `${name}.csr`);
            const ext = path.join(dir, `${name}.ext`);
            fs.writeFileSync(ext, `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${sans.join(",")}\n`);
            await run("openssl req (server)", openssl, [
                "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", `/CN=${name}`,
                "-keyout", keyPath, "-out", csr,
            ]);
            await run("openssl x509 -req (sign)", openssl, [
                "x509", "-req", "-in", csr, "-CA", caPath, "-CAkey", caKey, "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", certPath,
            ]);
            fs.chmodSync(keyPath, 0o600);
            return { certPath, keyPath, certPem: fs.readFileSync(certPath, "utf8"), keyPem: fs.readFileSync(keyPath, "utf8") };
        },
    };
}

export interface HttpsReply {
    status: number;
    headers: IncomingHttpHeaders;
    /** Name/value pairs as sent: `headers` joins a repeated header into one value. */
    rawHeaders: string[];
    body: string;
}

export interface HttpsRequestOptions {
    /** The only certificate trusted (the default CA list is not used). */
    ca: string;
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    /** A fresh connection per request unless given (an https.Agent with keepAlive reuses one). */
    agent?: https.Agent;
    /** Source address, e.g. "127.0.0.2": per-client limits key on it, so each test can be a new client. */
    localAddress?: string;
}

/** One HTTPS request, verifying the server against `ca`; 5 s timeout. */
export function httpsRequest(url: string, opts: HttpsRequestOptions): Promise<HttpsReply> {
    return new Promise((resolve, reject) => {
        const req = https.request(url, {
            method: opts.method ?? "GET", ca: opts.ca, headers: opts.headers, agent: opts.agent ?? false, timeout: 5000,
            localAddress: opts.localAddress,
        }, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => resolve({
                status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks).toString("utf8"),
            }));
            res.on("error", reject);
        });
        req.on("timeout", () => req.destroy(new Error(`timed out: ${url}`)));
        req.on("error", reject);
        req.end(opts.body);
    });
}

export interface HandshakeOptions {
    host: string;
    port: number;
    ca: string;
    minVersion?: tls.SecureVersion;
    maxVersion?: tls.SecureVersion;
    /** e.g. "DEFAULT@SECLEVEL=0": OpenSSL 3 refuses TLS < 1.2 on its own side at the default level. */
    ciphers?: string;
    /** The key exchange groups the client offers, e.g. "secp521r1" (OpenSSL names, colon-separated). */
    ecdhCurve?: string;
}

export type HandshakeResult = { ok: true; protocol: string | null } | { ok: false; code: string; message: string };

/** Connects, completes (or fails) the TLS handshake, closes. Never rejects. */
export function tlsHandshake(opts: HandshakeOptions): Promise<HandshakeResult> {
    return new Promise((resolve) => {
        const socket = tls.connect({
            host: opts.host, port: opts.port, ca: opts.ca, servername: "localhost",
            minVersion: opts.minVersion, maxVersion: opts.maxVersion, ciphers: opts.ciphers, ecdhCurve: opts.ecdhCurve,
        });
        socket.setTimeout(5000);
        const done = (result: HandshakeResult) => { socket.destroy(); resolve(result); };
        socket.once("secureConnect", () => done({ ok: true, protocol: socket.getProtocol() }));
        socket.once("error", (e: NodeJS.ErrnoException) => done({ ok: false, code: e.code ?? "", message: e.message }));
        socket.once("timeout", () => done({ ok: false, code: "TIMEOUT", message: "handshake timed out" }));
    });
}
