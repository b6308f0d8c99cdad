/**
 * Stage 4's Vault bootstrap: the app's policy (HCL) and a one-shot POSIX sh script that writes the
 * app's credentials, that policy and the app's token into a dev-mode Vault (in memory, unsealed,
 * KV v2 at secret/). Pure functions, no Pulumi. The script runs in the hashicorp/vault image
 * (alpine: busybox wget, no curl) and speaks only Vault's HTTP API, with wget flags that busybox and
 * GNU wget both know; test/renderers/vault.test.ts runs it with each against a KV v2 stand-in.
 */
import { APP_ENV, SECRETS_DIR, SECRET_FILES, VAULT, VAULT_PORT } from "../program/names";

/** What the bootstrap container reads. Secrets arrive as files; the environment holds only paths. */
export const VAULT_BOOTSTRAP_ENV = {
    /** e.g. http://vault:8200 */
    addr: VAULT.env.addr,
    /** A file holding the root token (dev mode: VAULT_DEV_ROOT_TOKEN_ID). Only the bootstrap has it. */
    rootTokenFile: VAULT.env.tokenFile,
    /** A file holding the id the app's token gets; the app's own VAULT_TOKEN_FILE holds the same. */
    appTokenFile: "APP_TOKEN_FILE",
    dbUser: APP_ENV.dbUser,
    dbPasswordFile: `${APP_ENV.dbPassword}_FILE`,
    redisUser: APP_ENV.redisUser,
    redisPasswordFile: `${APP_ENV.redisPassword}_FILE`,
    /** Optional: how long to wait for Vault, in seconds (default 60). */
    waitSeconds: "VAULT_WAIT_SECONDS",
} as const;

/** Where stage 4 puts the script and the secret files in the bootstrap container. */
export const VAULT_BOOTSTRAP_PATHS = {
    script: "/vault/bootstrap/bootstrap.sh",
    rootTokenFile: SECRET_FILES.vaultRootToken,
    appTokenFile: `${SECRETS_DIR}/vault-app-token`,
    dbPasswordFile: `${SECRETS_DIR}/db-app-password`,
    redisPasswordFile: `${SECRETS_DIR}/redis-app-password`,
} as const;

/**
 * The bootstrap's environment, the same on Docker and Kubernetes: where Vault is, whom the app logs
 * in as, and the PATHS of the secret files (never a secret itself).
 */
export function vaultBootstrapEnv(opts: { addr: string; dbUser: string; redisUser?: string; waitSeconds?: number }): Record<string, string> {
    const e = VAULT_BOOTSTRAP_ENV;
    const p = VAULT_BOOTSTRAP_PATHS;
    return {
        [e.addr]: opts.addr,
        [e.rootTokenFile]: p.rootTokenFile,
        [e.appTokenFile]: p.appTokenFile,
        [e.dbUser]: opts.dbUser,
        [e.dbPasswordFile]: p.dbPasswordFile,
        ...(opts.redisUser === undefined ? {} : { [e.redisUser]: opts.redisUser, [e.redisPasswordFile]: p.redisPasswordFile }),
        ...(opts.waitSeconds === undefined ? {} : { [e.waitSeconds]: String(opts.waitSeconds) }),
    };
}

/** Where the dev server's output passes through the filter below (a FIFO in the container's /tmp). */
export const VAULT_DEV_LOG_PIPE = "/tmp/vault-output";

/**
 * Vault's dev server (in memory, unsealed), the same on Docker and Kubernetes. The image's
 * entrypoint (setcap, config dirs) is not needed in dev mode, so this replaces it.
 * - The root token comes from a file into VAULT_DEV_ROOT_TOKEN_ID, exported by this shell only: not
 *   in the container's environment (docker inspect), not on Vault's command line (ps).
 * - Dev mode prints its unseal key and root token when it starts (command/server.go: c.UI.Warn
 *   "Unseal Key: %s" and "Root Token: %s"), and that output is what `docker logs` and `kubectl logs`
 *   keep. Vault writes through a FIFO to a read loop that prints every line as it is, but those two,
 *   which it replaces by a line that says they are not shown. Shell builtins only (busybox in the
 *   image): the loop writes each line as it comes, where busybox sed would buffer a pipe.
 * - `exec`: Vault itself is the container's first process and gets the stop signal.
 */
