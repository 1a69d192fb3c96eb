/* VA-API availability probe, for sc_encoder_create(AUTO/VAAPI) and for
 * `shadowcast devices`. */
#ifndef SC_NET_ENCODER_VAAPI_PROBE_H
#define SC_NET_ENCODER_VAAPI_PROBE_H
#include <stdbool.h>
#include <stddef.h>

/* Checks whether a usable VA-API H.264 encoder exists on device (NULL = first
 * /dev/dri/renderD*): vaInitialize, an H.264 encode entry point (EncSlice or
 * EncSliceLP), one 1280x720 test encode through h264_vaapi. Runs in a forked
 * child with a timeout, so a crashing or hanging driver never takes the caller
 * down. On false, reason (if non-NULL) says why in one line. */
bool sc_vaapi_probe(const char *device, char *reason, size_t len);

/* First /dev/dri/renderD* in name order into path; false when there is none. */
bool sc_vaapi_find_render_node(char *path, size_t len);

#endif
