import { PolicyResource } from "@pulumi/policy";
import { containerRef } from "./lib/docker";
import { known, previewSafe, undecided } from "./lib/known";
import { resourceRef, stackPolicy } from "./lib/meta";
import { DockerStack, GENERATED_SECRETS, isGeneratedSecret } from "./lib/stack";

/**
 * A key that names a secret: PASSWORD, SECRET, TOKEN, CREDENTIAL anywhere, PASS/PWD as a word, or a
 * last word KEY (API_KEY, PRIVATE_KEY). A last word that says the value points at or describes the
 * secret (DB_PASSWORD_FILE, VAULT_SECRET_PATH, TOKEN_TTL) is not the secret itself.
 */
const SECRET_WORDS = /PASSW(OR)?D|SECRET|TOKEN|CREDENTIAL|APIKEY/;
const NOT_THE_VALUE = new Set(["FILE", "PATH", "DIR", "URL", "ADDR", "HOST", "PORT", "USER", "USERNAME", "NAME", "TTL", "TIMEOUT", "SECONDS"]);

export function secretLikeKey(key: string): boolean {
    const words = key.toUpperCase().split(/[_.-]+/).filter(Boolean);
    const last = words[words.length - 1] ?? "";
    if (NOT_THE_VALUE.has(last)) return false;
    return SECRET_WORDS.test(key.toUpperCase()) || words.includes("PASS") || words.includes("PWD") || last === "KEY";
}

const isGenerator = isGeneratedSecret;

/** The secret values a generator holds: known after `up`, none at preview. */
const secretsOf = (r: PolicyResource) => GENERATED_SECRETS[r.type]
    .map((field) => known(() => r.props[field]) as string | undefined)
    .filter((v): v is string => typeof v === "string" && v !== "");

export const dockerNoPlaintextSecretEnv = stackPolicy({
    name: "docker-no-plaintext-secret-env",
    description: "No password, secret, token or key is passed as a literal environment value.",
    // The project's policy catalogue says 1, but stages 1-3 hand the database password over in env on purpose (their
    // lessons) and the pack sees secrets unwrapped, so it cannot spare them: mandatory with Vault, stage 4.
    from: 4,
    severity: "high",
    why: "Secrets management: securely store and access sensitive data (DB credentials, API keys) through a dedicated tool such as Vault rather than hardcoding them.",
    remediation: "Read the secret from Vault at start-up, or mount it as a file and pass its path (KEY_FILE=/run/secrets/key).",
    anchors: ["DS-0031", "CIS 4.10", "Pol sensitiveContainerEnvVar"],
}, {
    // A stack policy, not a resource policy: an entry built from a generated password is unknown at
    // preview, key and all, and only the stack's view says where it came from (propertyDependencies).
    validateStack: previewSafe((args, report) => {
        const stack = new DockerStack(args.resources);
        if (stack.containers.length === 0) args.notApplicable("the stack runs no Docker containers");
        for (const c of stack.containers) {
            // The generators whose output flows into envs (the engine's propertyDependencies, else all dependencies).
            const feeding = (c.propertyDependencies?.envs ?? c.dependencies).filter(isGenerator);
            const entries = known(() => c.props.envs) as string[] | undefined;
            if (entries === undefined) {
                // Unknown as a whole: computed by the provider when the program sets no env (it then
                // passes none), or an Output the program built, which then has dependencies.
                if ((c.propertyDependencies?.envs ?? []).length > 0) undecided(`${containerRef(c.name)}: envs is unknown until up`);
                continue;
            }
            for (let index = 0; index < entries.length; index++) {
                const item = known(() => entries[index]);
                const fromSecret = (sources: PolicyResource[]) => report(`${containerRef(c.name)}: envs[${index}] is built from ` +
                    `a generated secret (envs takes ${sources.map((g) => resourceRef(g.type, g.name)).join(", ")}); pass it from a ` +
                    `secret store (stage 4 reads it from Vault) or as a file (KEY_FILE=/run/secrets/...) instead of the environment, ` +
                    `which docker inspect and every child process can read`, c.urn);
                if (item === undefined) {
                    // Unknown at preview: built from a computed value. From a generated secret, it is one.
                    if (feeding.length) fromSecret(feeding);
                    else undecided(`${containerRef(c.name)}: envs[${index}] is unknown until up`);
                    continue;
                }
                const eq = item.indexOf("=");
                const key = eq < 0 ? item : item.slice(0, eq);
                const value = eq < 0 ? "" : item.slice(eq + 1);
                const matched = args.resources.filter((g) => isGenerator(g) && secretsOf(g).some((secret) => value.includes(secret)));
                if (/_FILE$/i.test(key)) {
                    if (value !== "" && !value.startsWith("/")) {
                        report(`${containerRef(c.name)}: envs[${index}] ${key} holds a value instead of a file path; ` +
                            `point it at the mounted secret file (e.g. /run/secrets/${key.slice(0, -5).toLowerCase()})`, c.urn);
                    }
                } else if (matched.length) {
                    fromSecret(feeding.length ? feeding : matched);
                } else if (value !== "" && secretLikeKey(key)) {
                    report(`${containerRef(c.name)}: envs[${index}] ${key} holds a literal value; pass it from a secret ` +
                        `store (stage 4 reads it from Vault) or as a file (${key}_FILE) instead of the environment, ` +
                        `which docker inspect and every child process can read`, c.urn);
                }
            }
        }
    }),
});
