// test/lib/plancheck.mjs — assertions on plans logged by auto_explain.
//
//   node plancheck.mjs NOTICES LABEL [--tables a,b,…] [--uses INDEX]… [--min-plans N]
//
// NOTICES is psql's stderr from a session with auto_explain.log_format=json
// and log_level=notice (log_nested_statements on, so the statements inside
// functions are there too). Prints TAP lines: that no plan reads one of
// --tables (exact names, or a prefix ending in '*', e.g. audit_log_*) with
// a sequential scan, and, for each --uses, that some plan scans an index
// whose name contains INDEX. Exits 1 when a check fails.
import { readFileSync } from 'node:fs';

const [file, label, ...rest] = process.argv.slice(2);
let tables = [];
const uses = [];
let minPlans = 1;
for (let i = 0; i < rest.length; i += 2) {
	if (rest[i] === '--tables') tables = rest[i + 1].split(',');
	else if (rest[i] === '--uses') uses.push(rest[i + 1]);
	else if (rest[i] === '--min-plans') minPlans = Number(rest[i + 1]);
	else throw new Error(`unknown option ${rest[i]}`);
}

// Each notice: "NOTICE:  duration: … plan:" then a JSON object whose closing
// brace is alone at column 0.
const plans = [];
let buf = null;
for (const line of readFileSync(file, 'utf8').split('\n')) {
	if (buf === null) {
		if (/^NOTICE:\s+duration: .* plan:$/.test(line)) buf = [];
		continue;
	}
	buf.push(line);
	if (line === '}') {
		plans.push(JSON.parse(buf.join('\n')));
		buf = null;
	}
}

const isWatched = (rel) =>
	tables.some((t) => (t.endsWith('*') ? rel.startsWith(t.slice(0, -1)) : rel === t));
const seqScans = [];
const indexes = new Set();
const walk = (node, query) => {
	if (node['Node Type'] === 'Seq Scan' && isWatched(node['Relation Name']))
		seqScans.push(`${node['Relation Name']} in: ${query.replace(/\s+/g, ' ').slice(0, 120)}`);
	if (node['Index Name']) indexes.add(node['Index Name']);
	for (const child of node.Plans ?? []) walk(child, query);
};
for (const p of plans) walk(p.Plan, p['Query Text'] ?? '');

let failed = false;
const tap = (ok, desc, why) => {
	console.log(`${ok ? 'ok' : 'not ok'} - casework plan: ${label}: ${desc}`);
	if (!ok) {
		failed = true;
		if (why) console.error(`# ${label}: ${why}`);
	}
};
tap(plans.length >= minPlans, `auto_explain logged ${plans.length} plans (at least ${minPlans})`);
tap(seqScans.length === 0, `no sequential scan on ${tables.join(', ')}`, seqScans.join('\n# '));
for (const u of uses)
	tap([...indexes].some((n) => n.includes(u)), `scans index ${u}`,
		`indexes scanned: ${[...indexes].join(', ')}`);
process.exit(failed ? 1 : 0);
