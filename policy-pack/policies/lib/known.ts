/**
 * Values a provider computes (an image id, a generated password) are unknown at preview, and
 * @pulumi/policy's props proxy throws when a policy reads one; the analyzer server then reports an
 * advisory "can't run policy ... during preview: <message>" for that resource (server.js), keeping
 * whatever the policy reported before. Our policies read what is known, decide what they can, and
 * say what they could not (`undecided`): a rule never passes silently on a value it cannot see.
 * The same policy runs again with every value known during `pulumi up`.
 */

// The class and the sentinel are exported at runtime; the package's .d.ts strips proxy.js (@internal).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { UnknownValueError, unknownStringValue } = require("@pulumi/policy/proxy") as {
    UnknownValueError: new (sentinel: unknown, props: string[]) => Error; unknownStringValue: string;
};

/** What the checks running now could not decide (a stack, as previewSafe checks nest). */
const undecidedStack: string[][] = [];

/**
 * Records that the running check cannot decide `what` until `up` (a value it needs is unknown at
 * preview). previewSafe turns it into the server's preview advisory once the check has finished.
 */
export function undecided(what: string): void {
    const current = undecidedStack[undecidedStack.length - 1];
    if (!current) throw new Error(`undecided("${what}") outside a previewSafe check`);
    if (!current.includes(what)) current.push(what);
}

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

/** Like `undecided`, for helpers that also run outside a check (where there is no verdict to hold back). */
export function undecidedIfChecking(what: string): void {
    if (undecidedStack.length) undecided(what);
}

/**
 * Wraps a check so that what it cannot see at preview is said, not passed: a read of an unknown
 * value that the check did not guard, and every `undecided` it recorded, end the check with one
 * UnknownValueError after it has reported what it could decide. The server turns that into the
 * advisory "can't run policy ... during preview: cannot check until up: ...". A rule must never
 * report a violation it cannot see, nor pass one it cannot see.
 */
export function previewSafe<A extends unknown[]>(check: (...args: A) => void | Promise<void>): (...args: A) => Promise<void> {
    return async (...args: A) => {
        const notes: string[] = [];
        const unknownRead = (error: unknown) => {
            if (!isUnknownValueError(error)) throw error;
            notes.push((error as Error).message.replace(/^cannot check until up: /, ""));
        };
        // The synchronous part runs with its own collector on top and pops it before anything else
        // can run: the server may analyze several resources at once. (`undecided` is synchronous.)
        let pending: void | Promise<void> = undefined;
        undecidedStack.push(notes);
        try {
            pending = check(...args);
        } catch (error) {
            unknownRead(error);
        } finally {
            undecidedStack.pop();
        }
        if (pending) await pending.catch(unknownRead);
        if (notes.length) {
            const error = new UnknownValueError(unknownStringValue, []);
            error.message = `cannot check until up: ${notes.join("; ")}`;
            throw error;
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
