// test/browser/demo.test.mjs — the demo application in real Chromium
// (headless, Debian's /usr/bin/chromium driven by playwright-core), against
// the demo started by its own run script: tokens signed by the extension,
// sessions handed over in the URL fragment, first access tokens living 75 s
// so that every page must renew its token during the run.
//
// Three users of tenant 1 side by side (ann in two tabs, ben), dan of
// tenant 2, and cat on a phone-width screen. Checks, in order: the sign-in
// picker; the case list; presence avatars appearing and disappearing; an
// edit by one user shown live to the other, without a flicker for the
// editor; an UPDATE from psql shown in both; the bell in two tabs of one
// user (mark read, mark all read; badge and list never disagree); tenant
// isolation; the background poll; token refresh keeping the room; the
// assistant panel; the phone layout; no console errors anywhere. A
// screenshot of each state goes to build/screenshots/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startDemo, sql, launch, newPage, shot, bellState } from "./lib.mjs";

const T1 = "md5('tenant-1')::uuid";
const ANN = "md5('demo-ann')::uuid";
let demo, browser;
const errors = [];
const ctx = {}; // browser contexts by user
const pg = {}; // pages: a1, a2 (ann), b (ben), d (dan), p (cat, phone)
let caseNo; // the case ann and ben work on
let annIds; // case ids of ann's list

const waitFor = (page, fn, arg, ms = 10000) => page.waitForFunction(fn, arg, { timeout: ms });

async function signIn(page, email) {
  await page.goto(demo.signin);
  await page.locator(`button.user-choice[data-email="${email}"]`).click();
  await waitFor(page, () => document.body.dataset.state === "connected" && Number(document.body.dataset.cases) > 0);
}

async function caseField(page, f) {
  return page.locator("#f-" + f).inputValue();
}

before(async () => {
  demo = await startDemo({ RC_DEMO_ACCESS_TTL: "75" });
  browser = await launch();
  const laptop = { viewport: { width: 1280, height: 800 } };
  for (const u of ["ann", "ben", "dan"]) ctx[u] = await browser.newContext(laptop);
  ctx.cat = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true,
                                       deviceScaleFactor: 1 });
});

after(async () => {
  if (browser) await browser.close();
  if (demo) await demo.stop();
});

test("the sign-in picker lists the demo users from the URL fragment, and no token reaches a server URL", async () => {
  const page = (pg.a1 = await newPage(ctx.ann, errors, "ann-1"));
  const requested = [];
  page.on("request", (r) => requested.push(r.url()));
  await page.goto(demo.signin);
  await page.locator("button.user-choice").first().waitFor();
  assert.equal(await page.locator("button.user-choice").count(), 4);
  assert.match(await page.locator('button.user-choice[data-email="dan@demo.example"]').innerText(), /tenant 2/);
  assert.equal(new URL(page.url()).hash, "", "the sessions are moved out of the address bar");
  await shot(page, "01-signin-laptop");
  await page.locator('button.user-choice[data-email="ann@demo.example"]').click();
  await waitFor(page, () => document.body.dataset.state === "connected");
  assert.ok(requested.every((u) => !/eyJ|signin=|refresh=/.test(u)), "no request URL carries a token");
  console.log("SECURITY|demo/page|tokens handed to the page in the URL fragment|never in a request URL (fragment not sent, cleared from the address bar)");
});

test("every demo user signs in (their pages stay open and must renew their tokens)", async () => {
  pg.b = await newPage(ctx.ben, errors, "ben");
  pg.d = await newPage(ctx.dan, errors, "dan");
  pg.p = await newPage(ctx.cat, errors, "cat-phone");
  await Promise.all([signIn(pg.b, "ben@demo.example"), signIn(pg.d, "dan@demo.example"), signIn(pg.p, "cat@demo.example")]);
});

test("the case list shows the signed-in user's tenant, and a case opens with its room", async () => {
  const page = pg.a1;
  await waitFor(page, () => Number(document.body.dataset.cases) >= 50);
  annIds = await page.$$eval("#case-list button.case-row", (b) => b.map((x) => x.dataset.id));
  const t1 = sql(demo, `SELECT count(*) FROM casework.cases WHERE tenant_id = ${T1} AND id = ANY('{${annIds.join(",")}}'::uuid[])`);
  assert.equal(Number(t1), annIds.length, "every listed case is one of tenant 1");
  await shot(page, "02-case-list-laptop");
  const first = page.locator("#case-list button.case-row").nth(2);
  caseNo = Number(await first.getAttribute("data-number"));
  await first.click();
  await waitFor(page, (n) => document.getElementById("case").dataset.room?.endsWith(":case:" + n), caseNo);
  assert.equal(await page.locator("#case-number").innerText(), `Case #${caseNo}`);
  assert.match(page.url(), new RegExp(`#user=ann%40demo.example&case=${caseNo}$`));
});

