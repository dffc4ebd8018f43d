/*
 * log.c — stderr logging (see log.h). JSON lines escape the message.
 */
#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static log_level log_min = LOG_INFO;
static bool log_json;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void
log_configure(log_level level, bool json)
{
	log_min = level;
	log_json = json;
}

bool
log_enabled(log_level level)
{
	return level >= log_min;
}

void
log_msg(log_level level, const char *fmt,...)
{
	char		msg[1024];
	char		ts[96];
	struct timespec now;
	struct tm	tm;
	va_list		ap;

	if (level < log_min)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
			 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, now.tv_nsec / 1000000);
	if (!log_json)
	{
		fprintf(stderr, "%s %s %s\n", ts, level_names[level], msg);
		return;
	}
	fprintf(stderr, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":\"", ts, level_names[level]);
	for (const char *c = msg; *c; c++)
	{
		if (*c == '"' || *c == '\\')
			fprintf(stderr, "\\%c", *c);
		else if ((unsigned char) *c < 0x20)
			fprintf(stderr, "\\u%04x", (unsigned char) *c);
		else
			fputc(*c, stderr);
	}
	fputs("\"}\n", stderr);
}
