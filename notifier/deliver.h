/*
 * deliver.h — data path 1, the notifier's end (ARCHITECTURE.md): a message
 * from NOTIFY channel roomcast (docs/protocol.md) is parsed here; an event is
 * encoded as one Socket.IO EVENT packet, with its position appended as the
 * last argument (the connection-state-recovery offset, a string, as
 * socket.io-client >= 4.6 expects), and sent to every member of its room in
 * its namespace; a kick disconnects a user's sockets. No database I/O: the
 * listener (db.c) fetches what a message leaves out.
 */
#ifndef RC_NOTIFIER_DELIVER_H
#define RC_NOTIFIER_DELIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An event; the strings point into the caller's message or result row */
typedef struct deliver_event
{
	int64_t		pos;			/* roomcast.events.pos */
	int64_t		ts;				/* commit time, ms since the epoch; 0: unknown */
	const char *tenant;			/* 36-character lowercase UUID */
	const char *room;
	size_t		room_len;
	const char *nsp;
	size_t		nsp_len;
	const char *event;
	size_t		event_len;
	const char *data;			/* JSON text; NULL when big */
	size_t		data_len;
	bool		big;			/* data left out: fetch it with event_data */
} deliver_event;

typedef enum deliver_kind
{
	DELIVER_IGNORE = 0,			/* unknown control kind or malformed (logged) */
	DELIVER_EVENT,				/* *ev filled */
	DELIVER_KEYS,				/* reload the signing keys */
	DELIVER_KICK				/* kick_tenant / kick_user filled */
} deliver_kind;

/*
 * Parse one NOTIFY payload (len <= 8000 bytes, as PostgreSQL guarantees).
 * For DELIVER_EVENT, ev points into payload, which must outlive its use.
 */
deliver_kind deliver_parse(const char *payload, size_t len, deliver_event *ev,
						   char kick_tenant[37], char kick_user[37]);

/*
 * Send ev (with its data) to the connected sockets of its room in its
 * namespace, whose tenant is the event's. Returns the number of sockets
 * sent to. A slow socket is closed later by its own timer, never here.
 */
size_t		deliver_event_send(const deliver_event *ev);

/* Disconnect every socket of user in tenant; returns how many */
size_t		deliver_kick(const char *tenant, const char *user);

#endif