test("two users in the same case see each other appear and leave (presence)", async () => {
  await pg.b.locator(`#case-list button.case-row[data-number="${caseNo}"]`).click();
  const seen = (page, email) => waitFor(page, (e) => !!document.querySelector(`#presence li[data-email="${e}"]`), email);
  await seen(pg.a1, "ben@demo.example");
  await seen(pg.b, "ann@demo.example");
  assert.equal(await pg.a1.locator("#presence-text").innerText(), "1 other here");
  await shot(pg.a1, "03-presence-ann");
  await shot(pg.b, "03-presence-ben");
  // ben opens another case: he leaves this room
  const other = await pg.b.locator(`#case-list button.case-row:not([data-number="${caseNo}"])`).first();
  await other.click();
  await waitFor(pg.a1, () => !document.querySelector('#presence li[data-email="ben@demo.example"]'));
  assert.equal(await pg.a1.locator("#presence-text").innerText(), "Only you are here");
  await pg.b.locator(`#case-list button.case-row[data-number="${caseNo}"]`).click();
  await seen(pg.a1, "ben@demo.example");
});

test("an edit by ann shows live for ben, with no flicker for ann; an UPDATE from psql shows in both", async () => {
  const before = await pg.a1.evaluate(() => ({ ...window.roomcastDemo.stats }));
  const title = `Ann edited #${caseNo} ${Date.now() % 100000}`;
  await pg.a1.locator("#f-title").fill(title);
  await pg.a1.locator("#f-status").selectOption("investigating");
  // record every value ann's title field shows from now on
  await pg.a1.evaluate(() => {
    window.__titles = new Set();
    window.__rec = setInterval(() => window.__titles.add(document.getElementById("f-title").value), 10);
  });
  await pg.a1.locator("#save").click();
  await waitFor(pg.b, (t) => document.getElementById("f-title").value === t, title);
  assert.equal(await caseField(pg.b, "status"), "investigating");
  assert.match(await pg.b.locator("#last-change").innerText(), /ann@demo\.example changed title, status/);
  await waitFor(pg.a1, (n) => window.roomcastDemo.stats.ownEchoes > n, before.ownEchoes);
  const after = await pg.a1.evaluate(() => { clearInterval(window.__rec); return { titles: [...window.__titles], ...window.roomcastDemo.stats }; });
  assert.deepEqual(after.titles, [title], "ann's own change is never re-applied");
  assert.equal(after.remoteApplied, before.remoteApplied);
  assert.equal(await pg.a1.locator("#save-state").innerText(), "Saved");
  await shot(pg.b, "04-live-edit-ben");

  const notes = `Checked from psql at ${Date.now() % 100000}`;
  sql(demo, `UPDATE casework.cases SET notes = '${notes}' WHERE tenant_id = ${T1} AND number = ${caseNo}`);
  for (const p of [pg.a1, pg.b]) await waitFor(p, (n) => document.getElementById("f-notes").value === n, notes);
  assert.match(await pg.a1.locator("#last-change").innerText(), /someone \(SQL\) changed notes/);
  // the case list follows too
  await waitFor(pg.b, ([n, t]) => document.querySelector(`#case-list li[data-number="${n}"] .case-title`)?.textContent === t,
                [caseNo, title]);
  await shot(pg.a1, "05-psql-edit-ann");
});

test("a field being edited is not overwritten by someone else's change", async () => {
  await pg.b.locator("#f-notes").fill("Ben is typing…");
  const t2 = `Second title ${Date.now() % 100000}`;
  await pg.a1.locator("#f-title").fill(t2);
  await pg.a1.locator("#f-notes").fill("Ann's notes");
  await pg.a1.locator("#save").click();
  await waitFor(pg.b, (t) => document.getElementById("f-title").value === t, t2);
  assert.equal(await caseField(pg.b, "notes"), "Ben is typing…");
  // ben discards his draft by saving the same text as ann: no change left
  await pg.b.locator("#f-notes").fill("Ann's notes");
  await pg.b.locator("#save").click();
  await waitFor(pg.b, () => document.getElementById("save-state").textContent === "No changes");
});

