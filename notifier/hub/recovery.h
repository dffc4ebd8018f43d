/*
 * recovery.h — connection state recovery as socket.io-client >= 4.6 does
 * it (SPEC §7), durable through the database: every accepted socket gets a
 * pid in its CONNECT reply (auth_pid_make), every event carries its
 * position as the last argument (deliver.c), rooms joined through `join`
 * are remembered per pid by the database (rpc_client.c adds the pid to the
 * join/leave arguments), and a CONNECT whose auth carries {pid, offset} of
 * a session this user had is answered from roomcast.recover: its rooms
 * again and the events it missed, once, in commit order, before live ones.
 * Nothing here needs the memory of the notifier that served the old session.
 *
 * While the recover call is in flight the tenant's live events for the
 * socket's namespace are held (recov_capture); when the answer comes they
 * are sent after the missed ones, without those already sent (by pos) and
 * without rooms the socket is not in. The same held queue serves a socket
 * whose token expired (lifecycle.c): recov_gate holds its events.
 */
#ifndef RC_NOTIFIER_RECOVERY_H
#define RC_NOTIFIER_RECOVERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/opts.h"
#include "hub/auth.h"

/* Settings: --max-buffered bounds each socket's held events */
void		recov_init(const notifier_opts *opts);

/*
 * At CONNECT: true when the auth payload carries a pid this notifier's keys
 * tagged for u's user and tenant and a numeric offset; u is then
 * recovering (u->pid, u->offset set) and its CONNECT goes to
 * roomcast.recover. False (an unknown or another user's pid, no offset):
 * a new session. A pid refused prints a warning with the reason.
 */
bool		recov_begin(auth_user *u, const char *auth, size_t auth_len);

/* True while some socket's recovery is in flight (its rooms are not joined yet) */
bool		recov_pending(void);

/* u is going away: off the recovering list, its held events freed */
void		recov_forget(auth_user *u);

/*
 * Data path 1, once per event, before its fan-out: hold a copy for every
 * recovering socket of the event's tenant in namespace nsp.
 */
void		recov_capture(const char *tenant, int nsp, const char *room, size_t room_len, int64_t pos,
						  const char *pkt, size_t len);

/*
 * Data path 1, per recipient whose u->gate is set: false when the event is
 * not to be sent now, because the recovery sent it already (pos) or the
 * socket's token expired (then it is held; past --max-buffered the
 * lifecycle sweep closes the socket, which then recovers on reconnect).
 */
bool		recov_gate(auth_user *u, int64_t pos, const char *room, size_t room_len, int nsp,
					   const char *pkt, size_t len);

/*
 * roomcast.recover answered json for sock's pending CONNECT: accept it
 * (with the old pid when recovered, else a new one), join the rooms, send
 * the missed events, then the held ones.
 */
void		recov_result(sio_socket *sock, const char *json, size_t len);

/*
 * Send sock's held events in order (those after u->skip_upto, in rooms it
 * is in) and empty the queue. Returns false when sock is closing.
 */
bool		recov_flush(sio_socket *sock);

/*
 * The join/leave arguments arg[0..len) (a JSON object) with "pid" set to
 * u's, appended last so it wins over one the client put there (jsonb keeps
 * the last of duplicate keys). Into out; false when arg is not an object.
 */
struct buf;
bool		recov_args_with_pid(const auth_user *u, const char *arg, size_t len, struct buf *out);

#endif