export function vaultDevServerCommand(paths: { rootTokenFile: string; logPipe: string } = {
    rootTokenFile: SECRET_FILES.vaultRootToken, logPipe: VAULT_DEV_LOG_PIPE,
}): readonly ["/bin/sh", "-c", string] {
    const { rootTokenFile, logPipe } = paths;
    const script = [
        `token=$(cat ${rootTokenFile} 2>/dev/null) && [ -n "$token" ] || { echo "vault: no root token in ${rootTokenFile}" >&2; exit 1; }`,
        `export VAULT_DEV_ROOT_TOKEN_ID="$token"; unset token`,
        `rm -f ${logPipe} && mkfifo -m 600 ${logPipe} || exit 1`,
        `while IFS= read -r line || [ -n "$line" ]; do case "$line" in ` +
            `"Root Token: "*) echo "Root Token: (not shown; the bootstrap reads it from ${rootTokenFile})" ;; ` +
            `"Unseal Key: "*) echo "Unseal Key: (not shown; dev mode is unsealed and in memory)" ;; ` +
            `*) printf '%s\n' "$line" ;; esac; done < ${logPipe} &`,
        `exec vault server -dev -dev-no-store-token -dev-listen-address=0.0.0.0:${VAULT_PORT} > ${logPipe} 2>&1`,
    ];
    return ["/bin/sh", "-c", script.join("\n")];
}

export const VAULT_DEV_SERVER_COMMAND = vaultDevServerCommand();

/** The container's command: the script by sh, whatever the image's entrypoint would make of it. */
export const VAULT_BOOTSTRAP_COMMAND = ["/bin/sh", VAULT_BOOTSTRAP_PATHS.script] as const;

/** The app token's lifetime: dev mode's maximum. The lab is rebuilt long before it runs out. */
export const VAULT_APP_TOKEN_TTL = "768h";

/** KV v2 keeps values under <mount>/data/<path>: the path API calls and policies must name. */
export const VAULT_SECRET_API_PATH = `${VAULT.mount}/data/${VAULT.path}`;

/**
 * The app's policy: read its own secret, nothing else (no list, no write, no other path, not even
 * lookup-self: the token is created without the default policy).
 */
export function renderVaultPolicy(): string {
    return `# devsecops-journey: the app's Vault policy (stage 4). Rendered; do not edit.
# KV v2 serves "${VAULT.mount}/${VAULT.path}" at ${VAULT_SECRET_API_PATH}: a policy without data/ grants nothing.
path "${VAULT_SECRET_API_PATH}" {
  capabilities = ["read"]
}
`;
}

