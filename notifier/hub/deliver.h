/*
 * deliver.h — data path 1, the notifier's end (ARCHITECTURE.md): an event
 * read back from roomcast.events (db.c, after a hint on NOTIFY channel
 * roomcast) is encoded as one Socket.IO EVENT packet, with its position
 * appended as the last argument (the connection-state-recovery offset, a
 * string, as socket.io-client >= 4.6 expects), and sent to every member of
 * its room in its namespace; a control message read back from
 * roomcast.control_log is parsed here, and a kick disconnects a user's or a
 * tenant's sockets. Nothing here reads a NOTIFY payload: only rows of the
 * logs, which no application role can write (docs/security-delivery.md).
 * No database I/O.
 */
#ifndef RC_NOTIFIER_DELIVER_H
#define RC_NOTIFIER_DELIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An event; the strings point into the caller's result row */
typedef struct deliver_event
{
	int64_t		pos;			/* roomcast.events.pos */
	const char *shard;			/* the shard's identity with several --db, else NULL */
	int64_t		ts;				/* commit time, ms since the epoch; 0: unknown */
	const char *tenant;			/* 36-character lowercase UUID */
	const char *room;
	size_t		room_len;
	const char *nsp;
	size_t		nsp_len;
	const char *event;
	size_t		event_len;
	const char *data;			/* JSON text */
	size_t		data_len;
} deliver_event;

typedef enum deliver_kind
{
	DELIVER_IGNORE = 0,			/* kinds, methods (nothing cached), or malformed (logged) */
	DELIVER_KEYS,				/* reload the signing keys */
	DELIVER_KICK,				/* kick_tenant and kick_user filled */
	DELIVER_KICK_TENANT			/* kick_tenant filled */
} deliver_kind;

/*
 * Parse one control message {"c":kind,...} as roomcast.control_log holds
 * it (at most 8,000 bytes; longer is ignored).
 */
deliver_kind deliver_control_parse(const char *msg, size_t len,
								   char kick_tenant[37], char kick_user[37]);

/*
 * Send ev (with its data) to the connected sockets of its room in its
 * namespace, whose tenant is the event's. Returns the number of sockets
 * sent to. A slow socket is closed later by its own timer, never here.
 */
size_t		deliver_event_send(const deliver_event *ev);

/* Disconnect every socket of user in tenant; returns how many */
size_t		deliver_kick(const char *tenant, const char *user);

/* Disconnect every socket of tenant; returns how many */
size_t		deliver_kick_tenant(const char *tenant);

#endif
