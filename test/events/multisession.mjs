// Multi-session tests of room events (SPEC §3), run by test/suites/25-events.sh:
// commit order across sessions, rollback, large payloads, control messages.
// It reads the logs the way the notifier does: NOTIFY roomcast is only a hint
// (an empty payload); on each hint it reads roomcast.notifier_read after its
// cursors as the notifier role (coalesced: one read in flight). Prints TAP
// lines; exits non-zero if any test fails. Needs PG* env and the database in
// process.argv[2] with roomcast installed and tenant T/user U.
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
const reader = await connect();
await reader.query('SET ROLE rc_events_notifier');
const got = [];	// log rows in read order: events {p,t,r,n,e,d,ts}, control {c,...,id}
const hints = [];	// hint payloads
let cur = (await reader.query('SELECT pos, control_id FROM roomcast.notifier_anchor()')).rows[0];
cur = { pos: cur.pos, ctl: cur.control_id };
let reading = null;
let again = false;
// read what is new after the cursors, then again while hints came meanwhile
async function readLogs() {
	do {
		again = false;
		const r = await reader.query('SELECT * FROM roomcast.notifier_read($1, $2, 500)', [cur.pos, cur.ctl]);
		for (const row of r.rows) {
			if (row.room === null) {
				got.push({ ...JSON.parse(row.data), id: Number(row.pos) });
				cur.ctl = row.pos;
			} else {
				got.push({ p: Number(row.pos), t: row.tenant_id, r: row.room, n: row.nsp, e: row.event,
					d: JSON.parse(row.data), ts: Number(row.ts), bytes: Buffer.byteLength(row.data) });
				cur.pos = row.pos;
			}
		}
		if (r.rows.length >= 500) again = true;
	} while (again);
	reading = null;
}
listener.on('notification', (m) => {
	if (m.channel !== 'roomcast') return;
	hints.push(m.payload);
	if (reading) again = true;
	else reading = readLogs();
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
ok(nb >= 0 && na > nb, 'log read order follows commit order (B before A)', { na, nb });
ok(got[nb].p < got[na].p, 'pos follows commit order (pos B < pos A)', { pa: got[na]?.p, pb: got[nb]?.p });
{
	await a.query('BEGIN');
	await asTenant(a);
	const r = await a.query(`SELECT event, pos FROM roomcast.events WHERE event IN ('order-a', 'order-b') ORDER BY pos`);
	await a.query('COMMIT');
	ok(r.rows.map((x) => x.event).join() === 'order-b,order-a', 'the log orders B before A by pos', r.rows);
	ok(String(r.rows[0]?.pos) === String(got[nb].p), 'the reader got the logged pos');
	ok(hints.length > 0 && hints.every((h) => h === ''), 'every hint on channel roomcast is empty', hints.slice(0, 3));
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
ok(events('rolled-back').length === 0, 'a rolled-back transaction delivers nothing');
ok(events('sp-kept').length === 1 && events('sp-dropped').length === 0, 'a rolled-back savepoint delivers only the kept event');
{
	await a.query('BEGIN'); await asTenant(a);
	const r = await a.query(`SELECT count(*)::int AS n FROM roomcast.events WHERE event IN ('rolled-back', 'sp-dropped')`);
	await a.query('COMMIT');
	ok(r.rows[0].n === 0, 'nothing rolled back is in the log');
}

// --- a transaction without events sends nothing
await a.query('BEGIN'); await asTenant(a); await a.query('SELECT roomcast.unread_count()'); await a.query('COMMIT');

// --- 100 events in one transaction: one hint, consecutive pos, emit order
await sleep(100);
const hintsBefore = hints.length;
await a.query('BEGIN'); await asTenant(a);
await a.query(`SELECT roomcast.emit($1, 'batch', jsonb_build_object('i', i)) FROM generate_series(1, 100) i`, [ROOM]);
await a.query('COMMIT');
await until(() => events('batch').length === 100);
await sleep(100);
ok(hints.length - hintsBefore === 1, `100 events in one transaction: one hint (got ${hints.length - hintsBefore})`);
{
	const bs = events('batch');
	const consecutive = bs.every((e, i) => i === 0 || e.p === bs[i - 1].p + 1);
	const ordered = bs.every((e, i) => e.d.i === i + 1);
	ok(bs.length === 100 && consecutive && ordered, '100 events in one transaction: consecutive pos, emit order');
	ok(bs.every((e) => e.t === T && e.r === ROOM && e.n === '/' && typeof e.ts === 'number' && e.d.timestamp === e.ts),
		'the read carries tenant, room, namespace, commit time; data.timestamp = ts');
}

// --- a 20 KB event and one of 64 KiB: read back whole (no separate fetch)
{
	const big = 'x'.repeat(20 * 1024);
	await a.query('BEGIN'); await asTenant(a);
	await emit(a, 'big20k', { blob: big, n: 7 });
	await emit(a, 'big64k', { s: 'y'.repeat(65528 - 1 - 16) });
	await emit(a, 'after-big', {});
	await a.query('COMMIT');
	await until(() => events('after-big').length);
	const e = events('big20k')[0];
	ok(e && e.d.blob === big && e.d.n === 7 && e.d.timestamp === e.ts, 'a 20 KB event is read back whole with its pos');
	ok(events('big64k')[0]?.d.s.length === 65528 - 17 && events('after-big')[0]?.p === events('big64k')[0]?.p + 1,
		'a 64 KiB event too, and the next event follows it in pos order');
	const nt = await connect();
	await nt.query('SET ROLE rc_events_notifier');
	let denied = '';
	try { await nt.query('SELECT * FROM roomcast.events'); } catch (err) { denied = err.code; }
	ok(denied === 'RC401', 'the notifier role cannot read the log table without an identity', denied);
	denied = '';
	try { await nt.query('SELECT * FROM roomcast.control_log'); } catch (err) { denied = err.code; }
	ok(denied === '42501' || denied === 'RC401', 'the notifier role cannot read the control log table directly', denied);
	await nt.end();
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

// --- control messages: in the control log, read back after a hint
{
	await a.query(`SELECT roomcast.register_room_kind('ctl25')`);
	await a.query(`SELECT roomcast.notify_control('kick', jsonb_build_object('tenant', $1::text, 'user', $2::text, 'reason', 'test'))`, [T, U]);
	await until(() => got.filter((e) => e.c === 'kick').length);
	const kinds = got.filter((e) => e.c === 'kinds');
	const kick = got.filter((e) => e.c === 'kick');
	ok(kinds.length === 1 && kinds[0].tenant === '00000000-0000-0000-0000-000000000000', 'register_room_kind logs {"c":"kinds"}', kinds);
	ok(kick.length === 1 && kick[0].tenant === T && kick[0].user === U && kick[0].reason === 'test', 'notify_control logs {"c":"kick",...}', kick);
	ok(kinds[0].id < kick[0].id, 'control ids follow commit order');
	await a.query(`SELECT roomcast.add_signing_key('ctl25', decode(repeat('25', 32), 'hex'))`);
	await until(() => got.filter((e) => e.c === 'keys').length);
	ok(got.filter((e) => e.c === 'keys').length === 1, 'add_signing_key logs {"c":"keys"}');
	// forged messages on the channel reach nothing: the reader sees only the log
	const before = got.length;
	await b.query(`SELECT pg_notify('roomcast', '{"c":"kick","tenant":"${T}","user":"${U}"}')`);
	await b.query(`SELECT pg_notify('roomcast', '{"p":999999999,"t":"${T}","r":"${ROOM}","n":"/","e":"forged","d":{}}')`);
	await sleep(200);
	ok(got.length === before, 'forged NOTIFYs add nothing to what is read', got.slice(before));
}

console.log(`1..${n}`);
await Promise.all([listener.end(), reader.end(), a.end(), b.end()]);
process.exit(failures ? 1 : 0);
