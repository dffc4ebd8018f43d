/*
 * opts.c — settings from defaults, environment, config file and command line
 * (see opts.h). Every option of SPEC §7 is here, with its default, so that
 * --help and docs/notifier.md can list them all. An option SPEC names but no
 * code implements yet is in opt_not_yet: --help says so, and setting it
 * prints a warning at start, so that no setting is silently ignored. test/lib/opts-readers.sh checks
 * that every other option has a reader.
 */
#include "base/opts.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef enum opt_kind
{
	OPT_STR,
	OPT_DBLIST,					/* repeatable; the first value also goes to db */
	OPT_UINT,
	OPT_FLAG,
	OPT_LISTEN,
	OPT_LOGLEVEL,
	OPT_LOGFORMAT
} opt_kind;

typedef struct opt_def
{
	const char *name;			/* long option, also ROOMCAST_<NAME> */
	const char *arg;			/* metavariable for --help, NULL for flags */
	const char *def;			/* default as text, NULL for none */
	opt_kind	kind;
	size_t		offset;			/* field in notifier_opts */
	uint32_t	max;			/* OPT_UINT: largest accepted value */
	bool		reloadable;		/* re-read from --config on SIGHUP */
	const char *help;
} opt_def;

#define F(field) offsetof(notifier_opts, field)

static const opt_def opt_defs[] = {
	{"listen", "HOST:PORT", "127.0.0.1:3001", OPT_LISTEN, 0, 0, false, "HTTP + WebSocket address"},
	{"db", "CONNINFO", NULL, OPT_DBLIST, F(db), 0, false,
	"database (libpq conninfo; default: libpq PG* defaults); repeat it for each shard of a PL/Proxy setup "
	"(one listener each; needs --rpc-db)"},
	{"rpc-db", "CONNINFO", NULL, OPT_STR, F(rpc_db), 0, false,
	"database of the rpc pool (client requests, recovery): pgbouncer in transaction mode, or the PL/Proxy "
	"proxy with several --db (default: the only --db)"},
	{"redis", "URL", NULL, OPT_STR, F(redis), 0, false,
	"presence store, redis://host:port (without it presence is kept in memory, one instance)"},
	{"presence-ttl", "S", "300", OPT_UINT, F(presence_ttl), 86400, false,
	"Redis presence entries expire this long after their last refresh (refreshed every S/3)"},
	{"cors-origin", "LIST", NULL, OPT_STR, F(cors_origin), 0, true,
	"allowed browser origins, comma-separated, or * (default: same origin only)"},
	{"namespaces", "LIST", "/,/notifications", OPT_STR, F(namespaces), 0, false, "accepted Socket.IO namespaces"},
	{"ping-interval", "MS", "25000", OPT_UINT, F(ping_interval), 3600000, false, "Engine.IO ping interval"},
	{"ping-timeout", "MS", "20000", OPT_UINT, F(ping_timeout), 3600000, false, "Engine.IO pong timeout"},
	{"connect-timeout", "MS", "45000", OPT_UINT, F(connect_timeout), 3600000, false,
	"time allowed for the first Socket.IO CONNECT"},
	{"max-payload", "BYTES", "1000000", OPT_UINT, F(max_payload), 100000000, false,
	"largest message (WebSocket) or POST body (polling) accepted"},
	{"max-buffered", "BYTES", "1048576", OPT_UINT, F(max_buffered), 1000000000, false,
	"unsent bytes per connection (any output, counted with allocation overhead): over it reading "
	"pauses, and a socket that cannot take an event is closed as a slow consumer"},
	{"http-idle-timeout", "MS", "30000", OPT_UINT, F(http_idle_timeout), 3600000, false,
	"close HTTP connections idle (or sending an incomplete request) this long"},
	{"max-conns", "N", "10000", OPT_UINT, F(max_conns), 10000000, false,
	"open TCP connections; more are refused at accept (HTTP 503, then close)"},
	{"max-sessions", "N", "10000", OPT_UINT, F(max_sessions), 10000000, false,
	"Engine.IO sessions (polling and websocket); more handshakes get HTTP 503"},
	{"grace", "S", "300", OPT_UINT, F(grace), 86400, false, "how long a socket with an expired token may wait for auth:refresh"},
	{"refresh-warning", "S", "60", OPT_UINT, F(refresh_warning), 86400, false, "send auth:refresh-needed this long before expiry"},
	{"max-conns-per-user", "N", "16", OPT_UINT, F(max_conns_per_user), 1000000, false, "further CONNECTs get TOO_MANY_CONNECTIONS"},
	{"rate", "N", "20", OPT_UINT, F(rate), 1000000, false, "client events per second per socket (burst 2N; 0: no limit)"},
	{"rpc-pool", "N", "4", OPT_UINT, F(rpc_pool), 64, false,
	"database connections for client requests, served to tenants in turn (1 to 64)"},
	{"rpc-queue", "N", "10000", OPT_UINT, F(rpc_queue), 10000000, false,
	"client requests waiting overall; one tenant may have a tenth of them (at least 16)"},
	{"recovery-window", "S", "120", OPT_UINT, F(recovery_window), 86400 * 7, false, "how far back a reconnecting client may recover"},
	{"static", "DIR", NULL, OPT_STR, F(static_dir), 0, false, "serve static files from DIR (demo page)"},
	{"log-level", "LEVEL", "info", OPT_LOGLEVEL, 0, 0, true, "debug, info, warn or error"},
	{"log-format", "FORMAT", "text", OPT_LOGFORMAT, 0, 0, true, "text or json (logs go to stderr)"},
	{"tls-cert", "FILE", NULL, OPT_STR, F(tls_cert), 0, false,
	"serve https/wss with this certificate chain (PEM; with --tls-key; re-read on SIGHUP; docs/tls.md)"},
	{"tls-key", "FILE", NULL, OPT_STR, F(tls_key), 0, false, "private key (PEM) of --tls-cert; re-read on SIGHUP"},
	{"config", "FILE", NULL, OPT_STR, F(config), 0, false,
	"file of ROOMCAST_<OPTION>=value lines, read at start; SIGHUP re-reads log level/format and CORS"},
	{"conformance", NULL, NULL, OPT_FLAG, F(conformance), 0, false,
	"behave like the reference servers of the official Socket.IO and Engine.IO test suites"},
};

