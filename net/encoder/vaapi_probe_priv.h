/* Internals of the VA-API probe shared with encoder_vaapi.c and the tests. */
#ifndef SC_NET_ENCODER_VAAPI_PROBE_PRIV_H
#define SC_NET_ENCODER_VAAPI_PROBE_PRIV_H
#include <stdbool.h>
#include <stddef.h>

#include <va/va.h>

#include "net/encoder/encoder.h"

#define SC_VAAPI_PROBE_TIMEOUT_MS 10000

/* Fault injection for testing the isolation itself. */
enum sc_vaapi_probe_fault {
	SC_VAAPI_PROBE_FAULT_NONE,
	SC_VAAPI_PROBE_FAULT_CRASH, /* child aborts */
	SC_VAAPI_PROBE_FAULT_HANG,  /* child never answers */
};

/* The isolated probe with cfg's size/rate (cfg->vaapi_device may be NULL). */
bool sc_vaapi_probe_isolated(const struct sc_encoder_config *cfg,
		enum sc_vaapi_probe_fault fault, int timeout_ms, char *reason,
		size_t len);

/* H.264 encode entry points the display offers (any H.264 profile). */
void sc_vaapi_h264_entrypoints(VADisplay dpy, bool *enc_slice, bool *enc_slice_lp);

/* Routes libva's info/error messages away from stderr; the last error message
 * lands in buf (may be NULL). */
void sc_vaapi_quiet(VADisplay dpy, char *buf, size_t len);

#endif
