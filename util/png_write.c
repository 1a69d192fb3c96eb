#include "util/png_write.h"

#include <errno.h>
#include <png.h>
#include <stdio.h>
#include <string.h>

#include "util/log.h"

bool sc_png_write_rgba(const char *path, const uint8_t *rgba, uint32_t width, uint32_t height,
                       uint32_t stride)
{
	FILE *f = fopen(path, "wb");
	if (!f) {
		sc_err("%s: %s", path, strerror(errno));
		return false;
	}
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png ? png_create_info_struct(png) : NULL;
	if (!info) {
		sc_err("%s: libpng init failed", path);
		png_destroy_write_struct(&png, NULL);
		fclose(f);
		return false;
	}
	if (setjmp(png_jmpbuf(png))) {
		sc_err("%s: libpng write failed", path);
		png_destroy_write_struct(&png, &info);
		fclose(f);
		return false;
	}
	png_init_io(png, f);
	png_set_compression_level(png, 1);
	png_set_IHDR(png, info, width, height, 8, PNG_COLOR_TYPE_RGBA, PNG_INTERLACE_NONE,
	             PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (uint32_t y = 0; y < height; y++)
		png_write_row(png, (png_const_bytep)(rgba + (size_t)y * stride));
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	if (fclose(f) != 0) {
		sc_err("%s: %s", path, strerror(errno));
		return false;
	}
	return true;
}
