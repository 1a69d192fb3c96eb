/* A Vulkan instance + one logical device with a compute queue. */
#ifndef SC_GPU_VK_DEVICE_H
#define SC_GPU_VK_DEVICE_H
#include <stdbool.h>
#include <vulkan/vulkan.h>

#include "gpu/vk_physical.h"

struct sc_vk_device {
	VkInstance instance;
	struct sc_vk_physical_info info;
	VkDevice device;
	uint32_t queue_family;
	VkQueue queue;
	VkCommandPool cmd_pool;
	VkPhysicalDeviceMemoryProperties mem_props;
	/* extensions enabled on the logical device */
	bool external_memory_fd;
	bool external_memory_dma_buf;
	bool external_memory_host;
	bool device_fault;        /* VK_EXT_device_fault enabled (its deviceFault feature) */
	PFN_vkGetMemoryFdKHR get_memory_fd;
	PFN_vkGetDeviceFaultInfoEXT get_device_fault_info;
	PFN_vkGetMemoryHostPointerPropertiesEXT get_memory_host_pointer_properties;
	/* VK_EXT_calibrated_timestamps enabled, with both the device and the
	 * CLOCK_MONOTONIC time domains: GPU timestamps can be put on the host
	 * clock (gpu/game.c, profiling samples). NULL where the device lacks it. */
	PFN_vkGetCalibratedTimestampsEXT get_calibrated_timestamps;
};

bool sc_vk_instance_create(VkInstance *instance);

/* Selects the device named by spec (see sc_vk_physical_select). An unknown spec
 * logs the list of devices and returns NULL. */
struct sc_vk_device *sc_vk_device_create(const char *spec);
void sc_vk_device_destroy(struct sc_vk_device *dev);

/* Index of a memory type in type_bits with all of flags, or -1. */
int sc_vk_memory_type(const struct sc_vk_device *dev, uint32_t type_bits,
                      VkMemoryPropertyFlags flags);

#endif
