#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *log_role = "main";
static enum sc_log_level log_level = SC_LOG_INFO;
static int log_level_from_env = -1;

void sc_log_set_role(const char *role)
{
	log_role = role;
}

void sc_log_set_level(enum sc_log_level level)
{
	log_level = level;
}

void sc_log(enum sc_log_level level, const char *fmt, ...)
{
	static const char *names[] = {"error", "warn", "info", "debug"};
	if (log_level_from_env < 0) {
		const char *env = getenv("SHADOWCAST_LOG");
		log_level_from_env = 0;
		if (env && strcmp(env, "debug") == 0)
			log_level = SC_LOG_DEBUG, log_level_from_env = 1;
		else if (env && strcmp(env, "warn") == 0)
			log_level = SC_LOG_WARN, log_level_from_env = 1;
	}
	if (level > log_level)
		return;
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "shadowcast[%s] %s: %s\n", log_role, names[level], buf);
}
