/* SPIR-V modules compiled from the GLSL in shaders/ at build time. */
#ifndef SC_SHADERS_SPIRV_H
#define SC_SHADERS_SPIRV_H
#include <stddef.h>
#include <stdint.h>

struct sc_spirv {
	const char *name;
	const uint32_t *code;
	size_t size; /* bytes */
};

/* Terminated by an entry with a NULL name. */
extern const struct sc_spirv sc_spirv_modules[];

#endif
