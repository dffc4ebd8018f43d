/*
 * log.h — logging to stderr as text or JSON lines, filtered by level.
 */
#ifndef RC_NOTIFIER_LOG_H
#define RC_NOTIFIER_LOG_H

#include "base/opts.h"

void		log_configure(log_level level, bool json);
bool		log_enabled(log_level level);
void		log_msg(log_level level, const char *fmt,...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) do { if (log_enabled(LOG_DEBUG)) log_msg(LOG_DEBUG, __VA_ARGS__); } while (0)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
