#ifndef SC_UTIL_PNG_WRITE_H
#define SC_UTIL_PNG_WRITE_H
#include <stdbool.h>
#include <stdint.h>

/* Writes an RGBA8 image (rows of width*4 bytes, stride bytes apart) to path. */
bool sc_png_write_rgba(const char *path, const uint8_t *rgba, uint32_t width, uint32_t height,
                       uint32_t stride);

#endif
