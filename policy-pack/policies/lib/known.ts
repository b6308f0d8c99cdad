/**
 * Values a provider computes (an image id, a generated password) are unknown at preview, and
 * @pulumi/policy's props proxy throws when a policy reads one; the engine then turns the policy
 * into an advisory "can't run during preview" for that resource. Our policies read what is known
 * and skip the rest: the same policy runs again with every value known during `pulumi up`.
 */

// The class is exported at runtime; the package's .d.ts strips its proxy module (@internal).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { UnknownValueError } = require("@pulumi/policy/proxy") as { UnknownValueError: new (...args: any[]) => Error };

export function isUnknownValueError(error: unknown): boolean {
    return error instanceof UnknownValueError;
}

/** The value `read` returns, or undefined when it is unknown at preview. */
export function known<T>(read: () => T): T | undefined {
    try {
        return read();
    } catch (error) {
        if (isUnknownValueError(error)) return undefined;
        throw error;
    }
}

/** The known items of a list and their indexes; an unknown list or item is left out. */
export function knownItems<T>(read: () => readonly T[] | undefined | null): { item: T; index: number }[] {
    const list = known(read);
    if (!list) return [];
    const items: { item: T; index: number }[] = [];
    for (let index = 0; index < list.length; index++) {
        const item = known(() => list[index]);
        if (item !== undefined && item !== null) items.push({ item, index });
    }
    return items;
}

/**
 * Wraps a check so that reading a value unknown at preview skips the resource instead of failing
 * the policy: a rule must never report a violation it cannot see.
 */
export function previewSafe<A extends unknown[]>(check: (...args: A) => void | Promise<void>): (...args: A) => Promise<void> {
    return async (...args: A) => {
        try {
            await check(...args);
        } catch (error) {
            if (!isUnknownValueError(error)) throw error;
        }
    };
}

/** A plain deep copy of what `read` returns (no proxy), or undefined when any part of it is unknown. */
export function knownPlain<T>(read: () => T): T | undefined {
    return known(() => {
        const value = read();
        return value === undefined ? undefined : (JSON.parse(JSON.stringify(value)) as T);
    });
}