#define N_OPTS (sizeof(opt_defs) / sizeof(opt_defs[0]))

/* Options of SPEC §7 that no code implements yet, and what happens instead */
static const struct
{
	const char *name;
	const char *instead;
}			opt_not_yet[] = {
	{NULL, NULL},				/* none today */
};

/* What happens instead of option name, when it is not implemented yet; else NULL */
static const char *
opt_not_yet_instead(const char *name)
{
	for (size_t i = 0; i < sizeof(opt_not_yet) / sizeof(opt_not_yet[0]); i++)
		if (opt_not_yet[i].name && strcmp(opt_not_yet[i].name, name) == 0)
			return opt_not_yet[i].instead;
	return NULL;
}

static bool opt_seen[N_OPTS];	/* set by the environment, --config or the command line */
static const char *opt_db_source;	/* where the --db values so far came from */

/* Environment variable name for an option: ROOMCAST_PING_INTERVAL */
static void
env_name(const char *opt, char *out, size_t outlen)
{
	size_t		o = (size_t) snprintf(out, outlen, "ROOMCAST_");

	for (; *opt && o + 1 < outlen; opt++)
		out[o++] = *opt == '-' ? '_' : (char) toupper((unsigned char) *opt);
	out[o] = '\0';
}

/* Set one option from text; returns 0 or -1 after printing why */
static int
opt_set(notifier_opts *o, const opt_def *d, const char *value, const char *source)
{
	char	   *end;
	unsigned long v;

	if (strcmp(source, "default") != 0)
		opt_seen[d - opt_defs] = true;
	switch (d->kind)
	{
		case OPT_STR:
			{
				char	  **field = (char **) ((char *) o + d->offset);

				free(*field);
				*field = strdup(value);
				return 0;
			}
		case OPT_DBLIST:
			/* values of one source add up; a later source (the command line) replaces them */
			if (opt_db_source == NULL || strcmp(opt_db_source, source) != 0)
			{
				for (uint32_t i = 0; i < o->ndb; i++)
					free(o->dbs[i]);
				o->ndb = 0;
				opt_db_source = source;
			}
			if (o->ndb >= OPTS_MAX_DB)
			{
				fprintf(stderr, "roomcast-notifier: more than %d --db\n", OPTS_MAX_DB);
				return -1;
			}
			o->dbs[o->ndb++] = strdup(value);
			free(o->db);
			o->db = strdup(o->dbs[0]);
			return 0;
		case OPT_FLAG:
			*(bool *) ((char *) o + d->offset) =
				value == NULL || strcmp(value, "1") == 0 || strcmp(value, "true") == 0 || strcmp(value, "on") == 0;
			return 0;
		case OPT_UINT:
			errno = 0;
			v = strtoul(value, &end, 10);
			if (errno || end == value || *end || value[0] == '-' || v > d->max)
			{
				fprintf(stderr, "roomcast-notifier: invalid %s %s \"%s\" (an integer from 0 to %u)\n",
						source, d->name, value, d->max);
				return -1;
			}
			*(uint32_t *) ((char *) o + d->offset) = (uint32_t) v;
			return 0;
		case OPT_LISTEN:
			{
				const char *colon = strrchr(value, ':');

				errno = 0;
				v = colon ? strtoul(colon + 1, &end, 10) : 0;
				if (!colon || colon == value || errno || end == colon + 1 || *end || v == 0 || v > 65535)
				{
					fprintf(stderr, "roomcast-notifier: invalid %s listen \"%s\" (expected HOST:PORT)\n", source, value);
					return -1;
				}
				free(o->listen_host);
				o->listen_host = strndup(value, (size_t) (colon - value));
				o->listen_port = (int) v;
				return 0;
			}
		case OPT_LOGLEVEL:
			if (strcmp(value, "debug") == 0)
				o->log_level = LOG_DEBUG;
			else if (strcmp(value, "info") == 0)
				o->log_level = LOG_INFO;
			else if (strcmp(value, "warn") == 0 || strcmp(value, "warning") == 0)
				o->log_level = LOG_WARN;
			else if (strcmp(value, "error") == 0)
				o->log_level = LOG_ERROR;
			else
			{
				fprintf(stderr, "roomcast-notifier: invalid %s log-level \"%s\" (debug, info, warn, error)\n", source, value);
				return -1;
			}
			return 0;
		case OPT_LOGFORMAT:
			if (strcmp(value, "text") != 0 && strcmp(value, "json") != 0)
			{
				fprintf(stderr, "roomcast-notifier: invalid %s log-format \"%s\" (text or json)\n", source, value);
				return -1;
			}
			o->log_json = strcmp(value, "json") == 0;
			return 0;
	}
	return -1;
}

