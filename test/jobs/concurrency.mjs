// Multi-session tests of the job queue (SPEC §9), run by test/suites/27-jobs.sh:
//  - 8 concurrent claimers over 10,000 jobs (enqueued while they run, two tenants):
//    every job claimed exactly once, completed once, on its first attempt
//  - LISTEN roomcast_jobs wakes a waiting worker at commit, not before
//  - a forged NOTIFY on roomcast_jobs by an application role makes a worker claim
//    nothing (the notification is only a hint; jobs come from the table)
// Prints TAP lines and SECURITY lines; exits non-zero if any test fails.
// argv: database; env: PG* (superuser), the LOGIN roles rc_jobs_worker and rc_jobs_app.
import pg from 'pg';

const db = process.argv[2];
const TA = '27000000-0000-0000-0000-00000000000a';
const TB = '27000000-0000-0000-0000-00000000000b';
const UA = '27000000-0000-0000-0000-000000000001';
const JOBS = 10000;
const CLAIMERS = 8;
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

const connect = async (user) => {
	const c = new pg.Client({ database: db, user });
	await c.connect();
	return c;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- 8 claimers, 10,000 jobs
const admin = await connect();
const enqueuer = await connect('rc_jobs_app');
const workers = await Promise.all(Array.from({ length: CLAIMERS }, () => connect('rc_jobs_worker')));
const claimed = workers.map(() => []);
let enqueued = 0;
let stop = false;

// Enqueue in 20 transactions of 500 while the workers run; tenant A with a
// requester (events), tenant B as a service (no events)
const producer = (async () => {
	for (let b = 0; b < 20; b++) {
		const t = b % 2 ? TB : TA;
		await enqueuer.query('BEGIN');
		await enqueuer.query('SELECT roomcast.set_identity($1, $2)', [t, t === TA ? UA : null]);
		await enqueuer.query(
			`SELECT roomcast.enqueue('conc', jsonb_build_object('b', $1::int, 'i', i),
			        (ARRAY['low', 'normal', 'high', 'critical'])[1 + i % 4], '{"delay_ms": 0}')
			   FROM generate_series(1, 500) i`, [b]);
		await enqueuer.query('COMMIT');
		enqueued += 500;
	}
})();

const t0 = Date.now();
await Promise.all(workers.map(async (w, k) => {
	let idle = 0;
	while (!stop) {
		const r = await w.query("SELECT c->>'id' AS id, (c->>'attempt')::int AS attempt FROM roomcast.claim(ARRAY['conc'], 10) c");
		if (r.rows.length === 0) {
			if (enqueued === JOBS && ++idle > 3) break;
			await sleep(5);
			continue;
		}
		idle = 0;
		for (const row of r.rows) {
			claimed[k].push(row.id);
			await w.query("SELECT roomcast.complete($1, '{}')", [row.id]);
		}
	}
}));
await producer;
const secs = (Date.now() - t0) / 1000;
const all = claimed.flat();
const unique = new Set(all);
ok(all.length === JOBS && unique.size === JOBS,
	`${CLAIMERS} concurrent claimers over ${JOBS} jobs: every job claimed exactly once (${all.length} claims, ${unique.size} distinct, ${Math.round(JOBS / secs)} jobs/s)`,
	{ claims: all.length, distinct: unique.size });
ok(claimed.every((c) => c.length > 0), 'every claimer got jobs', claimed.map((c) => c.length));
const st = (await admin.query(
	`SELECT count(*)::int AS n, count(*) FILTER (WHERE status = 'completed' AND attempt = 1)::int AS once
	   FROM roomcast.jobs WHERE kind = 'conc'`)).rows[0];
ok(st.n === JOBS && st.once === JOBS, 'the table agrees: every job completed, on its first attempt', st);
const ev = (await admin.query(
	`SELECT event, count(*)::int AS n FROM roomcast.events
	  WHERE tenant_id = $1 AND data->>'kind' = 'conc'
	    AND event IN ('job:queued', 'job:started', 'job:completed') GROUP BY 1 ORDER BY 1`, [TA])).rows;
ok(ev.length === 3 && ev.every((e) => e.n === JOBS / 2),
	"tenant A's requester got job:queued, job:started and job:completed once per job; tenant B (service) none", ev);
const evB = (await admin.query("SELECT count(*)::int AS n FROM roomcast.events WHERE tenant_id = $1 AND event LIKE 'job:%'", [TB])).rows[0].n;
ok(evB === 0, 'jobs of a service identity emit no events', evB);

// ---- LISTEN roomcast_jobs: a wake-up at commit, carrying only the kind
const listener = workers[0];
const heard = [];
listener.on('notification', (m) => { if (m.channel === 'roomcast_jobs') heard.push(m.payload); });
await listener.query('LISTEN roomcast_jobs');
await enqueuer.query('BEGIN');
await enqueuer.query('SELECT roomcast.set_identity($1, $2)', [TA, UA]);
await enqueuer.query("SELECT roomcast.enqueue('wake', '{}'), roomcast.enqueue('wake', '{}')");
await sleep(200);
const before = heard.length;
await enqueuer.query('COMMIT');
const end = Date.now() + 3000;
while (heard.length === 0 && Date.now() < end) await sleep(10);
ok(before === 0 && heard.length === 1 && heard[0] === 'wake',
	'LISTEN roomcast_jobs: nothing before commit, one notification per kind and transaction at commit', heard);
const got = (await listener.query("SELECT count(*)::int AS n FROM roomcast.claim(ARRAY['wake'], 10)")).rows[0].n;
ok(got === 2, 'the woken worker claims both jobs from the table', got);

// ---- a forged NOTIFY is only a hint: the worker finds nothing to do
heard.length = 0;
await enqueuer.query("NOTIFY roomcast_jobs, 'wake'");
await enqueuer.query(`SELECT pg_notify('roomcast_jobs', '{"id":"00000000-0000-0000-0000-000000000001","tenant_id":"${TB}","kind":"wake","payload":{"run":"rm -rf /"}}')`);
const end2 = Date.now() + 3000;
while (heard.length < 2 && Date.now() < end2) await sleep(10);
const forged = (await listener.query("SELECT count(*)::int AS n FROM roomcast.claim(ARRAY['wake'], 10)")).rows[0].n;
const rows = (await admin.query("SELECT count(*)::int AS n FROM roomcast.jobs WHERE kind = 'wake'")).rows[0].n;
ok(heard.length === 2 && forged === 0 && rows === 2, 'forged NOTIFYs on roomcast_jobs wake the worker, which claims nothing; no job is created', { heard, forged, rows });
console.log('SECURITY|jobs/notify|forged NOTIFY roomcast_jobs with a fake job (id, tenant, payload)|worker wakes, claim() returns no job, no row created');

// ---- an application role cannot claim, complete or read the queue
const app = enqueuer;
const denied = async (q, p) => { try { await app.query(q, p); return 'ok'; } catch (e) { return e.code; } };
const c1 = await denied("SELECT roomcast.claim(ARRAY['conc'])");
const c2 = await denied("SELECT roomcast.complete('00000000-0000-0000-0000-000000000001', '{}')");
await app.query('BEGIN');
await app.query('SELECT roomcast.set_identity($1)', [TA]);
const c3 = await denied('SELECT count(*) FROM roomcast.jobs');
await app.query('ROLLBACK');
ok(c1 === '42501' && c2 === '42501' && c3 === '42501', 'an application role cannot claim, complete or read roomcast.jobs (42501)', [c1, c2, c3]);
console.log('SECURITY|jobs/roles|application role calls claim()/complete() and SELECTs roomcast.jobs|42501 for each; only roomcast_worker members claim');

await Promise.all([admin, enqueuer, ...workers].map((c) => c.end()));
process.exit(failures ? 1 : 0);
