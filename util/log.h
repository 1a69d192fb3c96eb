/* Logging: one line per event on stderr, "shadowcast[role] level: message". */
#ifndef SC_UTIL_LOG_H
#define SC_UTIL_LOG_H

enum sc_log_level { SC_LOG_ERROR, SC_LOG_WARN, SC_LOG_INFO, SC_LOG_DEBUG };

void sc_log_set_role(const char *role);
void sc_log_set_level(enum sc_log_level level);
void sc_log(enum sc_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define sc_err(...) sc_log(SC_LOG_ERROR, __VA_ARGS__)
#define sc_warn(...) sc_log(SC_LOG_WARN, __VA_ARGS__)
#define sc_info(...) sc_log(SC_LOG_INFO, __VA_ARGS__)
#define sc_dbg(...) sc_log(SC_LOG_DEBUG, __VA_ARGS__)

#endif
