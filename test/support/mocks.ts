/**
 * The program under mocks, for tests: the recorder lives in lab/record.ts (the lab CLI and the docs
 * generator use it at run time too). Import this module before any program module.
 */
export * from "../../lab/record";