test("case_update refuses bad input, and the page says why without changing the case", async () => {
  const before = sql(demo, `SELECT title || '|' || notes FROM casework.cases WHERE tenant_id = ${T1} AND number = ${caseNo}`);
  await pg.a1.locator("#f-title").fill("   ");
  await pg.a1.locator("#save").click();
  await waitFor(pg.a1, () => /^Not saved: case_update: title must be 1 to 200 characters/.test(document.getElementById("save-state").textContent));
  const acks = await pg.a1.evaluate(async (n) => {
    const m = window.roomcastDemo.main;
    const ask = (a) => m.timeout(5000).emitWithAck("case_update", a);
    return {
      notes: await ask({ number: n, notes: "x".repeat(4001) }),
      status: await ask({ number: n, status: "deleted" }),
      key: await ask({ number: n, tenant_id: "00000000-0000-0000-0000-000000000000" }),
      editId: await ask({ number: n, title: "t", editId: "<script>" }),
      missing: await ask({ number: 999999, title: "nobody" }),
    };
  }, caseNo);
  assert.equal(acks.notes.error?.code, "LIMIT_EXCEEDED");
  assert.equal(acks.status.error?.code, "INVALID_ARGUMENT");
  assert.match(acks.key.error?.message, /unknown key "tenant_id"/);
  assert.equal(acks.editId.error?.code, "INVALID_ARGUMENT");
  assert.equal(acks.missing.error?.code, "FORBIDDEN");
  assert.equal(sql(demo, `SELECT title || '|' || notes FROM casework.cases WHERE tenant_id = ${T1} AND number = ${caseNo}`), before);
  console.log("SECURITY|demo/rpc|case_update with a tenant_id key, 4001-character notes, an unknown status, a markup editId|INVALID_ARGUMENT or LIMIT_EXCEEDED; the case is unchanged");
  await pg.a1.locator("#f-title").fill(before.split("|")[0]);
  await pg.a1.locator("#save").click(); // nothing left to save: the field is no longer a draft
  await waitFor(pg.a1, () => document.getElementById("save-state").textContent === "No changes");
});

test("an expired session sends the user back to the picker with the reason", async () => {
  const expired = sql(demo, `SELECT roomcast.sign(jsonb_build_object('sub', ${ANN}, 'tenantId', ${T1}, 'email', 'ann@demo.example',
                                'role', 'admin', 'exp', extract(epoch FROM now())::bigint - 60))`);
  const c = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await newPage(c, errors, "expired");
  await page.goto(demo.url + "#token=" + expired);
  await page.locator("#signin-message").waitFor();
  assert.match(await page.locator("#signin-message").innerText(), /no longer valid \(TOKEN_EXPIRED\)/);
  assert.equal(await page.evaluate(() => document.body.dataset.view), "signin");
  console.log("SECURITY|demo/page|an expired access token in the fragment|CONNECT refused TOKEN_EXPIRED; the page drops the session and shows the picker");
  await c.close();
});

test("the bell: two tabs of one user agree, mark read and mark all read reach both, badge and list never disagree", async () => {
  sql(demo, `BEGIN; SELECT roomcast.set_identity(${T1}, NULL);
             SELECT roomcast.send_in_app(${ANN}, 'case_update', 'Case #${caseNo} needs a look ' || g, 'seeded ' || g, 'case', '${caseNo}')
               FROM generate_series(1, 5) g; COMMIT;`);
  const unreadDb = () => Number(sql(demo, `BEGIN; SELECT roomcast.set_identity(${T1}, ${ANN}); SELECT roomcast.unread_count(); COMMIT;`)
    .split("\n").pop());
  const agree = async (page) => {
    const s = await bellState(page);
    assert.equal(s.unread, s.badge, `badge ${s.badge} but ${s.unread} unread listed (${JSON.stringify(s)})`);
    assert.ok(!(s.badge > 0 && s.empty), `badge ${s.badge} above "${s.emptyText}" — the old "5 / none yet" bug`);
    return s;
  };
  // a second tab opened now: it must list what the badge counts at once
  pg.a2 = await newPage(ctx.ann, errors, "ann-2");
  await pg.a2.goto(demo.url + "#user=ann@demo.example&poll=2");
  await waitFor(pg.a2, () => document.body.dataset.state === "connected");
  const n = unreadDb();
  assert.ok(n >= 5);
  for (const p of [pg.a1, pg.a2]) await waitFor(p, (c) => document.getElementById("bell").dataset.count === String(c), n);
  await pg.a1.locator("#bell").click();
  await pg.a2.locator("#bell").click();
  for (const p of [pg.a1, pg.a2]) await agree(p);
  await shot(pg.a1, "06-bell-open-laptop");

  const firstId = await pg.a1.locator("#inbox-list li.unread").first().getAttribute("data-id");
  await pg.a1.locator(`#inbox-list li[data-id="${firstId}"] .inbox-mark`).click();
  for (const p of [pg.a1, pg.a2]) {
    await waitFor(p, ([id, c]) => document.querySelector(`#inbox-list li[data-id="${id}"]`)?.dataset.read === "true" &&
                                  document.getElementById("bell").dataset.count === String(c), [firstId, n - 1]);
    await agree(p);
  }
  assert.equal(unreadDb(), n - 1);
  await shot(pg.a2, "07-bell-marked-in-other-tab");

  await pg.a2.locator("#mark-all").click();
  for (const p of [pg.a1, pg.a2]) {
    await waitFor(p, () => document.getElementById("bell").dataset.count === "0" && !document.querySelector("#inbox-list li.unread"));
    const s = await agree(p);
    assert.equal(s.badge, 0);
    assert.ok(s.items >= 5, "the read notifications stay listed");
  }
  assert.equal(unreadDb(), 0);
  assert.equal(await pg.a1.locator("#inbox-summary").innerText(), "All caught up");
  await shot(pg.a1, "08-bell-all-read");
  await pg.a1.keyboard.press("Escape");
  await pg.a2.keyboard.press("Escape");
});

