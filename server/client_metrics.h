/* The encoder process's per-client profiling (docs/profiling.md "Per-client
 * figures"): the network thread's client figures and measurements go into
 * two histograms without a client label (RTT, input-to-display latency:
 * bounded cardinality; the per-client gauges are the WebSocket server's,
 * net/ws/ws_client_figures.c) and, with --profile, into the profile file. */
#ifndef SC_SERVER_CLIENT_METRICS_H
#define SC_SERVER_CLIENT_METRICS_H
#include <stddef.h>
#include <stdint.h>

#include "net/ws/ws_server.h"
#include "server/prom_hist.h"

struct sc_profile_file;

struct sc_client_metrics {
	struct sc_hist rtt;           /* service thread writes, /metrics reads */
	struct sc_hist input_display;
	struct sc_profile_file *file; /* NULL: no profile file */
};

/* cfg.on_client_figures / cfg.on_client_measure (service thread); ud is the
 * struct sc_client_metrics. */
void sc_client_metrics_figures(struct sc_client_metrics *m, const struct sc_ws_client_figures *f);
void sc_client_metrics_measure(struct sc_client_metrics *m, uint32_t client_id, enum sc_ws_measure kind,
                               uint64_t ns);

/* Prometheus text (the histograms) into buf; returns bytes written. */
size_t sc_client_metrics_text(const struct sc_client_metrics *m, char *buf, size_t len);

#endif
