/*
 * lifecycle.h — a socket's token over time (SPEC §7, Session lifecycle;
 * docs/sessions.md): auth:refresh-needed {expiresIn} --refresh-warning
 * seconds before the token's exp; auth:refresh {token} replaces it (same
 * user and tenant, verified locally, then confirmed by the database like a
 * CONNECT); at exp auth:expired, after which the socket receives nothing
 * but keeps its rooms while its events are held (recov_gate), for --grace
 * seconds; then it is disconnected with reason "token expired".
 *
 * One periodic sweep over the sockets (LIFE_SWEEP_MS), not a timer per
 * socket: deadlines are seconds apart and a sweep costs one pass.
 */
#ifndef RC_NOTIFIER_LIFECYCLE_H
#define RC_NOTIFIER_LIFECYCLE_H

#include <stdint.h>
#include <uv.h>

#include "base/opts.h"
#include "rc_json.h"
#include "session/sio_sess.h"

#define LIFE_SWEEP_MS 250

/* Start the sweep with --refresh-warning, --grace */
void		life_start(uv_loop_t *loop, const notifier_opts *opts);

/*
 * The auth:refresh event of sock with ack id ack; arr is the event's
 * arguments as a JSON array text, tok the first argument's token (or NULL).
 */
void		life_on_refresh(sio_socket *sock, int64_t ack, const char *arr, const rc_json_tok *tok);

/* The database confirmed token for sock: adopt it, ack, deliver what was held */
void		life_refresh_confirmed(sio_socket *sock, int64_t ack, const char *token);

/* Refuse a refresh: ack {success:false, error:{code, message}}, then disconnect sock (freed) */
void		life_refresh_refused(sio_socket *sock, int64_t ack, const char *code, const char *message);

#endif