test("a background tab polls get_recent {since}", async () => {
  const before = await pg.a2.evaluate(() => window.roomcastDemo.stats.polls);
  await pg.a2.evaluate(() => {
    Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
    document.dispatchEvent(new Event("visibilitychange"));
  });
  await waitFor(pg.a2, (n) => window.roomcastDemo.stats.polls > n, before, 8000);
  await pg.a2.evaluate(() => { delete document.visibilityState; });
});

test("a user of another tenant sees none of tenant 1's cases or events", async () => {
  const danIds = await pg.d.$$eval("#case-list button.case-row", (b) => b.map((x) => x.dataset.id));
  assert.ok(danIds.length >= 20);
  assert.equal(danIds.filter((id) => annIds.includes(id)).length, 0, "no case of tenant 1 in dan's list");
  // the same case number, in dan's tenant (it may not be on his first page)
  await pg.d.evaluate((n) => window.roomcastDemo.cases.openCase(n), caseNo);
  await waitFor(pg.d, (n) => document.getElementById("case").dataset.room?.endsWith(":case:" + n), caseNo);
  const danTitle = await caseField(pg.d, "title");
  const room = await pg.d.locator("#case").getAttribute("data-room");
  assert.ok(room.startsWith("tenant:" + sql(demo, "SELECT md5('tenant-2')::uuid")), "dan's room is in tenant 2");

  const marker = `Tenant-1 secret ${Date.now() % 100000}`;
  sql(demo, `UPDATE casework.cases SET title = '${marker}' WHERE tenant_id = ${T1} AND number = ${caseNo}`);
  sql(demo, `BEGIN; SELECT roomcast.set_identity(${T1}, NULL); SELECT roomcast.emit_to_tenant('activity', '{"text":"${marker}"}'); COMMIT;`);
  await waitFor(pg.a1, (t) => document.getElementById("f-title").value === t, marker);
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(await caseField(pg.d, "title"), danTitle);
  const html = await pg.d.content();
  assert.ok(!html.includes(marker), "no tenant-1 event reached dan's page");
  assert.equal(await pg.d.locator("#presence-text").innerText(), "Only you are here", "ann and ben are not in dan's room");
  console.log("SECURITY|demo/tenancy|a tenant-2 user opens the same case number as tenant 1 users|gets tenant 2's case and room; tenant 1 edits and events never reach the page");

  const ann1Room = await pg.a1.locator("#case").getAttribute("data-room");
  const probe = await pg.d.evaluate(async (r) => {
    const m = window.roomcastDemo.main;
    return {
      presence: await m.timeout(5000).emitWithAck("presence:list", { room: r }),
      update: await m.timeout(5000).emitWithAck("case_update", { number: 1, title: "dan was here" }),
      refresh: await m.timeout(5000).emitWithAck("session_refresh", { refreshToken: "not-a-token" }),
    };
  }, ann1Room);
  assert.equal(probe.presence.error?.code, "FORBIDDEN");
  assert.equal(sql(demo, `SELECT count(*) FROM casework.cases WHERE title = 'dan was here' AND tenant_id = ${T1}`), "0");
  assert.ok(probe.refresh.error, "a bogus refresh token is refused");
  console.log("SECURITY|demo/presence|tenant-2 page asks presence:list of a tenant-1 case room|FORBIDDEN");
  console.log("SECURITY|demo/rpc|tenant-2 page calls case_update on case number 1|changes only its own tenant's case 1 (RLS); tenant 1 untouched");
  console.log("SECURITY|demo/rpc|session_refresh with a forged refresh token|INVALID_TOKEN error, nothing issued");
  await shot(pg.d, "09-other-tenant-dan");
});

