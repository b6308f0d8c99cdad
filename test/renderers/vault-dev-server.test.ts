/**
 * The dev server's command, run for real by the two shells it meets (busybox sh, as in the
 * hashicorp/vault image, and dash) around a vault stand-in: a script that prints what Vault's dev
 * mode prints when it starts (command/server.go: c.UI.Warn("Unseal Key: %s") and
 * c.UI.Warn("Root Token: %s") to stderr, the rest of the banner and the log to stdout) and shuts
 * down cleanly on SIGTERM, as Vault does.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { vaultDevServerCommand } from "../../renderers/vault";
import { Proc, findBinary, makeTempDir, run, skipUnless, waitFor, writeOwnedFile } from "../support/servers";

const ROOT = "RootToken0123456789";
const UNSEAL = "UnsealKeyBase64AAAAAAAAAAAAAAAAAAAAAAAAAAA=";

/** Prints its own pid (to prove the exec), the banner with the token it was given, then waits for SIGTERM. */
const VAULT_STANDIN = `#!/bin/sh
echo "==> Vault server configuration:"
echo "pid $$ args $*"
echo "WARNING! dev mode is enabled!" >&2
echo "Unseal Key: ${UNSEAL}" >&2
echo "Root Token: $VAULT_DEV_ROOT_TOKEN_ID" >&2
echo "Development mode should NOT be used in production installations!" >&2
trap 'echo "==> Vault shutdown triggered"; exit 0' TERM
echo "==> Vault server started! Log data will stream in below:"
while :; do sleep 0.1; done
`;

interface Shell { name: string; command: string; PATH(bin: string): string }
const SHELLS: Shell[] = [
    { name: "busybox sh, as in the hashicorp/vault image", command: "busybox", PATH: (bin) => bin },
    { name: "dash", command: "/bin/sh", PATH: (bin) => `${bin}:${process.env.PATH ?? ""}` },
];

for (const shell of SHELLS) {
    describe(`vault dev server command with ${shell.name} (around a vault stand-in)`, function () {
        this.timeout(20_000);
        let dir: string;
        let bin: string;
        const started: Proc[] = [];
        afterEach(async () => { for (const proc of started.splice(0)) await proc.stop("SIGKILL", 2000, true); });

        before(async function () {
            skipUnless(this, [{ binary: "busybox", debianPackage: "busybox" }]);
            dir = makeTempDir("vault-dev-");
            bin = path.join(dir, "bin");
            fs.mkdirSync(bin);
            if (shell.command === "busybox") await run("busybox --install", findBinary("busybox")!, ["--install", "-s", bin]);
            writeOwnedFile(path.join(bin, "vault"), VAULT_STANDIN, undefined, 0o755);
        });

        function start(tokenFile: string): Proc {
            const [, flag, script] = vaultDevServerCommand({ rootTokenFile: tokenFile, logPipe: path.join(dir, `out-${Date.now()}`) });
            const args = shell.command === "busybox" ? ["sh", flag, script] : [flag, script];
            const proc = new Proc("vault-dev", shell.command === "busybox" ? findBinary("busybox")! : shell.command, args, { env: { PATH: shell.PATH(bin) } });
            started.push(proc);
            return proc;
        }

        it("keeps the root token and unseal key out of the log, passes every other line as it comes, and stops on SIGTERM", async () => {
            const tokenFile = path.join(dir, "root-token");
            writeOwnedFile(tokenFile, `${ROOT}\n`);
            const proc = start(tokenFile);
            // The lines arrive while Vault runs, not when it exits: the filter does not buffer.
            await waitFor("the started line", () => proc.output().includes("Vault server started!"), { proc, timeoutMs: 10_000 });
            const pid = /pid (\d+)/.exec(proc.output())?.[1];
            assert.equal(Number(pid), proc.child.pid, "the shell execs Vault: Vault is the process that gets the stop signal");
            assert.match(proc.output(), /args server -dev -dev-no-store-token -dev-listen-address=0\.0\.0\.0:8200$/m, "the token is not on Vault's command line");
            await proc.stop("SIGTERM", 5000);
            assert.equal(await proc.exited, 0, proc.output());
            const out = proc.output();
            assert.ok(!out.includes(ROOT), `the root token is in the log:\n${out}`);
            assert.ok(!out.includes(UNSEAL), `the unseal key is in the log:\n${out}`);
            assert.match(out, /^Root Token: \(not shown; the bootstrap reads it from .*root-token\)$/m);
            assert.match(out, /^Unseal Key: \(not shown; dev mode is unsealed and in memory\)$/m);
            for (const line of ["WARNING! dev mode is enabled!", "Development mode should NOT be used in production installations!", "==> Vault shutdown triggered"]) {
                assert.ok(out.includes(line), `${line} missing from:\n${out}`);
            }
        });

        it("refuses to start without a root token, in one line", async () => {
            const proc = start(path.join(dir, "missing"));
            assert.notEqual(await proc.exited, 0);
            assert.match(proc.output(), /^vault: no root token in .*missing\n$/);
        });
    });
}
