/**
 * The items service: the read path (cache, then replica, then primary) and the write path (primary,
 * then invalidate), with the facts a response reports about how it was served.
 */
import type { ItemCache } from "./cache";
import type { Database, Item } from "./db";
import type { CacheState, DbNode, FallbackReason, Metrics } from "./metrics";

/** How a read was served: the response headers and the page show these. */
export interface Served<T> {
    value: T;
    dbNode: DbNode;
    cache: CacheState;
    fallback?: FallbackReason;
}

export class ItemService {
    constructor(
        private readonly db: Database,
        private readonly cache: ItemCache,
        private readonly metrics: Metrics,
    ) {}

    async get(id: number): Promise<Served<Item | null>> {
        const lookup = await this.cache.get(id);
        this.metrics.cacheLookups.inc({ result: lookup.state });
        if (lookup.state === "hit") {
            // Served from the cache: the node is the one the cached copy was read from.
            return { value: lookup.entry.item, dbNode: lookup.entry.node, cache: "hit" };
        }
        const read = await this.db.getItem(id, lookup.state === "miss" ? lookup.sinceLsn : undefined);
        this.countRead(read.node, read.fallback);
        if (lookup.state === "miss" && read.value) {
            await this.cache.fill(id, { item: read.value, node: read.node }, lookup.marker);
        }
        return { value: read.value, dbNode: read.node, cache: lookup.state, fallback: read.fallback };
    }

    /** Lists are not cached (invalidating every page on every write is not worth it here). */
    async list(limit: number, offset: number): Promise<Served<Item[]>> {
        const read = await this.db.listItems(limit, offset);
        this.countRead(read.node, read.fallback);
        return { value: read.value, dbNode: read.node, cache: "off", fallback: read.fallback };
    }

    async create(name: string, note: string): Promise<Item> {
        return this.db.createItem(name, note);
    }

    async update(id: number, name: string, note: string): Promise<Item | null> {
        const { item, lsn } = await this.db.updateItem(id, name, note);
        if (item) await this.cache.invalidate(id, lsn);
        return item;
    }

    async delete(id: number): Promise<boolean> {
        const { deleted, lsn } = await this.db.deleteItem(id);
        if (deleted) await this.cache.invalidate(id, lsn);
        return deleted;
    }

    private countRead(node: DbNode, fallback?: FallbackReason): void {
        this.metrics.dbReads.inc({ node });
        if (fallback) this.metrics.dbReadFallbacks.inc({ reason: fallback });
    }
}
