/* Frame memory another process can map without a copy.
 * - DMA-BUF (VK_EXT_external_memory_dma_buf): what VA-API imports.
 * - else a sealed memfd that Vulkan imports as host memory
 *   (VK_EXT_external_memory_host): lavapipe and most desktop drivers.
 * Opaque fds are driver-private (only a Vulkan process could import them, nobody
 * may mmap them), so they are never used. */
#ifndef SC_GPU_FRAME_MEMORY_H
#define SC_GPU_FRAME_MEMORY_H
#include <stdbool.h>
#include <stddef.h>
#include <vulkan/vulkan.h>

#include "gpu/vk_device.h"

enum sc_frame_memory_kind {
	SC_FRAME_MEMORY_DMABUF,
	SC_FRAME_MEMORY_HOST_MEMFD,
};

struct sc_frame_memory {
	enum sc_frame_memory_kind kind;
	VkBuffer buffer;
	VkDeviceMemory memory;
	size_t size;
	int fd;    /* DMA-BUF or memfd: hand this to the encoder process */
	void *map; /* this process's CPU view */
};

/* Allocates size bytes (rounded up to the import alignment); logs the path taken. */
bool sc_frame_memory_init(struct sc_frame_memory *fm, struct sc_vk_device *dev, size_t size);
void sc_frame_memory_finish(struct sc_frame_memory *fm, struct sc_vk_device *dev);
const char *sc_frame_memory_kind_str(enum sc_frame_memory_kind kind);

#endif
