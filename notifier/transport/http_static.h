/*
 * http_static.h — serve the files of --static DIR (the demo page) over
 * GET and HEAD: content types, a page Content-Security-Policy, no directory
 * listing, nothing outside DIR, bounded file size.
 */
#ifndef RC_NOTIFIER_HTTP_STATIC_H
#define RC_NOTIFIER_HTTP_STATIC_H

#include "codec/http_codec.h"
#include "transport/net.h"

/* Largest file served; larger ones get 500 and a log line (no streaming) */
#define STATIC_MAX_FILE (4 * 1024 * 1024)

/*
 * Resolve DIR once (realpath). Returns 0, or -1 with a message logged if DIR
 * is not a readable directory. dir NULL: static serving stays off.
 */
int			static_init(const char *dir);

/* True if --static is on (static_init succeeded with a directory) */
bool		static_enabled(void);

/*
 * Answer req from DIR: 200 with the file (GET) or its headers (HEAD), 404 for
 * anything missing, hidden, outside DIR or not a regular file, 405 for other
 * methods. Always answers.
 */
void		static_respond(net_conn *c, const http_request *req);

#endif
