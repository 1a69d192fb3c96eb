/* What a physical device is and offers: for device selection and `shadowcast devices`. */
#ifndef SC_GPU_VK_PHYSICAL_H
#define SC_GPU_VK_PHYSICAL_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <vulkan/vulkan.h>

#define SC_VK_MAX_QUEUE_FAMILIES 16

struct sc_vk_physical_info {
	uint32_t index;
	VkPhysicalDevice handle;
	char name[VK_MAX_PHYSICAL_DEVICE_NAME_SIZE];
	char driver_name[VK_MAX_DRIVER_NAME_SIZE];
	char driver_info[VK_MAX_DRIVER_INFO_SIZE];
	VkPhysicalDeviceType type;
	uint32_t api_version;
	uint8_t uuid[VK_UUID_SIZE];
	uint32_t n_queue_families;
	VkQueueFamilyProperties queue_families[SC_VK_MAX_QUEUE_FAMILIES];
	bool ext_external_memory_fd;
	bool ext_external_memory_dma_buf;
	bool ext_external_memory_host;
	bool ext_device_fault;
	bool ext_calibrated_timestamps; /* VK_EXT_calibrated_timestamps listed */
	bool timeline_semaphores;
	bool robustness2;
	float timestamp_period_ns;
	uint32_t min_imported_host_pointer_alignment;
};

const char *sc_vk_device_type_str(VkPhysicalDeviceType type);
void sc_vk_uuid_str(const uint8_t uuid[VK_UUID_SIZE], char out[37]);

/* Fills info for every physical device; *count in: capacity, out: number found. */
bool sc_vk_physical_enumerate(VkInstance instance, struct sc_vk_physical_info *infos,
                              uint32_t *count);

/* Picks the device named by spec: "auto" (discrete > integrated > virtual > cpu),
 * an index, a UUID, or a case-insensitive substring of the name. -1 when none. */
int sc_vk_physical_select(const struct sc_vk_physical_info *infos, uint32_t count,
                          const char *spec);

void sc_vk_physical_print(const struct sc_vk_physical_info *info, FILE *out);
void sc_vk_physical_print_json(const struct sc_vk_physical_info *info, FILE *out);

#endif
