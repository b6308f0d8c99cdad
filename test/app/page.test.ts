import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http from "node:http";
import type { Browser, Page } from "playwright-core";
import { HEADERS } from "../../app/src/contract";
import { escapeHtml, renderPage } from "../../app/src/page";
import { crossSite } from "../../app/src/routes/page";
import { type LabServers, NEEDS_LAB, type RunningApp, call, labConfig, startApp, startLabServers, untilOnReplica } from "../support/app";
import { IN_CI, skipUnless } from "../support/servers";

const CHROMIUM = "/usr/bin/chromium";

describe("app: the page (pure rendering)", () => {
    it("escapes every value it shows", () => {
        const evil = `<script>alert("x")</script>&'`;
        const html = renderPage({
            instance: "app-1",
            read: { kind: "item", id: 1, item: { id: 1, name: evil, note: evil, createdAt: "t", updatedAt: "t" } },
            dbNode: "replica",
            cache: "miss",
            error: evil,
            form: { name: evil },
        });
        assert.ok(!html.includes("<script>"), "no raw markup from data");
        assert.ok(html.includes(escapeHtml(evil)));
        assert.equal(escapeHtml(`<>&"'`), "&#60;&#62;&#38;&#34;&#39;");
    });

    it("tells a cross-site form post by Sec-Fetch-Site, else by Origin, and lets non-browsers through", () => {
        assert.equal(crossSite({ "sec-fetch-site": "same-origin", host: "localhost" }), undefined);
        assert.equal(crossSite({ "sec-fetch-site": "none" }), undefined, "typed by the person: no site to forge");
        assert.equal(crossSite({ "sec-fetch-site": "cross-site", origin: "https://localhost:8443", host: "localhost" }), "Sec-Fetch-Site: cross-site");
        assert.equal(crossSite({ "sec-fetch-site": "same-site" }), "Sec-Fetch-Site: same-site");
        assert.equal(crossSite({ origin: "https://localhost:8443", host: "localhost" }), undefined, "behind the edge Host has no port");
        assert.equal(crossSite({ origin: "https://evil.example", host: "localhost" }), "Origin https://evil.example");
        assert.equal(crossSite({ origin: "null", host: "localhost" }), "Origin is not a URL");
        assert.equal(crossSite({ host: "localhost" }), undefined, "curl sends neither");
    });

    it('shows the replica lag as "n/a" without a replica', () => {
        const html = renderPage({ instance: "app-1" });
        assert.match(html, /<dd id="replica-lag">n\/a \(no replica\)<\/dd>/);
    });
});

