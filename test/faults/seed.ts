/** Items written through the entry point before a fault, and waited for on the replica. */
import * as assert from "node:assert/strict";
import { untilOnReplica } from "../support/app";
import type { DataPlane } from "../support/dataplane";

export interface SeededItem { id: number; name: string }

export async function seedItems(plane: DataPlane, count: number, prefix = "seed"): Promise<SeededItem[]> {
    const items: SeededItem[] = [];
    for (let i = 0; i < count; i++) {
        const name = `${prefix}-${i}`;
        const reply = await plane.request("/api/items", { method: "POST", json: { name } });
        assert.equal(reply.status, 201, reply.text);
        items.push({ id: reply.json.id, name });
    }
    await untilOnReplica(plane.replica, items[items.length - 1].id);
    return items;
}
