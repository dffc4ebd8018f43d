/*
 * emitter.c — commits the events of the fan-out benchmark (bench/fanout/run)
 * and records when each COMMIT was sent and when it returned.
 *
 * Event n (1, 2, …) is one transaction in two round trips, so that the COMMIT
 * is timed on its own:
 *   emit:   BEGIN; set_identity(tenant); roomcast.emit(room, 'bench', {"n":n})   then COMMIT
 *   outbox: BEGIN; INSERT INTO bench_outbox … RETURNING …, pg_notify('bench_outbox', …)
 *           in the same statement                                            then COMMIT
 *           (the hand-written alternative)
 * The room of event n is line (n-1) mod R of the --rooms file, so with one
 * room per client each client i gets the events n ≡ i+1 (mod R).
 *
 * Modes:
 *   --events K --gap-ms G          K events, one every G ms, on one connection
 *   --rate R --seconds S           open loop: event n is due at start + (n-1)/R,
 *                                  sent on whichever of --conns connections is free
 *   --rate 0 --seconds S           as fast as the database takes them: each of
 *                                  --conns connections sends the next event as
 *                                  soon as its previous COMMIT returned
 *
 * Before the first event each connection commits event 0 (to the first room)
 * as a warm-up; it is not recorded and the report ignores it.
 *
 * Output: --out gets "n begin_ns commit_ns committed_ns" per event
 * (CLOCK_REALTIME: before BEGIN… was sent, before COMMIT was sent, after the
 * COMMIT's result was read). The notification leaves the database inside
 * that last interval, so a delivery is never earlier than commit_ns, and it
 * can be earlier than committed_ns. stdout gets one JSON summary. Bounded: at most
 * 2,000,000 events and 600 s; it connects only where --db says (the
 * benchmark's private cluster on 127.0.0.1).
 */
#include <getopt.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EM_MAX_CONNS 32
#define EM_MAX_EVENTS 2000000
#define EM_MAX_ROOMS 20000

typedef struct em_conn
{
	PGconn	   *pg;
	bool		busy;
	bool		committing;		/* the COMMIT is in flight */
	uint32_t	n;				/* event in flight */
} em_conn;

static const char *tenant;
static char **rooms;
static int	nrooms;
static bool outbox;
static int64_t *send_ns;
static int64_t *commit_ns;
static int64_t *done_ns;
static uint32_t failed;

static int64_t
realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The query text of event n (rooms and tenant are validated UUID-based names) */
static void
event_sql(uint32_t n, char *buf, size_t cap)
{
	const char *room = rooms[n == 0 ? 0 : (n - 1) % (uint32_t) nrooms];

	if (outbox)
		snprintf(buf, cap,
				 "BEGIN;"
				 "WITH o AS (INSERT INTO bench_outbox (room, event, data) VALUES ('%s', 'bench', '{\"n\":%u}')"
				 " RETURNING id, created_at)"
				 " SELECT pg_notify('bench_outbox', format('{\"p\":%%s,\"t\":\"%s\",\"r\":\"%s\",\"n\":\"/\","
				 "\"e\":\"bench\",\"ts\":%%s,\"d\":{\"n\":%u}}', id,"
				 " (extract(epoch FROM created_at) * 1000)::bigint)) FROM o",
				 room, n, tenant, room, n);
	else
		snprintf(buf, cap,
				 "BEGIN;SELECT roomcast.set_identity('%s');"
				 "SELECT roomcast.emit('%s', 'bench', '{\"n\":%u}')",
				 tenant, room, n);
}

static bool
send_event(em_conn *c, uint32_t n)
{
	char		sql[1024];

	event_sql(n, sql, sizeof(sql));
	send_ns[n] = realtime_ns();
	if (!PQsendQuery(c->pg, sql))
	{
		fprintf(stderr, "emitter: send: %s", PQerrorMessage(c->pg));
		return false;
	}
	c->busy = true;
	c->committing = false;
	c->n = n;
	return true;
}

/* Read what arrived on c; true when its transaction is complete */
static bool
collect(em_conn *c)
{
	PGresult   *r;

	if (!PQconsumeInput(c->pg))
	{
		fprintf(stderr, "emitter: %s", PQerrorMessage(c->pg));
		exit(1);
	}
	while (!PQisBusy(c->pg))
	{
		r = PQgetResult(c->pg);
		if (r == NULL && !c->committing)
		{
			/* the body is done: now the COMMIT, timed on its own */
			commit_ns[c->n] = realtime_ns();
			if (!PQsendQuery(c->pg, "COMMIT"))
			{
				fprintf(stderr, "emitter: COMMIT: %s", PQerrorMessage(c->pg));
				exit(1);
			}
			c->committing = true;
			continue;
		}
		if (r == NULL)
		{
			done_ns[c->n] = realtime_ns();
			c->busy = false;
			return true;
		}
		if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		{
			if (failed++ < 3)
				fprintf(stderr, "emitter: event %u: %s", c->n, PQresultErrorMessage(r));
		}
		PQclear(r);
	}
	return false;
}