describe("app: the page in a real headless Chromium", function () {
    let servers: LabServers;
    let app: RunningApp;
    let browser: Browser;
    let page: Page;
    const consoleErrors: string[] = [];
    const text = async (selector: string) => ((await page.textContent(selector)) ?? "").trim();

    before(async function () {
        if (!fs.existsSync(CHROMIUM)) {
            const why = `${CHROMIUM} not found: install the Debian package \`chromium\``;
            if (IN_CI) throw new Error(`${why} (CI=true: a missing browser fails the run)`);
            console.log(`      skipped "${this.test?.parent?.fullTitle()}": ${why}`);
            this.skip();
        }
        skipUnless(this, NEEDS_LAB);
        const { chromium } = await import("playwright-core");
        [servers, browser] = await Promise.all([
            startLabServers(),
            chromium.launch({
                executablePath: CHROMIUM,
                args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
            }),
        ]);
        app = await startApp(labConfig(servers));
        page = await browser.newPage();
        // A CSP violation or a failed asset shows up here.
        page.on("console", (message) => {
            if (message.type() === "error") consoleErrors.push(message.text());
        });
        page.on("pageerror", (err) => consoleErrors.push(err.message));
    });
    after(async () => {
        await browser?.close();
        await app?.close();
        await servers?.close();
    });

    it("shows which instance answered, the node and cache of its read, and the replica lag", async () => {
        const response = await page.goto(app.url("/"));
        assert.equal(response?.status(), 200);
        assert.equal(await text("#instance"), "app-test");
        assert.equal(await text("#db-node"), "replica");
        assert.equal(await text("#cache"), "off (lists are not cached)");
        assert.match(await text("#replica-lag"), /^\d+\.\d{3} s, \d+ bytes of WAL behind$/);
        assert.equal(await text("#dependencies"), "primary up, replica up, cache up (ready)");
    });

    it("sends a strict CSP, and the page renders under it without a single console error", async () => {
        const response = await page.goto(app.url("/"));
        const headers = response!.headers();
        assert.match(headers["content-security-policy"], /default-src 'self'/);
        assert.match(headers["content-security-policy"], /script-src 'none'/);
        assert.match(headers["content-security-policy"], /frame-ancestors 'none'/);
        assert.equal(headers["x-content-type-options"], "nosniff");
        // The inline style is allowed by its hash: if the hash were wrong, the grid would not apply.
        // Runs in the browser; the tests' tsconfig has no DOM lib, hence the string.
        assert.equal(await page.evaluate('getComputedStyle(document.querySelector("dl")).display'), "grid");
        assert.deepEqual(consoleErrors, []);
    });

    it("writes an item with the form, then reads it: a miss, then a hit from the cache", async () => {
        await page.goto(app.url("/"));
        await page.fill('#write input[name="name"]', "from the browser");
        await page.fill('#write input[name="note"]', "<b>not bold</b>");
        await Promise.all([page.waitForURL(/\/\?id=\d+$/), page.click('#write button[type="submit"]')]);
        const id = Number(new URL(page.url()).searchParams.get("id"));
        assert.ok(id > 0);
        assert.equal(await text("#read-summary"), `Item ${id}`);
        assert.match(await text("#result"), /not bold/);
        assert.equal(await page.$$eval("#result b", (els) => els.length), 0, "the note is shown as text, not markup");
        assert.equal(await text("#cache"), "miss");
        assert.match(await text("#db-node"), /^(replica|primary \(fallback: not-on-replica\))$/);

        const again = await page.reload();
        assert.equal(again?.headers()[HEADERS.cache.toLowerCase()], "hit");
        assert.equal(await text("#cache"), "hit");
        assert.equal(await text("#instance"), "app-test");
        assert.deepEqual(consoleErrors, []);
    });

    it("reads an item by id with the read form, from the replica once it has it", async () => {
        const created = await call(app.url("/api/items"), { method: "POST", json: { name: "read me" } });
        await untilOnReplica(servers.replica!, created.json.id);
        await page.goto(app.url("/"));
        await page.fill('#read input[name="id"]', String(created.json.id));
        await Promise.all([page.waitForURL(/\?id=\d+$/), page.click('#read button[type="submit"]')]);
        assert.equal(await text("#db-node"), "replica");
        assert.equal(await text("#cache"), "miss");
        assert.match(await text("#result"), /read me/);
    });

    it("shows a refused write on the page itself, with the reason, escaped", async () => {
        await page.goto(app.url("/"));
        // The browser enforces maxlength; a person with devtools does not: remove it, as they would.
        await page.$eval('#write input[name="name"]', (el) => el.removeAttribute("maxlength"));
        await page.fill('#write input[name="name"]', "x".repeat(101));
        const [response] = await Promise.all([page.waitForResponse((r) => r.request().method() === "POST"), page.click('#write button[type="submit"]')]);
        assert.equal(response.status(), 400);
        await page.waitForSelector("#error");
        assert.equal(await text("#error"), 'body field "name" must be at most 100 characters');
        assert.equal(await page.inputValue('#write input[name="name"]'), "x".repeat(101), "the form keeps what was typed");
    });

    it("refuses a form posted from another site (CSRF): 403 on the page, no row written", async () => {
        // Another origin (same address, another port: "same-site" for the browser, not "same-origin")
        // whose page posts a form to the app as soon as it loads, as an attacker's page would.
        const target = app.url("/");
        const evil = http.createServer((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end(
            `<form id="f" method="post" action="${target}"><input name="name" value="csrf"></form><script>document.getElementById("f").submit()</script>`));
        await new Promise<void>((resolve) => evil.listen(0, "127.0.0.1", resolve));
        const rows = async () => Number((await servers.primary.query("SELECT count(*) AS n FROM lab.items WHERE name = 'csrf'")).rows[0].n);
        try {
            const other = await browser.newPage();
            const [response] = await Promise.all([
                other.waitForResponse((r) => r.request().method() === "POST" && r.url() === target),
                other.goto(`http://127.0.0.1:${(evil.address() as { port: number }).port}/`),
            ]);
            assert.equal(response.status(), 403);
            await other.waitForSelector("#error");
            assert.match(await other.textContent("#error") ?? "", /only accepts posts from its own page \(Sec-Fetch-Site: same-site\)/);
            await other.close();
            assert.equal(await rows(), 0);
        } finally {
            await new Promise<void>((resolve) => evil.close(() => resolve()));
        }
    });

    it("says when an item does not exist", async () => {
        const response = await page.goto(app.url("/?id=99999"));
        assert.equal(response?.status(), 404);
        assert.equal(await text("#read-summary"), "Item 99999 does not exist.");
    });
});
