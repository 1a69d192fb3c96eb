/* The shadow instance process (shadow/shadow_process.c): what it needs from
 * the run configuration, filled by the `__child shadow` entry in server/. It
 * attaches to the session over ipc_fd (session/session_attach.h), follows the
 * primary delay_ticks behind and returns the process's exit status. */
#ifndef SC_SHADOW_SHADOW_PROCESS_H
#define SC_SHADOW_SHADOW_PROCESS_H
#include <stdbool.h>
#include <stdint.h>

#include "gpu/game.h"

struct sc_shadow_config {
	struct sc_game_config game; /* the same game as the primary's */
	char device[128];           /* Vulkan device spec (--shadow-device, else --device) */
	uint32_t delay_ticks;
	char capture_root[512];     /* where captures are written */
	uint64_t capture_quota_bytes; /* all captures together (shadow/capture_quota.h) */
	char restore[512];          /* start from this snapshot ("" = tick 0) */
	uint32_t slot;              /* 0 = session->shadow, 1 = session->shadow_alt */
	bool follow_checkpoint;     /* start from the primary's checkpoint */
	uint32_t backlog_mib;       /* the private backlog of ticks not yet run */
	uint32_t desync_tick;       /* test only: perturb the state at this tick (0 = never) */
	uint32_t sample_every;      /* profiling samples every Nth tick, 0 = off (session/shm/sample.h) */
	/* the target conditions, by index (an anomaly capture's request names one) */
	struct { char name[32]; char text[104]; } conditions[16];
	uint32_t n_conditions;
};

int sc_shadow_main(int ipc_fd, const struct sc_shadow_config *cfg);

#endif