test("tokens are renewed before expiry (auth:refresh-needed) and the room is kept", async () => {
  // The first tokens live 75 s; the notifier warns 60 s before exp.
  for (const [name, p] of Object.entries(pg)) {
    try {
      await waitFor(p, () => Number(document.body.dataset.tokenExp) > Date.now() + 3600e3, null, 45000);
    } catch (e) {
      const d = await p.evaluate(() => ({ stats: window.roomcastDemo.stats, exp: document.body.dataset.tokenExp,
        now: Date.now(), toasts: document.getElementById("toasts").textContent, conn: document.getElementById("conn-text").textContent }));
      assert.fail(`page ${name} did not renew its token: ${JSON.stringify(d)}`);
    }
  }
  const exp = await pg.a1.evaluate(() => Number(document.body.dataset.tokenExp));
  assert.ok(exp > Date.now() + 3600e3, "ann's page holds a long-lived token now");
  // ann's two tabs renew at the same moment: the Web Lock and IndexedDB make
  // one of them rotate the shared refresh token and the other reuse the result
  const renew = (p) => p.evaluate(async () => {
    const d = window.roomcastDemo;
    const before = d.stats.refreshes;
    const token = await d.session.refreshed((e, a) => d.main.timeout(8000).emitWithAck(e, a));
    return { token, rotated: d.stats.refreshes - before };
  });
  const [r1, r2] = await Promise.all([renew(pg.a1), renew(pg.a2)]);
  assert.equal(r1.token, r2.token, "both tabs hold the same new token");
  assert.equal(r1.rotated + r2.rotated, 1, "the refresh token was rotated once");
  const reuse = sql(demo, "SELECT count(*) FROM roomcast.security_events");
  assert.equal(reuse, "0", "two tabs of ann renewed without a refresh-token reuse");
  console.log("SECURITY|demo/session|two tabs of one user renew their token at the same moment|one rotation (Web Lock + IndexedDB), no reuse detection, no revoked family");
  const t3 = `After refresh ${Date.now() % 100000}`;
  await pg.a1.locator("#f-title").fill(t3);
  await pg.a1.locator("#save").click();
  await waitFor(pg.b, (t) => document.getElementById("f-title").value === t, t3);
  assert.equal(await pg.a1.locator("#presence-text").innerText(), "1 other here");
  assert.ok(await pg.a2.evaluate(() => window.roomcastDemo.notif.connected));
});

test("the assistant panel answers through the job queue", async () => {
  await pg.b.locator("#ask-input").fill("Summarise this case");
  await pg.b.locator("#ask-btn").click();
  await waitFor(pg.b, () => /^Done/.test(document.getElementById("job-state").textContent), null, 20000);
  assert.ok((await pg.b.locator("#answer").innerText()).split(/\s+/).length >= 10);
  await shot(pg.b, "10-assistant-ben");
});

test("a phone-width screen: one pane at a time, no horizontal scroll", async () => {
  const page = pg.p;
  const noHScroll = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
  assert.ok(await noHScroll(), "case list fits");
  assert.ok(!(await page.locator("#detail-pane").isVisible()));
  await shot(page, "11-case-list-phone");
  await page.locator(`#case-list button.case-row[data-number="${caseNo}"]`).click();
  await waitFor(page, () => document.getElementById("presence").dataset.others === "2");
  assert.ok(!(await page.locator("#list-pane").isVisible()));
  assert.ok(await noHScroll(), "case page fits");
  await shot(page, "12-case-phone");
  await page.locator("#bell").click();
  assert.ok(await noHScroll(), "bell dropdown fits");
  await shot(page, "13-bell-phone");
  await page.keyboard.press("Escape");
  await page.locator("#back").click();
  assert.ok(await page.locator("#list-pane").isVisible());
});

test("no console errors in any page", () => {
  assert.deepEqual(errors, []);
});
