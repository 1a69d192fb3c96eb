/* What GET /api/v1/status shows of a shadow's latest capture
 * (`capture_incident`, `last_incident`): the incident its manifest.json
 * preserved. The service thread answers status from this cache and never
 * reads the disk: a capture directory it has not seen yet is read by the disk
 * worker (the status answer waits for it, at most
 * SC_CAPTURE_SUMMARY_WAIT_MS: server/debug_api.c), and a known one is checked
 * again in the background when it was last checked more than
 * SC_CAPTURE_SUMMARY_RECHECK_MS ago (stat; read again when the manifest
 * changed). A shadow writes the manifest before it publishes capture_dir
 * and never rewrites it, so the cache shows what the disk holds.
 *
 * Threads: append() on the service thread, the refresh jobs on the disk
 * worker; one lock. Destroy it after the worker (its jobs point here). */
#ifndef SC_SERVER_CAPTURE_SUMMARY_H
#define SC_SERVER_CAPTURE_SUMMARY_H
#include <stdbool.h>

#include "server/strbuf.h"

#define SC_CAPTURE_SUMMARY_ENTRIES 8
#define SC_CAPTURE_SUMMARY_RECHECK_MS 1000
#define SC_CAPTURE_SUMMARY_WAIT_MS 2000

struct sc_disk_worker;
struct sc_capture_summaries;

struct sc_capture_summaries *sc_capture_summaries_create(struct sc_disk_worker *w);
void sc_capture_summaries_destroy(struct sc_capture_summaries *c);
/* Service thread: appends the summary of the capture in dir (an absolute
 * path; "" for none: null) to sb and returns true; false when dir has not
 * been read yet: appends null and has the worker read it. */
bool sc_capture_summary_append(struct sc_capture_summaries *c, const char *dir, struct sc_strbuf *sb);
/* The summary of a manifest's text (NULL: no manifest): null for none or a
 * developer's capture (incident 0), else {incident, detected, injected, path,
 * error_tick, held_tick, detected_ns, paused_ns, detect_to_pause_ms,
 * hashes_match}. Pure; public for the unit tests. */
void sc_capture_summary_render(const char *manifest, struct sc_strbuf *sb);

#endif
