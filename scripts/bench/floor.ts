/**
 * The floor: a one-resource Pulumi program, run by the bench under the same mocks and the same
 * runner as index.ts, so a stage's time over this one is what the lab's own code costs.
 */
import * as docker from "@pulumi/docker";

export = () => {
    const network = new docker.Network("floor", { name: "floor" });
    return { id: network.id };
};
