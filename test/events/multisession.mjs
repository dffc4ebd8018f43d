// Multi-session tests of room events (SPEC §3), run by test/suites/25-events.sh:
// commit order across sessions, rollback, large payloads, control messages.
// Prints TAP lines; exits non-zero if any test fails. Needs PG* env and the
// database in process.argv[2] with roomcast installed and tenant T/user U.
import pg from 'pg';

const db = process.argv[2];
const T = '25000000-0000-0000-0000-00000000000a';
const U = '25000000-0000-0000-0000-000000000001';
const ROOM = `tenant:${T}`;
let failures = 0;
let n = 0;

function ok(cond, name, diag) {
	n++;
	console.log(`${cond ? 'ok' : 'not ok'} ${n} - ${name}`);
	if (!cond) {
		failures++;
		if (diag !== undefined) console.log(`# ${JSON.stringify(diag)}`);
	}
}

async function connect() {
	const c = new pg.Client({ database: db });
	await c.connect();
	return c;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Wait until pred() is true or ms pass; returns pred()
async function until(pred, ms = 5000) {
	const end = Date.now() + ms;
	while (!pred() && Date.now() < end) await sleep(10);
	return pred();
}

const listener = await connect();
const got = [];	// parsed payloads, in arrival order, with their byte size
listener.on('notification', (m) => {
	if (m.channel === 'roomcast') got.push({ ...JSON.parse(m.payload), bytes: Buffer.byteLength(m.payload) });
});
await listener.query('LISTEN roomcast');

const a = await connect();
const b = await connect();
const asTenant = (c) => c.query('SELECT roomcast.set_identity($1, $2, $3)', [T, U, 'member']);
const emit = async (c, event, data = {}) =>
	(await c.query('SELECT roomcast.emit($1, $2, $3) AS id', [ROOM, event, data])).rows[0].id;
const events = (name) => got.filter((e) => e.e === name);

// --- commit order: A emits first and commits last
await a.query('BEGIN');
await asTenant(a);
const idA = BigInt(await emit(a, 'order-a'));
await b.query('BEGIN');
await asTenant(b);
const idB = BigInt(await emit(b, 'order-b'));
await b.query('COMMIT');
await sleep(50);
await a.query('COMMIT');
await until(() => events('order-a').length && events('order-b').length);
const na = got.findIndex((e) => e.e === 'order-a');
const nb = got.findIndex((e) => e.e === 'order-b');
ok(idA < idB, 'ids follow emit order (A emitted first)', { idA: String(idA), idB: String(idB) });
ok(nb >= 0 && na > nb, 'NOTIFY order follows commit order (B before A)', { na, nb });
ok(got[nb].p < got[na].p, 'pos follows commit order (pos B < pos A)', { pa: got[na]?.p, pb: got[nb]?.p });
{
	await a.query('BEGIN');
	await asTenant(a);
	const r = await a.query(`SELECT event, pos FROM roomcast.events WHERE event IN ('order-a', 'order-b') ORDER BY pos`);
	await a.query('COMMIT');
	ok(r.rows.map((x) => x.event).join() === 'order-b,order-a', 'the log orders B before A by pos', r.rows);
	ok(String(r.rows[0]?.pos) === String(got[nb].p), 'NOTIFY carries the logged pos');
}

// --- a session that commits while another, which emitted earlier, is still open
// cannot get a smaller pos than one committed before it: run 20 interleavings.
{
	let inOrder = true;
	for (let i = 0; i < 20; i++) {
		await a.query('BEGIN'); await asTenant(a); await emit(a, `x-a-${i}`);
		await b.query('BEGIN'); await asTenant(b); await emit(b, `x-b-${i}`);
		const first = i % 2 ? a : b;
		const second = i % 2 ? b : a;
		await first.query('COMMIT');
		await second.query('COMMIT');
	}
	await until(() => got.filter((e) => e.e?.startsWith('x-')).length === 40);
	const xs = got.filter((e) => e.e?.startsWith('x-'));
	for (let i = 1; i < xs.length; i++) if (!(xs[i].p > xs[i - 1].p)) inOrder = false;
	for (let i = 0; i < 20; i++) {
		const firstName = i % 2 ? `x-a-${i}` : `x-b-${i}`;
		const idxFirst = xs.findIndex((e) => e.e === firstName);
		const idxSecond = xs.findIndex((e) => e.e === (i % 2 ? `x-b-${i}` : `x-a-${i}`));
		if (!(idxFirst < idxSecond)) inOrder = false;
	}
	ok(xs.length === 40 && inOrder, '20 interleaved pairs: arrival order = commit order, pos strictly increasing');
}

// --- rollback delivers nothing; a savepoint rollback drops only its events
await a.query('BEGIN'); await asTenant(a);
await emit(a, 'rolled-back');
await a.query('ROLLBACK');
await a.query('BEGIN'); await asTenant(a);
await emit(a, 'sp-kept');
await a.query('SAVEPOINT s');
await emit(a, 'sp-dropped');
await a.query('ROLLBACK TO SAVEPOINT s');
await a.query('COMMIT');
await b.query('BEGIN'); await asTenant(b); await emit(b, 'marker-1'); await b.query('COMMIT');
await until(() => events('marker-1').length);
ok(events('marker-1').length === 1, 'a later commit is delivered');
ok(events('rolled-back').length === 0, 'a rolled-back transaction sends no NOTIFY');
ok(events('sp-kept').length === 1 && events('sp-dropped').length === 0, 'a rolled-back savepoint sends only the kept event');
{
	await a.query('BEGIN'); await asTenant(a);
	const r = await a.query(`SELECT count(*)::int AS n FROM roomcast.events WHERE event IN ('rolled-back', 'sp-dropped')`);
	await a.query('COMMIT');
	ok(r.rows[0].n === 0, 'nothing rolled back is in the log');
}

// --- a transaction without events sends nothing
await a.query('BEGIN'); await asTenant(a); await a.query('SELECT roomcast.unread_count()'); await a.query('COMMIT');

// --- 100 events in one transaction: 100 notifications, consecutive pos, emit order
await a.query('BEGIN'); await asTenant(a);
await a.query(`SELECT roomcast.emit($1, 'batch', jsonb_build_object('i', i)) FROM generate_series(1, 100) i`, [ROOM]);
await a.query('COMMIT');
await until(() => events('batch').length === 100);
{
	const bs = events('batch');
	const consecutive = bs.every((e, i) => i === 0 || e.p === bs[i - 1].p + 1);
	const ordered = bs.every((e, i) => e.d.i === i + 1);
	ok(bs.length === 100 && consecutive && ordered, '100 events in one transaction: consecutive pos, emit order');
	ok(bs.every((e) => e.t === T && e.r === ROOM && e.n === '/' && typeof e.ts === 'number' && e.d.timestamp === e.ts),
		'payload carries tenant, room, namespace, commit time; data.timestamp = ts');
	const small = bs[0];
	console.log(`# NOTIFY payload of a small event: ${small.bytes} bytes`);
	ok(small.bytes < 250, `a small event's NOTIFY is compact (${small.bytes} bytes)`);
}

// --- a 20 KB event: the NOTIFY leaves data out, the log has it
{
	const big = 'x'.repeat(20 * 1024);
	await a.query('BEGIN'); await asTenant(a);
	await emit(a, 'big20k', { blob: big, n: 7 });
	await a.query('COMMIT');
	await until(() => events('big20k').length);
	const e = events('big20k')[0];
	ok(e && e.bytes < 7900 && e.d === undefined && e.big === true, `20 KB event: NOTIFY of ${e?.bytes} bytes without data, marked big`);
	const nt = await connect();
	await nt.query('SET ROLE rc_events_notifier');
	const r = await nt.query('SELECT roomcast.event_data($1, $2) AS d', [e.t, e.p]);
	const d = r.rows[0].d;
	ok(d && d.blob === big && d.n === 7 && d.timestamp === e.ts, 'the notifier role reads the data back by pos');
	const since = await nt.query('SELECT pos, event FROM roomcast.events_since($1, 10)', [e.p - 1]);
	ok(since.rows.length >= 1 && String(since.rows[0].pos) === String(e.p) && since.rows[0].event === 'big20k',
		'events_since(pos) returns the log after pos in order');
	let denied = '';
	try { await nt.query('SELECT * FROM roomcast.events'); } catch (err) { denied = err.code; }
	ok(denied === 'RC401', 'the notifier role cannot read the log table without an identity', denied);
	await nt.end();
}

// --- an event just under and just over the NOTIFY limit
{
	await a.query('BEGIN'); await asTenant(a);
	await emit(a, 'edge-small', { s: 'y'.repeat(7600) });
	await emit(a, 'edge-big', { s: 'y'.repeat(7900) });
	await a.query('COMMIT');
	await until(() => events('edge-big').length);
	const s = events('edge-small')[0];
	const bg = events('edge-big')[0];
	ok(s && s.d && s.d.s.length === 7600 && s.bytes <= 7900, `7.6 KB data travels inline (${s?.bytes} bytes)`);
	ok(bg && bg.d === undefined && bg.big === true, 'data that would pass 7,900 bytes is left out');
}

// --- a fresh backend's first call may be maintain() or read_log() (PL/pgSQL
// reading roomcast.* settings before any C function loaded the library)
{
	const f = await connect();
	await f.query('SET ROLE rc_events_notifier');
	let res = null;
	try { res = (await f.query('SELECT roomcast.maintain() AS m')).rows[0].m; } catch (err) { res = err.message; }
	ok(res && Array.isArray(res.created) && Array.isArray(res.dropped), 'maintain() as the first call of a notifier backend', res);
	await f.end();
	const g = await connect();
	await g.query('BEGIN');
	let rows = null;
	try {
		await asTenant(g);
		rows = (await g.query(`SELECT event FROM roomcast.read_log(0, ARRAY[$1], 5)`, [ROOM])).rows;
	} catch (err) { rows = err.message; }
	await g.query('COMMIT');
	ok(Array.isArray(rows) && rows.length === 5 && rows[0].event === 'order-b', 'read_log() pages the tenant log from pos 0', rows);
	await g.end();
}

// --- control messages
{
	await a.query(`SELECT roomcast.register_room_kind('ctl25')`);
	await a.query(`SELECT roomcast.notify_control('kick', jsonb_build_object('tenant', $1::text, 'user', $2::text, 'reason', 'test'))`, [T, U]);
	await until(() => got.filter((e) => e.c === 'kick').length);
	const kinds = got.filter((e) => e.c === 'kinds');
	const kick = got.filter((e) => e.c === 'kick');
	ok(kinds.length === 1 && kinds[0].tenant === '00000000-0000-0000-0000-000000000000', 'register_room_kind announces {"c":"kinds"}', kinds);
	ok(kick.length === 1 && kick[0].tenant === T && kick[0].user === U && kick[0].reason === 'test', 'notify_control sends {"c":"kick",...}', kick);
	await a.query(`SELECT roomcast.add_signing_key('ctl25', decode(repeat('25', 32), 'hex'))`);
	await until(() => got.filter((e) => e.c === 'keys').length);
	ok(got.filter((e) => e.c === 'keys').length === 1, 'add_signing_key announces {"c":"keys"}');
}

console.log(`1..${n}`);
await Promise.all([listener.end(), a.end(), b.end()]);
process.exit(failures ? 1 : 0);
