/*
 * eio_table.h — where Engine.IO sessions live (session layer, used by
 * eio_sess.c only): the sid hash, the one timer that serves every session's
 * deadline (a min-heap, base/theap.h, instead of a uv_timer_t of 152 bytes
 * per session), and the reaper that frees destroyed sessions when the loop
 * is back at the top (the lifecycle rule in transport/net.h).
 */
#ifndef RC_NOTIFIER_EIO_TABLE_H
#define RC_NOTIFIER_EIO_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "session/eio_sess.h"

/* Start the table on loop; due(s) is called when s's deadline has come */
void		eio_table_init(uv_loop_t *loop, void (*due) (eio_session *s));

/*
 * Give s (zeroed, its other fields unset) a fresh random sid and put it in
 * the table, with room reserved for its deadline. 0, or -1 out of memory.
 */
int			eio_table_add(eio_session *s);

/* The live session with this sid, or NULL */
eio_session *eio_table_find(const char *sid, size_t len);

/* Sessions in the table */
size_t		eio_table_count(void);

/*
 * Set s's deadline to loop time due (replacing the one it had): due(s) is
 * called once then, from the timer. Nothing happens for a removed session.
 */
void		eio_table_timer(eio_session *s, uint64_t due);

/*
 * Take s out of the table and its deadline out of the heap; its memory (and
 * its queued packets) is freed by the reaper at the top of the loop.
 */
void		eio_table_remove(eio_session *s);

/* Call fn for sessions in the table until it is empty; fn must remove each */
void		eio_table_drain(void (*fn) (eio_session *s));

#endif
