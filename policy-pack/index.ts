import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

// Only this file constructs the pack: constructing one starts a gRPC server (tests never do; they
// evaluate `policies` in-process). Levels come from config/stageN.json; without one, all advise.
new PolicyPack("devsecops-journey", { policies, enforcementLevel: "advisory" });
