// bench/loaders/bench.mjs — the casework case-list page (50 cases with
// creators, assignees and report counts) fetched three ways in one run:
//
//   n+1         one query for the page, then one per case and relation
//               (creator, assignee, report count), as naive ORM code does
//   load_many   the page, then roomcast.load_many for all creators and
//               assignees and roomcast.load_grouped for all reports: 3 queries
//   case_list   one casework.case_list(filter, page) call
//
// Every way runs as casework_app under tenant 1's identity, in a
// transaction opened with one round trip ("BEGIN; set_identity") and closed
// with COMMIT; those 2 round trips are counted too. Reports round trips per
// page, and wall time per page (median, p95) over ITERATIONS pages (pages
// 1..20 in turn) after a warm-up. Also checks that all three ways return
// the same 50 cases, creators, assignees and counts.
//
//   PG* environment as for psql; ITERATIONS (default 300), WARMUP (30).
import pg from 'pg';

const ITERATIONS = Number(process.env.ITERATIONS ?? 300);
const WARMUP = Number(process.env.WARMUP ?? 30);
const TENANT_SQL = "md5('tenant-1')::uuid";
const USER_SQL = "md5('user-1-3')::uuid";

class Counted {
	constructor(client) {
		this.client = client;
		this.trips = 0;
	}
	async query(text, values) {
		this.trips++;
		return this.client.query(text, values);
	}
}

// Open the transaction and set the identity in one round trip.
async function begin(db) {
	await db.query(`BEGIN; SELECT roomcast.set_identity(${TENANT_SQL}, ${USER_SQL}, 'member')`);
}

const pageSql = `SELECT id, number, title, status, created_at, created_by, assignee_id
                   FROM casework.cases ORDER BY created_at DESC, id DESC LIMIT 50 OFFSET $1`;
const person = (u) => (u ? { id: u.id, displayName: u.display_name, email: u.email } : null);

const ways = {
	async 'n+1'(db, page) {
		await begin(db);
		const { rows } = await db.query(pageSql, [(page - 1) * 50]);
		const out = [];
		for (const c of rows) {
			const creator = await db.query('SELECT id, display_name, email FROM roomcast.users WHERE id = $1', [c.created_by]);
			const assignee = c.assignee_id
				? await db.query('SELECT id, display_name, email FROM roomcast.users WHERE id = $1', [c.assignee_id])
				: { rows: [] };
			const reports = await db.query('SELECT count(*)::int AS n FROM casework.intake_reports WHERE case_id = $1', [c.id]);
			out.push({ id: c.id, creator: person(creator.rows[0]), assignee: person(assignee.rows[0]),
				reportCount: reports.rows[0].n });
		}
		await db.query('COMMIT');
		return out;
	},

	async load_many(db, page) {
		await begin(db);
		const { rows } = await db.query(pageSql, [(page - 1) * 50]);
		const userIds = [...new Set(rows.flatMap((c) => [c.created_by, c.assignee_id]).filter(Boolean))];
		const users = await db.query("SELECT u FROM roomcast.load_many('roomcast.users', 'id', $1::uuid[]) u", [userIds]);
		const byId = new Map(users.rows.map((r) => [r.u.id, r.u]));
		const reports = await db.query(
			"SELECT r FROM roomcast.load_grouped('casework.intake_reports', 'case_id', $1::uuid[]) r",
			[rows.map((c) => c.id)]);
		await db.query('COMMIT');
		return rows.map((c, i) => ({ id: c.id, creator: person(byId.get(c.created_by)),
			assignee: person(byId.get(c.assignee_id)), reportCount: reports.rows[i].r.length }));
	},

	async case_list(db, page) {
		await begin(db);
		const { rows } = await db.query('SELECT casework.case_list($1, $2) AS l', [{}, page]);
		await db.query('COMMIT');
		// (jsonb orders object keys; rebuild people in the same key order to compare)
		const again = (u) => (u ? { id: u.id, displayName: u.displayName, email: u.email } : null);
		return rows[0].l.cases.map((c) => ({ id: c.id, creator: again(c.creator), assignee: again(c.assignee),
			reportCount: c.reportCount }));
	},
};

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];

async function main() {
	const client = new pg.Client();
	await client.connect();
	await client.query('SET ROLE casework_app');
	const db = new Counted(client);

	// Same answer three ways (page 2).
	const answers = {};
	for (const [name, fn] of Object.entries(ways)) answers[name] = JSON.stringify(await fn(db, 2));
	const same = answers['n+1'] === answers.load_many && answers.load_many === answers.case_list;
	if (!same) {
		console.error('the three ways disagree on page 2');
		for (const [k, v] of Object.entries(answers)) console.error(k, v.slice(0, 400));
		process.exitCode = 1;
	}

	const results = [];
	for (const [name, fn] of Object.entries(ways)) {
		for (let i = 0; i < WARMUP; i++) await fn(db, 1 + (i % 20));
		const times = [];
		db.trips = 0;
		for (let i = 0; i < ITERATIONS; i++) {
			const t0 = process.hrtime.bigint();
			await fn(db, 1 + (i % 20));
			times.push(Number(process.hrtime.bigint() - t0) / 1e6);
		}
		times.sort((a, b) => a - b);
		const trips = db.trips / ITERATIONS;
		const median = pct(times, 0.5);
		results.push({ way: name, roundTripsPerPage: trips, medianMs: +median.toFixed(2),
			p95Ms: +pct(times, 0.95).toFixed(2), meanMs: +(times.reduce((a, b) => a + b, 0) / times.length).toFixed(2),
			// what the same page costs when each round trip adds 1 ms (app and database in different hosts/zones)
			projectedAt1msRttMs: +(median + trips).toFixed(1) });
	}
	await client.end();

	console.log(`casework case-list page, 50 cases, tenant 1 of ${process.env.BENCH_CASES ?? '?'} cases; ` +
		`${ITERATIONS} pages per way after ${WARMUP} warm-up; same answer from all three: ${same}`);
	console.log('way        round trips/page  median ms  p95 ms  mean ms  median + 1 ms per round trip');
	for (const r of results)
		console.log(`${r.way.padEnd(10)} ${String(r.roundTripsPerPage).padStart(16)}  ${String(r.medianMs).padStart(9)}  ` +
			`${String(r.p95Ms).padStart(6)}  ${String(r.meanMs).padStart(7)}  ${String(r.projectedAt1msRttMs).padStart(28)}`);
	console.log(JSON.stringify({ iterations: ITERATIONS, warmup: WARMUP, sameAnswer: same, results }));
}

main().catch((e) => {
	console.error(e);
	process.exit(1);
});
