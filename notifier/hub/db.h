/*
 * db.h — the notifier's database listener (data path 1): one libpq
 * connection per --db (shard) on the libuv loop (uv_poll on PQsocket) that LISTENs on channel
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

/* The longest shard identity (roomcast_shard.id) an offset may carry */
#define DB_SHARD_ID_MAX 32

/*
 * Start one listener per conninfo (each --db: one shard of a PL/Proxy
 * setup); n = 0: one listener with libpq's PG* defaults.
 */
void		db_start(uv_loop_t *loop, char *const *conninfos, size_t n);

/* True while every listener LISTENs and has loaded the keys (GET /healthz 200) */
bool		db_up(void);

/*
 * True with more than one --db: events then carry "SHARD:POS" offsets and
 * recovery checks the shard (recovery.c). With one --db offsets are "POS".
 */
bool		db_multi(void);

/* True when id[0..len) is a valid shard identity: 1-32 of [A-Za-z0-9_-] */
bool		db_shard_id_valid(const char *id, size_t len);

/* Close the connection (on drain) */
void		db_stop(void);

#endif
