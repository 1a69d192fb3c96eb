#ifndef SC_GPU_VK_BUFFER_H
#define SC_GPU_VK_BUFFER_H
#include <stdbool.h>
#include <vulkan/vulkan.h>

#include "gpu/vk_device.h"

struct sc_vk_buffer {
	VkBuffer buffer;
	VkDeviceMemory memory;
	VkDeviceSize size;
	void *map; /* non-NULL for host-visible buffers */
};

/* host_visible: HOST_VISIBLE|HOST_COHERENT and mapped; else DEVICE_LOCAL preferred. */
bool sc_vk_buffer_init(struct sc_vk_buffer *buf, struct sc_vk_device *dev, VkDeviceSize size,
                       VkBufferUsageFlags usage, bool host_visible);
void sc_vk_buffer_finish(struct sc_vk_buffer *buf, struct sc_vk_device *dev);

#endif
