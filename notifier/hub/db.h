/*
 * db.h — the notifier's database listener (data path 1): one libpq
 * connection on the libuv loop (uv_poll on PQsocket) that LISTENs on channel
 * roomcast, loads the signing keys (at connect and on {"c":"keys"}), fetches
 * the data of "big" events, and after a lost connection reconnects with
 * backoff (1, 2, 4 … 30 s) and catches up with roomcast.events_since so
 * connected sockets lose nothing. Transport glue: parsing and fan-out are in
 * deliver.c, tokens in auth.c.
 */
#ifndef RC_NOTIFIER_DB_H
#define RC_NOTIFIER_DB_H

#include <stdbool.h>
#include <uv.h>

/* Start connecting to conninfo (NULL or "": libpq's PG* defaults) */
void		db_start(uv_loop_t *loop, const char *conninfo);

/* True while LISTEN is active and the keys are loaded (GET /healthz 200) */
bool		db_up(void);

/* Close the connection (on drain) */
void		db_stop(void);

#endif