/* Apply ROOMCAST_* lines of the config file; only reloadable ones if reload */
static int
config_apply(notifier_opts *o, const char *path, bool reload, const bool *given, char *err, size_t errlen)
{
	FILE	   *f = fopen(path, "r");
	char		line[4096];
	int			lineno = 0;

	if (f == NULL)
	{
		snprintf(err, errlen, "cannot open config file \"%s\": %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f))
	{
		char	   *eq;
		char	   *val;
		size_t		len = strlen(line);
		bool		found = false;

		lineno++;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' '))
			line[--len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		eq = strchr(line, '=');
		if (eq == NULL)
		{
			snprintf(err, errlen, "%s:%d: expected ROOMCAST_<OPTION>=value", path, lineno);
			fclose(f);
			return -1;
		}
		*eq = '\0';
		val = eq + 1;
		for (size_t i = 0; i < N_OPTS; i++)
		{
			char		name[64];

			env_name(opt_defs[i].name, name, sizeof(name));
			if (strcmp(name, line) != 0)
				continue;
			found = true;
			if ((reload && !opt_defs[i].reloadable) || given[i])
				break;
			if (opt_set(o, &opt_defs[i], val, "config") < 0)
			{
				snprintf(err, errlen, "%s:%d: invalid value for %s", path, lineno, line);
				fclose(f);
				return -1;
			}
			break;
		}
		if (!found)
		{
			snprintf(err, errlen, "%s:%d: unknown setting %s", path, lineno, line);
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

static bool opt_given[N_OPTS];	/* set on the command line: wins over reloads */

void
opts_usage(FILE *f)
{
	fprintf(f,
			"Usage: roomcast-notifier [options]\n"
			"Socket.IO v4 server for roomcast. Every option can also be set in the\n"
			"environment as ROOMCAST_<OPTION> (e.g. ROOMCAST_LISTEN=0.0.0.0:3001);\n"
			"the command line wins over --config, which wins over the environment.\n\n");
	for (size_t i = 0; i < N_OPTS; i++)
	{
		const opt_def *d = &opt_defs[i];
		const char *instead = opt_not_yet_instead(d->name);
		char		left[64];
		char		env[64];

		snprintf(left, sizeof(left), "--%s%s%s", d->name, d->arg ? " " : "", d->arg ? d->arg : "");
		env_name(d->name, env, sizeof(env));
		fprintf(f, "  %-28s %s\n", left, d->help);
		if (instead)
			fprintf(f, "  %-28s not implemented yet: %s\n", "", instead);
		fprintf(f, "  %-28s default: %s; env %s\n", "",
				d->def ? d->def : (d->kind == OPT_FLAG ? "off" : "none"), env);
	}
	fprintf(f, "  %-28s %s\n  %-28s %s\n\n", "--help", "show this help and exit", "--version", "show the version and exit");
	fprintf(f, "Signals: SIGTERM/SIGINT drain and exit within 5 s; SIGHUP re-reads --config\n"
			"(log level, log format, CORS origins) and the --tls-cert/--tls-key files.\n"
			"Endpoints: /socket.io/ (Engine.IO v4, Socket.IO v5), /healthz, /metrics;\n"
			"with --conformance also /engine.io/ (Engine.IO echo).\n");
}

int
opts_parse(notifier_opts *o, int argc, char **argv)
{
	struct option longopts[N_OPTS + 3];
	const char *config = NULL;
	char		err[512];

	memset(o, 0, sizeof(*o));
	memset(opt_given, 0, sizeof(opt_given));
	memset(opt_seen, 0, sizeof(opt_seen));
	opt_db_source = NULL;
	for (size_t i = 0; i < N_OPTS; i++)
	{
		longopts[i] = (struct option) {opt_defs[i].name, opt_defs[i].arg ? required_argument : no_argument, NULL, (int) (1000 + i)};
		if (opt_defs[i].def && opt_set(o, &opt_defs[i], opt_defs[i].def, "default") < 0)
			return -1;
	}
	longopts[N_OPTS] = (struct option) {"help", no_argument, NULL, 'h'};
	longopts[N_OPTS + 1] = (struct option) {"version", no_argument, NULL, 'V'};
	longopts[N_OPTS + 2] = (struct option) {NULL, 0, NULL, 0};

	/* the environment */
	for (size_t i = 0; i < N_OPTS; i++)
	{
		char		name[64];
		const char *v;

		env_name(opt_defs[i].name, name, sizeof(name));
		v = getenv(name);
		if (v && opt_set(o, &opt_defs[i], v, "environment") < 0)
			return -1;
	}

	/* find --config first, so that the command line can override the file */
	for (int i = 1; i < argc; i++)
	{
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			config = argv[i + 1];
		else if (strncmp(argv[i], "--config=", 9) == 0)
			config = argv[i] + 9;
	}
	if (config)
	{
		free(o->config);
		o->config = strdup(config);
	}
	if (o->config && config_apply(o, o->config, false, opt_given, err, sizeof(err)) < 0)
	{
		fprintf(stderr, "roomcast-notifier: %s\n", err);
		return -1;
	}

	optind = 1;
	for (;;)
	{
		int			c = getopt_long(argc, argv, "hV", longopts, NULL);

		if (c == -1)
			break;
		if (c == 'h')
		{
			opts_usage(stdout);
			return 1;
		}
		if (c == 'V')
		{
			printf("roomcast-notifier 0.1.0\n");
			return 1;
		}
		if (c < 1000 || c >= 1000 + (int) N_OPTS)
		{
			fprintf(stderr, "Try 'roomcast-notifier --help' for the options.\n");
			return -1;
		}
		opt_given[c - 1000] = true;
		if (opt_set(o, &opt_defs[c - 1000], optarg, "option") < 0)
			return -1;
	}
	if (optind < argc)
	{
		fprintf(stderr, "roomcast-notifier: unexpected argument \"%s\"\n", argv[optind]);
		return -1;
	}
	if (o->ping_interval == 0 || o->ping_timeout == 0)
	{
		fprintf(stderr, "roomcast-notifier: --ping-interval and --ping-timeout must be positive\n");
		return -1;
	}
	if (o->rpc_pool == 0 || o->rpc_queue == 0)
	{
		fprintf(stderr, "roomcast-notifier: --rpc-pool and --rpc-queue must be positive\n");
		return -1;
	}
	if (o->ndb > 1 && o->rpc_db == NULL)
	{
		fprintf(stderr, "roomcast-notifier: with several --db, --rpc-db must name the database that routes "
				"requests by tenant (the PL/Proxy proxy)\n");
		return -1;
	}
	if (o->conformance && o->cors_origin == NULL)
		o->cors_origin = strdup("*");	/* the reference servers use cors: {origin: "*"} */
	/* a setting that does nothing yet is said, not silently dropped */
	for (size_t i = 0; i < N_OPTS; i++)
		if (opt_seen[i] && opt_not_yet_instead(opt_defs[i].name))
			fprintf(stderr, "roomcast-notifier: warning: --%s is not implemented yet, its value is ignored: %s\n",
					opt_defs[i].name, opt_not_yet_instead(opt_defs[i].name));
	return 0;
}

int
opts_reload(notifier_opts *o, char *err, size_t errlen)
{
	notifier_opts copy = *o;

	if (o->config == NULL)
		return 0;
	/* strings in copy are shared with o; only cors_origin may be replaced */
	copy.cors_origin = o->cors_origin ? strdup(o->cors_origin) : NULL;
	if (config_apply(&copy, o->config, true, opt_given, err, errlen) < 0)
	{
		free(copy.cors_origin);
		return -1;
	}
	free(o->cors_origin);
	*o = copy;
	return 0;
}
