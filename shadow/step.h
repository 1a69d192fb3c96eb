/* One step of a held tick: from a preserved state, run the tick with its first
 * k inputs and classify what happened (the shadow's STEP_INPUT / STEP_TICK and
 * `shadowcast replay`). Host-side fault inputs (crash, device-lost) act the way
 * the primary's host code makes them act; an input that would hang the calling
 * process (hang) runs only when the caller allows it (a throwaway replay
 * child), else it is reported as not executed. An oob input is safe anywhere:
 * its write lands in the guard band after the particles. */
#ifndef SC_SHADOW_STEP_H
#define SC_SHADOW_STEP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gpu/game.h"

enum sc_step_outcome {
	SC_STEP_OK = 0,          /* ran, no fault */
	SC_STEP_ASSERT,          /* the shaders wrote a fault record (an assertion) */
	SC_STEP_OOB,             /* fault record kind 4: the guard band caught an out-of-bounds write */
	SC_STEP_INVALID,         /* the state failed host validation */
	SC_STEP_HANG,            /* fence timeout: this process must exit now */
	SC_STEP_DEVICE_LOST,     /* VK_ERROR_DEVICE_LOST: this process must exit now */
	SC_STEP_HOST_CRASH,      /* crash input: the primary aborts before the tick's GPU work */
	SC_STEP_HOST_DEVICE_LOST,/* device-lost input: simulated by the primary, GPU work not run */
	SC_STEP_NOT_RUN_HANG,    /* hang input: not executed here (would hang this process) */
	SC_STEP_ERROR,           /* Vulkan error, bad input */
};

#define SC_STEP_RGBA 1u      /* render the RGBA frame of the result */
#define SC_STEP_DANGEROUS 2u /* execute hang inputs; abort() on a crash input */

struct sc_step_result {
	uint32_t tick;           /* the tick run */
	uint32_t k, n;           /* inputs applied of the tick's n */
	enum sc_step_outcome outcome;
	bool executed;           /* the GPU tick ran */
	bool reproduced;         /* a fault happened (or would, for host-side kinds) */
	uint64_t hash;           /* after the tick, when executed */
	struct sc_game_state state;
	char why[256];           /* the fault, or why nothing was executed */
};

/* Restores snap (when not NULL) and runs the game's next tick with
 * inputs[0..k) (their tick fields are set to the tick). */
void sc_step_run(struct sc_game *game, const void *snap, size_t snap_len, const struct sc_input_event *inputs,
                 uint32_t k, uint32_t n, uint32_t flags, struct sc_step_result *res);

const char *sc_step_outcome_name(enum sc_step_outcome o);
/* "assert at tick 812 (fault record kind 1 detail 1)" and the like. */
void sc_step_describe(const struct sc_step_result *res, char *buf, size_t len);

/* The fault a result is, as the primary's detector names it (enum
 * sc_fault_detected of session/session.h; 0 when it is no fault), and the tick
 * it happened at (an assertion's own fault record tick). A crash input gives
 * SC_DETECTED_DEATH: the primary dies of it, the supervisor sees the death. */
uint32_t sc_step_detected(const struct sc_step_result *res);
uint32_t sc_step_fault_tick(const struct sc_step_result *res);

/* Whether running the first k inputs is unsafe for this process, and why. */
enum sc_step_outcome sc_step_danger(const struct sc_input_event *inputs, uint32_t k);

#endif
