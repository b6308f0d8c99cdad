/**
 * Stage 4's API keys for tests: keys shaped as the program generates them, tokens minted with the
 * app's own signJwt (as `npm run lab -- token 4` mints them), and a key store that is the Vault
 * stand-in (vault-standin.ts) holding the keys where the bootstrap writes them (AUTH.path), read by
 * the app's own vaultKeySource with a token whose policy allows exactly that read.
 */
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { AUTH, VAULT } from "../../app/src/contract";
import { type JwtClaims, type SigningKey, labClaims, signJwt } from "../../app/src/jwt";
import { type KeySource, vaultKeySource } from "../../app/src/keys";
import { makeTempDir, writeOwnedFile } from "./servers";
import { type VaultStandIn, startVaultStandIn } from "./vault-standin";

/** A key as the program generates one: letters and digits (a RandomPassword without specials). */
export function makeKey(kid: string): SigningKey {
    return { kid, secret: randomBytes(32).toString("base64").replace(/[^A-Za-z0-9]/g, "").slice(0, 40) };
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A token the lab would issue with `key`, valid for 5 minutes; `claims` overrides (undefined drops one). */
export function tokenFor(key: SigningKey, claims: Partial<Record<keyof JwtClaims, unknown>> = {}): string {
    const all: Record<string, unknown> = { ...labClaims("test", nowSeconds(), 300), ...claims };
    for (const k of Object.keys(all)) if (all[k] === undefined) delete all[k];
    return signJwt(key, all as JwtClaims);
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export interface KeyStore {
    readonly vault: VaultStandIn;
    readonly addr: string;
    /** The app's Vault token file (policy: read the keys' path only). */
    readonly tokenFile: string;
    readonly source: KeySource;
    /** Writes the secret as the bootstrap does: the current key, the previous one, when it rotated. */
    write(current: SigningKey, previous?: SigningKey, rotatedAt?: number): void;
    stop(): Promise<void>;
}

export async function startKeyStore(current: SigningKey): Promise<KeyStore> {
    const vault = await startVaultStandIn({ rootToken: "root-for-key-tests" });
    const appToken = `app${randomBytes(8).toString("hex")}`;
    vault.policies.set("keys-reader", `path "${VAULT.mount}/data/${AUTH.path}" {\n  capabilities = ["read"]\n}\n`);
    vault.tokens.set(appToken, { id: appToken, policies: ["keys-reader"], displayName: "token-app", ttl: "1h", renewable: true });
    const tokenFile = path.join(makeTempDir("key-store-"), "app-token");
    writeOwnedFile(tokenFile, `${appToken}\n`);
    const f = AUTH.fields;
    const write = (key: SigningKey, previous?: SigningKey, rotatedAt = 0) => {
        vault.secrets.set(`${VAULT.mount}/${AUTH.path}`, {
            [f.currentKid]: key.kid, [f.currentKey]: key.secret,
            ...(previous ? { [f.previousKid]: previous.kid, [f.previousKey]: previous.secret } : {}),
            [f.rotatedAt]: String(rotatedAt),
        });
    };
    write(current);
    const vaultConfig = { addr: vault.addr, tokenFile };
    return { vault, addr: vault.addr, tokenFile, source: vaultKeySource(vaultConfig), write, stop: () => vault.stop() };
}
