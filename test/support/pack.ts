/**
 * The policy pack is a package of its own (policy-pack/package.json and npm-shrinkwrap.json), so
 * its SDK is policy-pack/node_modules/@pulumi/policy, not the root's. The tests judge with that
 * copy: the policies recognise an unknown value by its proxy's UnknownValueError class, so the
 * harness must build its proxies from the very same module. (Types come from the same place:
 * tsconfig.json maps `@pulumi/policy` there.)
 */
import { createRequire } from "node:module";
import * as path from "path";

export const PACK_DIR = path.join(__dirname, "../../policy-pack");

/** `require` as the pack's own files see it. */
export const packRequire = createRequire(path.join(PACK_DIR, "package.json"));
