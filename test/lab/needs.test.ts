import { recordStage } from "../../lab/stages";
import * as assert from "node:assert/strict";
import { appBaseImage, stageNeeds } from "../../lab/needs";
import { SETTINGS } from "../../program/config";

/** What each stage needs of the machine, as the pages print it and `npm run lab -- pull` pulls it. */
describe("lab: what a stage needs (images, ports, CPU and memory), from the program", () => {
    const needsOf = async (stage: 1 | 2 | 3 | 4 | 5 | 6) => {
        const r = await recordStage(stage);
        return stageNeeds(r.profile.target, r.resources);
    };
    const image = (key: keyof typeof SETTINGS) => String((SETTINGS[key] as { default?: unknown }).default);

    it("names every image a Docker stage pulls, the app's base image included (the build pulls it)", async () => {
        // The tag Renovate moves (renovate.json): its shape, not today's value.
        assert.match(appBaseImage() ?? "", /^node:\d+\.\d+\.\d+-alpine\d+\.\d+$/);
        assert.deepEqual((await needsOf(1)).images, [appBaseImage(), image("postgresImage")].sort());
        assert.deepEqual((await needsOf(4)).images, [appBaseImage(), image("postgresImage"), image("nginxImage"), image("redisImage"), image("vaultImage")].sort());
    });

    it("names the host ports a stage holds, on the address it binds", async () => {
        assert.deepEqual((await needsOf(1)).ports, ["0.0.0.0:15432", "0.0.0.0:8081"]);
        assert.deepEqual((await needsOf(4)).ports, ["127.0.0.1:8080", "127.0.0.1:8443"]);
        // kind maps its node ports for as long as the cluster exists.
        assert.deepEqual((await needsOf(5)).ports, ["127.0.0.1:8443", "127.0.0.1:8080"]);
    });

    it("adds up limits on Docker (none before stage 4) and what pods request on Kubernetes", async () => {
        assert.equal((await needsOf(3)).cpus, undefined);
        const four = await needsOf(4);
        assert.ok(four.cpus! > 2 && four.memoryMiB! > 1024, JSON.stringify(four));
        const [five, six] = [await needsOf(5), await needsOf(6)];
        assert.ok(six.cpus! > five.cpus! && six.memoryMiB! > five.memoryMiB!, "stage 6 asks for more than stage 5");
        assert.ok(six.images.includes(image("prometheusImage")) && six.images.includes(image("kubectlImage")));
        assert.ok(!six.images.some((i) => i.includes("/devsecops-journey/app:")), "the app image is built and pushed, not pulled");
    });
});
