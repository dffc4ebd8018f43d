/*
 * opts.h — the notifier's settings (SPEC §7): defaults, the environment
 * (ROOMCAST_<OPTION>), the command line, and --help. No I/O beyond printing
 * help and errors.
 */
#ifndef RC_NOTIFIER_OPTS_H
#define RC_NOTIFIER_OPTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef enum log_level
{
	LOG_DEBUG = 0,
	LOG_INFO,
	LOG_WARN,
	LOG_ERROR
} log_level;

/* --db may be given this many times (one per shard, docs/scale-out-sharding.md) */
#define OPTS_MAX_DB 16

typedef struct notifier_opts
{
	char	   *listen_host;	/* from --listen HOST:PORT */
	int			listen_port;
	char	   *db;				/* the first --db: libpq conninfo */
	char	   *dbs[OPTS_MAX_DB];	/* every --db, one listener each (db.c) */
	uint32_t	ndb;
	char	   *rpc_db;			/* --rpc-db: the rpc pool's conninfo; NULL: the only --db (rpc_client.c) */
	char	   *redis;			/* presence store URL (presence.c) */
	uint32_t	presence_ttl;	/* s */
	char	   *cors_origin;	/* comma-separated list, NULL: same origin only */
	char	   *namespaces;		/* comma-separated list */
	uint32_t	ping_interval;	/* ms */
	uint32_t	ping_timeout;	/* ms */
	uint32_t	connect_timeout;	/* ms */
	uint32_t	max_payload;	/* bytes */
	uint32_t	max_buffered;	/* bytes of unsent data per socket */
	uint32_t	http_idle_timeout;	/* ms an HTTP connection may sit without a request */
	uint32_t	max_conns;		/* open TCP connections; more are refused at accept */
	uint32_t	max_sessions;	/* Engine.IO sessions; more handshakes get 503 */
	uint32_t	grace;			/* s */
	uint32_t	refresh_warning;	/* s */
	uint32_t	max_conns_per_user;
	uint32_t	rate;
	uint32_t	rpc_pool;		/* database connections for client requests */
	uint32_t	rpc_queue;		/* client requests waiting overall (per tenant: a tenth) */
	uint32_t	recovery_window;	/* s */
	char	   *static_dir;
	log_level	log_level;
	bool		log_json;
	char	   *tls_cert;
	char	   *tls_key;
	char	   *config;			/* file re-read on SIGHUP */
	bool		conformance;
} notifier_opts;

/*
 * Fill *o from defaults, then the environment, then the config file (if
 * --config or ROOMCAST_CONFIG names one), then argv. Returns 0 to run, 1 if
 * --help or --version was printed (exit 0), -1 on a bad option (message
 * printed to stderr, exit 2).
 */
int			opts_parse(notifier_opts *o, int argc, char **argv);

/*
 * Re-read the reloadable settings (log level, log format, CORS origins) from
 * the config file, unless they were given on the command line. Returns 0, or
 * -1 with a message in err (settings unchanged).
 */
int			opts_reload(notifier_opts *o, char *err, size_t errlen);

/* Print the --help text to f */
void		opts_usage(FILE *f);

#endif