export function renderVaultBootstrap(): string {
    const e = VAULT_BOOTSTRAP_ENV;
    const f = VAULT.fields;
    const policy = VAULT.policy;
    // Rendered once here, so the script never builds JSON from HCL: the policy text is a constant.
    const policyJson = JSON.stringify({ policy: renderVaultPolicy() });
    const tokenJson = `{"id":"%s","policies":["${policy}"],"no_default_policy":true,"renewable":true,`
        + `"ttl":"${VAULT_APP_TOKEN_TTL}","display_name":"${policy}"}`;
    return `#!/bin/sh
# devsecops-journey: one-shot Vault bootstrap (stage 4). Rendered; do not edit.
# Writes the app's credentials to ${VAULT_SECRET_API_PATH}, the policy ${policy} (read on that path
# only) and the app's token with the id the program chose. Running it again changes nothing that
# matters. One line per step; never a secret: they travel in files and request bodies, not in URLs.
set -eu

say() { echo "vault-bootstrap: $*"; }
fail() { echo "vault-bootstrap: FAILED: $*" >&2; exit 1; }

# Vault is on the lab network: a proxy inherited from Docker's settings must not carry these requests.
unset http_proxy HTTP_PROXY https_proxy HTTPS_PROXY

# check VALUE NAME KIND: refuses a value that would break the JSON or the header it goes into.
check() {
    case "$3" in
        password) bad='*[!A-Za-z0-9]*'; rule="letters and digits only (the program generates them so)" ;;
        token) bad='*[!A-Za-z0-9_-]*'; rule="letters, digits, _ and - only (Vault refuses a custom id with a dot)" ;;
        root) bad='*[!A-Za-z0-9._-]*'; rule="letters, digits, . _ and - only" ;;
        *) bad='*[!A-Za-z0-9_.-]*'; rule="letters, digits, _ . and - only" ;;
    esac
    [ -n "$1" ] || fail "$2 is not set, or empty"
    case "$1" in
        $bad) fail "$2 holds characters other than $rule" ;;
    esac
}

# secret FILE NAME KIND: prints the file's content (trailing newlines dropped), checked.
secret() {
    [ -n "$1" ] || fail "$2 must be set: the path of a file holding the $3"
    [ -r "$1" ] || fail "$2 names $1, which is not a readable file"
    value=$(cat "$1") || fail "$2: cannot read $1"
    check "$value" "the file in $2" "$3"
    printf '%s' "$value"
}

[ -n "\${${e.addr}:-}" ] || fail "${e.addr} must be set, e.g. http://vault:8200"
case "$${e.addr}" in
    http://*|https://*) ;;
    *) fail "${e.addr} \\"$${e.addr}\\" must start with http:// or https://" ;;
esac
addr=\${${e.addr}%/}
db_user=\${${e.dbUser}:-}
check "$db_user" "${e.dbUser}" user
# The Redis login is optional: a stage without the cache, or whose Redis has no ACL user, has none.
redis_user=\${${e.redisUser}:-}
if [ -n "$redis_user" ] || [ -n "\${${e.redisPasswordFile}:-}" ]; then
    check "$redis_user" "${e.redisUser}" user
    redis_password=$(secret "\${${e.redisPasswordFile}:-}" ${e.redisPasswordFile} password)
fi
wait_seconds=\${${e.waitSeconds}:-60}
case "$wait_seconds" in
    ''|*[!0-9]*) fail "${e.waitSeconds} \\"$wait_seconds\\" must be a number of seconds" ;;
esac
root_token=$(secret "\${${e.rootTokenFile}:-}" ${e.rootTokenFile} root)
app_token=$(secret "\${${e.appTokenFile}:-}" ${e.appTokenFile} token)
db_password=$(secret "\${${e.dbPasswordFile}:-}" ${e.dbPasswordFile} password)
say "inputs checked (db user $db_user, redis user \${redis_user:-none})"

umask 077
work=$(mktemp -d "\${TMPDIR:-/tmp}/vault-bootstrap.XXXXXX") || fail "cannot create a temporary directory"
trap 'rm -rf "$work"' EXIT
trap 'exit 1' INT TERM

# get PATH TOKEN, post PATH BODY_FILE TOKEN: the response body on stdout, wget's status as ours.
# Only -q -O - --header --post-file: flags busybox wget and GNU wget share. Vault takes POST for writes.
get() { wget -q -O - --header "X-Vault-Token: $2" "$addr/v1/$1"; }
post() { wget -q -O - --header "X-Vault-Token: $3" --header "Content-Type: application/json" --post-file "$2" "$addr/v1/$1"; }

say "waiting for Vault at $addr (up to \${wait_seconds}s)"
waited=0
# 200 only when initialized, unsealed and active; anything else (or no answer) means not yet.
until wget -q -O /dev/null "$addr/v1/sys/health" 2>/dev/null; do
    waited=$((waited + 1))
    [ "$waited" -lt "$wait_seconds" ] || fail "Vault at $addr was not ready (GET /v1/sys/health) within \${wait_seconds}s"
    sleep 1
done
say "Vault is up"

self=$(get auth/token/lookup-self "$root_token") || fail "Vault refused the token in ${e.rootTokenFile}"
case "$self" in
    *'"root"'*) ;;
    *) fail "the token in ${e.rootTokenFile} is not a root token (creating a token with a chosen id needs root)" ;;
esac
say "root token accepted"

if [ -n "$redis_user" ]; then
    printf '{"data":{"${f.dbUser}":"%s","${f.dbPassword}":"%s","${f.redisUser}":"%s","${f.redisPassword}":"%s"}}' \\
        "$db_user" "$db_password" "$redis_user" "$redis_password" > "$work/secret.json"
    fields="${f.dbUser}, ${f.dbPassword}, ${f.redisUser}, ${f.redisPassword}"
else
    printf '{"data":{"${f.dbUser}":"%s","${f.dbPassword}":"%s"}}' "$db_user" "$db_password" > "$work/secret.json"
    fields="${f.dbUser}, ${f.dbPassword}"
fi
post ${VAULT_SECRET_API_PATH} "$work/secret.json" "$root_token" > /dev/null \\
    || fail "could not write the secret ${VAULT_SECRET_API_PATH}"
say "wrote ${VAULT_SECRET_API_PATH} ($fields)"

cat > "$work/policy.json" <<'EOPOLICY'
${policyJson}
EOPOLICY
post sys/policies/acl/${policy} "$work/policy.json" "$root_token" > /dev/null \\
    || fail "could not write the policy ${policy}"
say "wrote policy ${policy}: read on ${VAULT_SECRET_API_PATH}, nothing else"

printf '{"token":"%s"}' "$app_token" > "$work/lookup.json"
if found=$(post auth/token/lookup "$work/lookup.json" "$root_token" 2> /dev/null); then
    case "$found" in
        *'"${policy}"'*) say "app token exists already with policy ${policy}: kept" ;;
        *) fail "a token with the id in ${e.appTokenFile} exists without policy ${policy}: revoke it or choose another id" ;;
    esac
else
    printf '${tokenJson}' "$app_token" > "$work/token.json"
    post auth/token/create "$work/token.json" "$root_token" > /dev/null \\
        || fail "could not create the app token (policy ${policy})"
    say "created the app token: policy ${policy} only, no default policy, ttl ${VAULT_APP_TOKEN_TTL}"
fi

get ${VAULT_SECRET_API_PATH} "$app_token" > /dev/null || fail "the app token cannot read ${VAULT_SECRET_API_PATH}"
say "checked: the app token reads its secret"
say "done"
`;
}
