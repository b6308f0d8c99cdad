import * as assert from "node:assert/strict";
import { dockerNoPlaintextSecretEnv, secretLikeKey } from "../../policy-pack/policies/docker-no-plaintext-secret-env";
import { imagePinned } from "../../policy-pack/policies/image-pinned";
import { runPolicy } from "../support/policy-harness";
import { TYPES } from "../support/topology";
import { generatedPassword, happy, withInputs } from "./fixtures";

describe("policy image-pinned", () => {
    const pulled = () => happy("postgres", TYPES.remoteImage);
    const built = () => happy("app-image", TYPES.image);

    it("passes pinned remote images, built images and containers that run an image id", async () => {
        for (const r of [pulled(), built(), happy(), happy("postgres-primary")]) {
            assert.deepEqual((await runPolicy(imagePinned, r)).messages, [], r.name);
        }
    });
    it("passes a digest without a tag", async () => {
        assert.deepEqual((await runPolicy(imagePinned, withInputs(pulled(), { name: `postgres@sha256:${"a".repeat(64)}` }))).messages, []);
    });
    it("fails a RemoteImage name on latest", async () => {
        const { messages } = await runPolicy(imagePinned, withInputs(pulled(), { name: "postgres:latest" }));
        assert.deepEqual(messages, [
            'remote image "postgres": name "postgres:latest" uses the moving tag latest, so what runs drifts with every pull; pin a version tag or a digest (e.g. postgres:1.2.3 or @sha256:...)',
        ]);
    });
    it("fails a built image without a tag (a registry port is not a tag)", async () => {
        const { messages } = await runPolicy(imagePinned, withInputs(built(), { imageName: "localhost:5000/devsecops-journey/app" }));
        assert.deepEqual(messages, [
            'image "app-image": imageName "localhost:5000/devsecops-journey/app" has no tag, so it means latest, so what runs drifts with every pull; pin a version tag or a digest (e.g. localhost:5000/devsecops-journey/app:1.2.3 or @sha256:...)',
        ]);
    });
    it("fails a container whose image is a literal unpinned reference", async () => {
        const { messages } = await runPolicy(imagePinned, withInputs(happy(), { image: "redis" }));
        assert.match(messages.join(), /^container "app-1": image "redis" has no tag/);
    });
    it("checks the RemoteImage at preview, when the container's image id is still unknown", async () => {
        const stack = [withInputs(pulled(), { name: "postgres:latest" }), happy("postgres-primary")];
        const outcome = await runPolicy(imagePinned, stack, {}, { preview: true });
        assert.deepEqual(outcome.mandatory.map((v) => v.resource), ["postgres"]);
        assert.deepEqual(outcome.previewSkips, []);
    });
    it("is not applicable to a network", async () => {
        const outcome = await runPolicy(imagePinned, happy("edge-network", TYPES.network));
        assert.deepEqual(outcome.notApplicable.map((n) => n.policy), ["image-pinned"]);
    });
});

describe("policy docker-no-plaintext-secret-env", () => {
    const envs = (...entries: string[]) => withInputs(happy(), { envs: entries });

    it("passes env without secrets, and secrets passed as files", async () => {
        assert.deepEqual((await runPolicy(dockerNoPlaintextSecretEnv, happy())).messages, []);
        assert.deepEqual((await runPolicy(dockerNoPlaintextSecretEnv, envs("DB_PASSWORD_FILE=/run/secrets/db", "DB_PASSWORD="))).messages, []);
    });
    it("fails a password held in the environment", async () => {
        const { messages } = await runPolicy(dockerNoPlaintextSecretEnv, envs("APP_PORT=8080", "DB_USER=lab", "DB_NAME=lab", "DB_PASSWORD=hunter2"));
        assert.deepEqual(messages, [
            'container "app-1": envs[3] DB_PASSWORD holds a literal value; pass it from a secret store (stage 4 reads it from Vault) or as a file (DB_PASSWORD_FILE) instead of the environment, which docker inspect and every child process can read',
        ]);
    });
    it("fails a *_FILE that holds the value instead of a path", async () => {
        const { messages } = await runPolicy(dockerNoPlaintextSecretEnv, envs("REDIS_PASSWORD_FILE=s3cret"));
        assert.deepEqual(messages, [
            'container "app-1": envs[0] REDIS_PASSWORD_FILE holds a value instead of a file path; point it at the mounted secret file (e.g. /run/secrets/redis_password)',
        ]);
    });
    it("catches an entry built from a generated password at preview as at up, whatever its key", async () => {
        // At preview a RandomPassword's result is unknown, and so is the whole entry built from it:
        // only the engine's propertyDependencies (envs <- the password) say where it came from.
        const password = generatedPassword("s3cret-generated-value");
        const fed = (entry: string) => ({ ...withInputs(happy(), { envs: ["APP_PORT=8080", entry] }), propertyDependencies: { envs: [password.name] } });
        const expected = ['container "app-1": envs[1] is built from a generated secret (envs takes random password "generated-password"); ' +
            "pass it from a secret store (stage 4 reads it from Vault) or as a file (KEY_FILE=/run/secrets/...) instead of the environment, " +
            "which docker inspect and every child process can read"];
        for (const entry of ["DB_PASSWORD=s3cret-generated-value", "DATABASE_URL=postgres://lab:s3cret-generated-value@db/lab"]) {
            for (const preview of [true, false]) {
                const outcome = await runPolicy(dockerNoPlaintextSecretEnv, [password, fed(entry)], {}, { preview });
                assert.deepEqual([outcome.messages, outcome.previewSkips], [expected, []], `${entry} preview: ${preview}`);
            }
        }
    });
    it("says it cannot check until up an entry unknown at preview that no generated secret feeds", async () => {
        const image = happy("redis", TYPES.remoteImage);
        const app = withInputs(happy(), { envs: [`REDIS_IMAGE=${image.state.imageId}`] });
        const preview = await runPolicy(dockerNoPlaintextSecretEnv, [image, app], {}, { preview: true });
        assert.deepEqual(preview.messages, []);
        assert.deepEqual(preview.previewSkips.map((v) => v.detail), [
            "can't run policy 'docker-no-plaintext-secret-env' from policy pack 'devsecops-journey@v0.1.0' during preview: " +
            'cannot check until up: container "app-1": envs[0] is unknown until up',
        ]);
        assert.deepEqual((await runPolicy(dockerNoPlaintextSecretEnv, [image, app])).previewSkips, []);
    });
    it("tells secret-like keys from the words around them", () => {
        const secret = ["POSTGRES_PASSWORD", "PGPASSWORD", "REDIS_PASS", "VAULT_TOKEN", "API_KEY", "AWS_SECRET_ACCESS_KEY", "VAULT_DEV_ROOT_TOKEN_ID", "DB_PWD"];
        const plain = ["DB_PASSWORD_FILE", "VAULT_SECRET_PATH", "TOKEN_TTL", "CACHE_KEY_PREFIX", "REPLICATION_SLOT", "PRIMARY_WAIT_SECONDS", "DB_USER"];
        assert.deepEqual(secret.filter((k) => !secretLikeKey(k)), []);
        assert.deepEqual(plain.filter(secretLikeKey), []);
    });
});
