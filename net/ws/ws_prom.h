/* /metrics for two readers: Prometheus text 0.0.4, and OpenMetrics 1.0.0
 * for a scraper that asks for it (Prometheus puts
 * application/openmetrics-text first in its Accept header): the only format
 * with exemplars. The metrics are written once, as 0.0.4 text (histograms
 * with their exemplars when OpenMetrics was asked for); sc_prom_rewrite then
 * adds the session label to every sample and, for OpenMetrics, names counter
 * families without their _total suffix, escapes HELP text and ends with
 * "# EOF". */
#ifndef SC_NET_WS_WS_PROM_H
#define SC_NET_WS_WS_PROM_H
#include <stdbool.h>
#include <stddef.h>

#define SC_PROM_TEXT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define SC_PROM_OPENMETRICS_TYPE "application/openmetrics-text; version=1.0.0; charset=utf-8"

/* An Accept header that asks for application/openmetrics-text with a q
 * above 0 and at least as high as text/plain's (and the any-type range's).
 * NULL: no. */
bool sc_prom_wants_openmetrics(const char *accept);

/* Rewrites in (0.0.4 text, in_len bytes) into out: `session="VALUE"` is
 * the first label of every sample (session NULL or "": none added; the
 * value is escaped); openmetrics: as described above. Returns the bytes
 * written (NUL-terminated), 0 when out is too small. out_len of
 * sc_prom_rewrite_bound() always suffices. */
size_t sc_prom_rewrite(const char *in, size_t in_len, const char *session, bool openmetrics, char *out,
                       size_t out_len);
size_t sc_prom_rewrite_bound(const char *in, size_t in_len, const char *session);

#endif