/* Wait up to timeout_ns for any busy connection to finish a transaction */
static void
wait_some(em_conn *cs, int nc, int64_t timeout_ns)
{
	struct pollfd pfd[EM_MAX_CONNS];
	struct timespec ts;
	int			k = 0;

	for (int i = 0; i < nc; i++)
		if (cs[i].busy)
		{
			pfd[k].fd = PQsocket(cs[i].pg);
			pfd[k].events = POLLIN;
			k++;
		}
	if (timeout_ns < 0)
		timeout_ns = 0;
	ts.tv_sec = timeout_ns / 1000000000;
	ts.tv_nsec = timeout_ns % 1000000000;
	if (ppoll(pfd, (nfds_t) k, &ts, NULL) <= 0)
		return;
	k = 0;
	for (int i = 0; i < nc; i++)
		if (cs[i].busy)
		{
			if (pfd[k].revents)
				collect(&cs[i]);
			k++;
		}
}

static int
load_rooms(const char *path)
{
	FILE	   *f = fopen(path, "r");
	char		line[512];

	if (f == NULL)
	{
		perror(path);
		return -1;
	}
	rooms = calloc(EM_MAX_ROOMS, sizeof(*rooms));
	while (rooms && nrooms < EM_MAX_ROOMS && fgets(line, sizeof(line), f))
	{
		line[strcspn(line, "\r\n")] = '\0';
		/* room names of this benchmark: tenant:<uuid>[:user:<uuid>] */
		if (line[0] == '\0' || strspn(line, "abcdefghijklmnopqrstuvwxyz0123456789:-") != strlen(line))
		{
			fprintf(stderr, "emitter: %s line %d is not a room name of this benchmark: %.80s\n",
					path, nrooms + 1, line);
			fclose(f);
			return -1;
		}
		rooms[nrooms++] = strdup(line);
	}
	fclose(f);
	return nrooms > 0 ? 0 : -1;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t		x = *(const int64_t *) a,
				y = *(const int64_t *) b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	static struct option longopts[] = {
		{"db", required_argument, NULL, 'd'},
		{"tenant", required_argument, NULL, 't'},
		{"rooms", required_argument, NULL, 'r'},
		{"kind", required_argument, NULL, 'k'},
		{"events", required_argument, NULL, 'e'},
		{"gap-ms", required_argument, NULL, 'g'},
		{"rate", required_argument, NULL, 'R'},
		{"seconds", required_argument, NULL, 's'},
		{"conns", required_argument, NULL, 'c'},
		{"out", required_argument, NULL, 'o'},
		{NULL, 0, NULL, 0}
	};
	const char *db = "",
			   *rooms_path = NULL,
			   *out_path = NULL;
	int			events = 0,
				nc = 4,
				opt;
	double		gap_ms = 1000,
				rate = -1,
				seconds = 0;
	em_conn		cs[EM_MAX_CONNS];
	uint32_t	next = 1,
				done = 0,
				last;
	int64_t		t0,
				t_end,
				elapsed;
	FILE	   *out;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1)
		switch (opt)
		{
			case 'd':
				db = optarg;
				break;
			case 't':
				tenant = optarg;
				break;
			case 'r':
				rooms_path = optarg;
				break;
			case 'k':
				outbox = strcmp(optarg, "outbox") == 0;
				break;
			case 'e':
				events = atoi(optarg);
				break;
			case 'g':
				gap_ms = atof(optarg);
				break;
			case 'R':
				rate = atof(optarg);
				break;
			case 's':
				seconds = atof(optarg);
				break;
			case 'c':
				nc = atoi(optarg);
				break;
			case 'o':
				out_path = optarg;
				break;
			default:
				return 2;
		}
	if (tenant == NULL || strspn(tenant, "0123456789abcdef-") != strlen(tenant) || strlen(tenant) != 36 ||
		rooms_path == NULL || out_path == NULL || load_rooms(rooms_path) != 0 ||
		(events > 0 ? (events > 10000 || gap_ms < 0 || gap_ms > 60000)
		 : (rate < 0 || rate > 1e6 || seconds <= 0 || seconds > 600 || nc < 1 || nc > EM_MAX_CONNS)))
	{
		fprintf(stderr, "usage: emitter --db CONNINFO --tenant UUID --rooms FILE --out FILE [--kind emit|outbox]\n"
				"         (--events K --gap-ms G | --rate R --seconds S [--conns C])\n");
		return 2;
	}
	if (events > 0)
		nc = 1;
	last = events > 0 ? (uint32_t) events
		: (uint32_t) (rate > 0 ? rate * seconds : EM_MAX_EVENTS);
	if (last > EM_MAX_EVENTS)
		last = EM_MAX_EVENTS;
	send_ns = calloc((size_t) last + 1, sizeof(int64_t));
	commit_ns = calloc((size_t) last + 1, sizeof(int64_t));
	done_ns = calloc((size_t) last + 1, sizeof(int64_t));
	if (send_ns == NULL || commit_ns == NULL || done_ns == NULL)
		return 1;
	for (int i = 0; i < nc; i++)
	{
		cs[i].pg = PQconnectdb(db);
		cs[i].busy = false;
		if (PQstatus(cs[i].pg) != CONNECTION_OK)
		{
			fprintf(stderr, "emitter: connect: %s", PQerrorMessage(cs[i].pg));
			return 1;
		}
	}

	/*
	 * Warm-up: event 0 on each connection (to the first room), not recorded.
	 * The first NOTIFY a fresh listener backend handles, and the first emit of
	 * a session, are tens of ms slower than the rest; the clients ignore n=0.
	 */
	for (int i = 0; i < nc; i++)
	{
		if (!send_event(&cs[i], 0))
			return 1;
		while (cs[i].busy)
			wait_some(&cs[i], 1, 1000000000);
	}
	{
		struct timespec ts = {0, 300000000};

		nanosleep(&ts, NULL);
	}

	t0 = mono_ns();
	t_end = t0 + (int64_t) (seconds * 1e9);
	if (events > 0)
	{
		/* fan-out: one event at a time, on a fixed schedule */
		for (uint32_t n = 1; n <= last; n++)
		{
			int64_t		due = t0 + (int64_t) ((n - 1) * gap_ms * 1e6);

			while (mono_ns() < due)
			{
				struct timespec ts = {0, 0};
				int64_t		w = due - mono_ns();

				ts.tv_sec = w / 1000000000;
				ts.tv_nsec = w % 1000000000;
				if (w > 0)
					nanosleep(&ts, NULL);
			}
			if (!send_event(&cs[0], n))
				return 1;
			while (cs[0].busy)
				wait_some(cs, 1, 1000000000);
			done++;
		}
	}
	else
	{
		/* stream: keep every connection busy with events that are due */
		for (;;)
		{
			int64_t		now = mono_ns();
			int64_t		due = rate > 0 ? t0 + (int64_t) ((double) (next - 1) * 1e9 / rate) : now;
			bool		busy = false;

			if (next <= last && now < t_end)
			{
				for (int i = 0; i < nc && next <= last && due <= now; i++)
					if (!cs[i].busy)
					{
						if (!send_event(&cs[i], next))
							return 1;
						next++;
						due = rate > 0 ? t0 + (int64_t) ((double) (next - 1) * 1e9 / rate) : now;
					}
			}
			bool		more = next <= last && mono_ns() < t_end;
			bool		idle = false;

			for (int i = 0; i < nc; i++)
			{
				busy |= cs[i].busy;
				idle |= !cs[i].busy;
			}
			if (!busy && !more)
				break;
			/* all busy: wait for a COMMIT; else for it or the next due time */
			if (busy)
				wait_some(cs, nc, more && idle ? due - mono_ns() : 1000000000);
			else if (due > now)
			{
				struct timespec ts = {0, (long) (due - now < 999999999 ? due - now : 999999999)};

				nanosleep(&ts, NULL);
			}
		}
		done = next - 1;
	}
	elapsed = mono_ns() - t0;

	out = fopen(out_path, "w");
	if (out == NULL)
	{
		perror(out_path);
		return 1;
	}
	{
		int64_t    *txn_us = malloc(sizeof(int64_t) * (done + 1));
		int64_t    *commit_us = malloc(sizeof(int64_t) * (done + 1));
		size_t		k = 0;

		for (uint32_t n = 1; n <= done; n++)
		{
			fprintf(out, "%u %lld %lld %lld\n", n, (long long) send_ns[n], (long long) commit_ns[n],
					(long long) done_ns[n]);
			if (txn_us && commit_us && done_ns[n])
			{
				txn_us[k] = (done_ns[n] - send_ns[n]) / 1000;
				commit_us[k++] = (done_ns[n] - commit_ns[n]) / 1000;
			}
		}
		fclose(out);
		if (k)
		{
			qsort(txn_us, k, sizeof(*txn_us), cmp_i64);
			qsort(commit_us, k, sizeof(*commit_us), cmp_i64);
		}
		printf("{\"kind\":\"%s\",\"events\":%u,\"failed\":%u,\"seconds\":%.3f,\"rate\":%.1f,\"conns\":%d,"
			   "\"txn_us_p50\":%lld,\"txn_us_p99\":%lld,\"commit_us_p50\":%lld,\"commit_us_p99\":%lld}\n",
			   outbox ? "outbox" : "emit", done, failed, (double) elapsed / 1e9,
			   done / ((double) elapsed / 1e9), nc,
			   (long long) (k ? txn_us[k / 2] : 0), (long long) (k ? txn_us[(size_t) ((double) k * 0.99)] : 0),
			   (long long) (k ? commit_us[k / 2] : 0),
			   (long long) (k ? commit_us[(size_t) ((double) k * 0.99)] : 0));
	}
	for (int i = 0; i < nc; i++)
		PQfinish(cs[i].pg);
	return failed ? 1 : 0;
}
