import * as pulumi from "@pulumi/pulumi";
import { StageProfile, Target } from "../profiles/profile";

/** What every stage exports: where to go, what to try, what is still wrong; secrets only as secrets. */
export interface StageOutputs {
    readonly stage: number;
    readonly title: string;
    readonly target: Target;
    /** URLs to open in a browser. */
    readonly entryPoints: string[];
    readonly tryThis: string[];
    /** The lessons this stage leaves open on purpose (the pack's advisories, in plain words). */
    readonly lessons: readonly string[];
    /** The database owner's password, for psql from the host: a Pulumi secret. */
    readonly databasePassword: pulumi.Output<string>;
    /** From stage 4: the edge's self-signed certificate (public), for curl --cacert or a browser. */
    readonly edgeCertificate?: pulumi.Output<string>;
    /** Docker from stage 4: how the Vault bootstrap ended ("exited 0"); a failed one fails `up` here. */
    readonly vaultBootstrap?: pulumi.Output<string>;
    /** Stage 6: the service level objective the stage states (docs/golden-signals.md reads it off the metrics). */
    readonly slo?: NonNullable<StageProfile["kubernetes"]>["slo"];
}

/**
 * A built stage's outputs, the same shape on every target: the profile's story with this build's
 * names filled in, the entry points, and the secrets as Pulumi secrets.
 */
export function stageOutputs(profile: StageProfile, built: {
    readonly entryPoints: string[];
    /** Values for the story's `{name}` placeholders. */
    readonly storyValues: Record<string, string>;
    readonly databasePassword: pulumi.Output<string>;
    readonly edgeCertificate?: pulumi.Output<string>;
    readonly vaultBootstrap?: pulumi.Output<string>;
}): StageOutputs {
    return {
        stage: profile.stage,
        title: profile.title,
        target: profile.target,
        entryPoints: built.entryPoints,
        tryThis: fillStory(profile.story.tryThis, built.storyValues),
        lessons: profile.story.lessons,
        databasePassword: pulumi.secret(built.databasePassword),
        ...(built.edgeCertificate ? { edgeCertificate: built.edgeCertificate } : {}),
        ...(built.vaultBootstrap ? { vaultBootstrap: built.vaultBootstrap } : {}),
        ...(profile.kubernetes?.slo ? { slo: profile.kubernetes.slo } : {}),
    };
}

/** Fills `{name}` placeholders in a stage story; an unknown placeholder is a bug in the story. */
export function fillStory(lines: readonly string[], values: Record<string, string>): string[] {
    return lines.map((line) =>
        line.replace(/\{([a-zA-Z][a-zA-Z0-9]*)\}/g, (_, key: string) => {
            if (!(key in values)) throw new Error(`story placeholder {${key}} has no value`);
            return values[key];
        }),
    );
}
