// test/loaders/sessions.mjs — loader plans across sessions: DDL committed by
// another session is seen by the next load_many, between transactions and
// inside an open one, and the plan is prepared again only then.
// Prints TAP lines; run by test/suites/36-loaders-sessions.sh with PG* set.
import pg from 'pg';

const a = new pg.Client();
const b = new pg.Client();
let failed = 0;
const tap = (ok, desc, detail) => {
	console.log(`${ok ? 'ok' : 'not ok'} - loaders across sessions: ${desc}`);
	if (!ok) {
		failed++;
		console.error(`# ${desc}: ${detail}`);
	}
};
// The relation goes by OID, as an application holding a regclass would pass
// it: no name lookup that would process invalidations on the way.
let relid;
const load = async (col, keys) =>
	(await a.query(`SELECT r FROM roomcast.load_many($3::oid::regclass, $1, $2::int[]) r`,
		[col, keys, relid])).rows.map((x) => x.r);
const plan = async () =>
	(await a.query(`SELECT prepares::int, calls::int FROM roomcast.loader_plans()
	                 WHERE rel = 'ls_t.items'::regclass AND kind = 'many'`)).rows;

try {
	await a.connect();
	await b.connect();
	await b.query('DROP SCHEMA IF EXISTS ls_t CASCADE');
	await b.query('CREATE SCHEMA ls_t');
	await b.query("CREATE TABLE ls_t.items (id int PRIMARY KEY, name text)");
	await b.query("INSERT INTO ls_t.items VALUES (1, 'one'), (2, 'two')");
	relid = (await b.query("SELECT 'ls_t.items'::regclass::oid AS o")).rows[0].o;

	let rows = await load('id', [2, 1]);
	tap(JSON.stringify(rows) === '[{"id":2,"name":"two"},{"id":1,"name":"one"}]', 'first call', JSON.stringify(rows));
	rows = await load('id', [1]);
	let p = await plan();
	tap(p.length === 1 && p[0].prepares === 1 && p[0].calls === 2, 'second call reuses the plan', JSON.stringify(p));

	await b.query("ALTER TABLE ls_t.items ADD COLUMN colour text DEFAULT 'red'");
	rows = await load('id', [1]);
	tap(rows[0]?.colour === 'red', 'a column added by another session shows in the next call', JSON.stringify(rows));
	p = await plan();
	tap(p[0]?.prepares === 2, 'that DDL made the plan be prepared again', JSON.stringify(p));

	await b.query('ALTER TABLE ls_t.items RENAME COLUMN name TO title');
	rows = await load('id', [2]);
	tap(rows[0]?.title === 'two' && !('name' in rows[0]), 'a column renamed by another session is renamed in the result', JSON.stringify(rows));

	// Inside a transaction that began before the DDL was committed.
	await a.query('BEGIN');
	await a.query('SELECT 1');
	await b.query('ALTER TABLE ls_t.items RENAME COLUMN id TO item_id');
	try {
		rows = await load('item_id', [1]);
		tap(rows[0]?.item_id === 1, 'a key column renamed by another session mid-transaction is found by its new name', JSON.stringify(rows));
	} catch (e) {
		tap(false, 'a key column renamed by another session mid-transaction is found by its new name', e.message);
	}
	await a.query('ROLLBACK');
	try {
		await load('id', [1]);
		tap(false, 'the old key column name is refused', 'no error');
	} catch (e) {
		tap(e.code === '42703', 'the old key column name is refused (42703)', `${e.code} ${e.message}`);
	}

	await b.query('DROP TABLE ls_t.items');
	await b.query('CREATE TABLE ls_t.items (item_id bigint PRIMARY KEY, label text)');
	await b.query("INSERT INTO ls_t.items VALUES (1, 'new')");
	relid = (await b.query("SELECT 'ls_t.items'::regclass::oid AS o")).rows[0].o;
	rows = await load('item_id', [1]);
	tap(rows[0]?.label === 'new', 'a table dropped and created again under the same name is read afresh', JSON.stringify(rows));
	await b.query('DROP SCHEMA ls_t CASCADE');
} catch (e) {
	tap(false, 'the run completes', e.stack);
} finally {
	await a.end().catch(() => {});
	await b.end().catch(() => {});
}
process.exit(failed ? 1 : 0);
