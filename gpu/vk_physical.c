#include "gpu/vk_physical.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gpu/vk_result.h"
#include "util/json_escape.h"

const char *sc_vk_device_type_str(VkPhysicalDeviceType type)
{
	switch (type) {
	case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return "integrated-gpu";
	case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return "discrete-gpu";
	case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return "virtual-gpu";
	case VK_PHYSICAL_DEVICE_TYPE_CPU: return "cpu";
	default: return "other";
	}
}

void sc_vk_uuid_str(const uint8_t uuid[VK_UUID_SIZE], char out[37])
{
	char *p = out;
	for (unsigned i = 0; i < VK_UUID_SIZE; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		p += sprintf(p, "%02x", uuid[i]);
	}
	*p = '\0';
}

static bool has_extension(const VkExtensionProperties *exts, uint32_t n, const char *name)
{
	for (uint32_t i = 0; i < n; i++)
		if (strcmp(exts[i].extensionName, name) == 0)
			return true;
	return false;
}

static bool describe(VkPhysicalDevice pd, uint32_t index, struct sc_vk_physical_info *info)
{
	memset(info, 0, sizeof(*info));
	info->index = index;
	info->handle = pd;

	uint32_t n_ext = 0;
	if (!sc_vk_ok(vkEnumerateDeviceExtensionProperties(pd, NULL, &n_ext, NULL),
	              "vkEnumerateDeviceExtensionProperties"))
		return false;
	VkExtensionProperties *exts = calloc(n_ext ? n_ext : 1, sizeof(*exts));
	if (!exts)
		return false;
	VkResult r = vkEnumerateDeviceExtensionProperties(pd, NULL, &n_ext, exts);
	if (r != VK_SUCCESS && r != VK_INCOMPLETE) {
		sc_vk_ok(r, "vkEnumerateDeviceExtensionProperties");
		free(exts);
		return false;
	}
	info->ext_external_memory_fd = has_extension(exts, n_ext, VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME);
	info->ext_external_memory_dma_buf = has_extension(exts, n_ext, "VK_EXT_external_memory_dma_buf");
	info->ext_external_memory_host = has_extension(exts, n_ext, VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME);
	info->ext_device_fault = has_extension(exts, n_ext, "VK_EXT_device_fault");
	info->ext_calibrated_timestamps = has_extension(exts, n_ext, VK_EXT_CALIBRATED_TIMESTAMPS_EXTENSION_NAME);
	info->robustness2 = has_extension(exts, n_ext, "VK_EXT_robustness2");
	bool has_driver_props = has_extension(exts, n_ext, VK_KHR_DRIVER_PROPERTIES_EXTENSION_NAME);
	free(exts);

	VkPhysicalDeviceProperties base;
	vkGetPhysicalDeviceProperties(pd, &base);

	/* Chain only the structs this device knows about. */
	VkPhysicalDeviceIDProperties id = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_ID_PROPERTIES};
	VkPhysicalDeviceDriverProperties driver = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES};
	VkPhysicalDeviceExternalMemoryHostPropertiesEXT host = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_MEMORY_HOST_PROPERTIES_EXT,
	};
	VkPhysicalDeviceProperties2 props = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
	void **next = &props.pNext;
	*next = &id;
	next = &id.pNext;
	bool with_driver = has_driver_props || base.apiVersion >= VK_API_VERSION_1_2;
	if (with_driver) {
		*next = &driver;
		next = &driver.pNext;
	}
	if (info->ext_external_memory_host)
		*next = &host;
	vkGetPhysicalDeviceProperties2(pd, &props);

	snprintf(info->name, sizeof(info->name), "%s", props.properties.deviceName);
	snprintf(info->driver_name, sizeof(info->driver_name), "%s", with_driver ? driver.driverName : "unknown");
	snprintf(info->driver_info, sizeof(info->driver_info), "%s", with_driver ? driver.driverInfo : "");
	info->type = props.properties.deviceType;
	info->api_version = props.properties.apiVersion;
	memcpy(info->uuid, id.deviceUUID, VK_UUID_SIZE);
	info->timestamp_period_ns = props.properties.limits.timestampPeriod;
	if (info->ext_external_memory_host)
		info->min_imported_host_pointer_alignment = (uint32_t)host.minImportedHostPointerAlignment;

	VkPhysicalDeviceTimelineSemaphoreFeatures timeline = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_TIMELINE_SEMAPHORE_FEATURES,
	};
	VkPhysicalDeviceFeatures2 features = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
		.pNext = &timeline,
	};
	vkGetPhysicalDeviceFeatures2(pd, &features);
	info->timeline_semaphores = timeline.timelineSemaphore == VK_TRUE;

	info->n_queue_families = SC_VK_MAX_QUEUE_FAMILIES;
	vkGetPhysicalDeviceQueueFamilyProperties(pd, &info->n_queue_families, info->queue_families);
	return true;
}

bool sc_vk_physical_enumerate(VkInstance instance, struct sc_vk_physical_info *infos,
                              uint32_t *count)
{
	uint32_t n = 0;
	if (!sc_vk_ok(vkEnumeratePhysicalDevices(instance, &n, NULL), "vkEnumeratePhysicalDevices"))
		return false;
	VkPhysicalDevice *pds = calloc(n ? n : 1, sizeof(*pds));
	if (!pds)
		return false;
	VkResult r = vkEnumeratePhysicalDevices(instance, &n, pds);
	if (r != VK_SUCCESS && r != VK_INCOMPLETE) {
		sc_vk_ok(r, "vkEnumeratePhysicalDevices");
		free(pds);
		return false;
	}
	uint32_t out = 0;
	for (uint32_t i = 0; i < n && out < *count; i++)
		if (describe(pds[i], i, &infos[out]))
			out++;
	free(pds);
	*count = out;
	return true;
}

static int type_rank(VkPhysicalDeviceType type)
{
	switch (type) {
	case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return 4;
	case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return 3;
	case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return 2;
	case VK_PHYSICAL_DEVICE_TYPE_CPU: return 1;
	default: return 0;
	}
}

static bool has_compute_queue(const struct sc_vk_physical_info *info)
{
	for (uint32_t q = 0; q < info->n_queue_families; q++)
		if (info->queue_families[q].queueFlags & VK_QUEUE_COMPUTE_BIT)
			return true;
	return false;
}

static bool contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return true;
	return false;
}

int sc_vk_physical_select(const struct sc_vk_physical_info *infos, uint32_t count,
                          const char *spec)
{
	if (!spec || !*spec || strcmp(spec, "auto") == 0) {
		int best = -1;
		for (uint32_t i = 0; i < count; i++) {
			if (!has_compute_queue(&infos[i]))
				continue;
			if (best < 0 || type_rank(infos[i].type) > type_rank(infos[best].type))
				best = (int)i;
		}
		return best;
	}
	char *end;
	long idx = strtol(spec, &end, 10);
	if (*end == '\0' && end != spec) {
		for (uint32_t i = 0; i < count; i++)
			if ((long)infos[i].index == idx)
				return (int)i;
		return -1;
	}
	for (uint32_t i = 0; i < count; i++) {
		char uuid[37];
		sc_vk_uuid_str(infos[i].uuid, uuid);
		if (strcasecmp(uuid, spec) == 0)
			return (int)i;
	}
	for (uint32_t i = 0; i < count; i++)
		if (contains_ci(infos[i].name, spec))
			return (int)i;
	return -1;
}

static void api_str(uint32_t v, char out[24])
{
	snprintf(out, 24, "%u.%u.%u", VK_API_VERSION_MAJOR(v), VK_API_VERSION_MINOR(v),
	         VK_API_VERSION_PATCH(v));
}

static void queue_flags_str(VkQueueFlags f, char *out, size_t len)
{
	snprintf(out, len, "%s%s%s%s", f & VK_QUEUE_GRAPHICS_BIT ? "graphics " : "",
	         f & VK_QUEUE_COMPUTE_BIT ? "compute " : "", f & VK_QUEUE_TRANSFER_BIT ? "transfer " : "",
	         f & VK_QUEUE_SPARSE_BINDING_BIT ? "sparse " : "");
	size_t n = strlen(out);
	if (n > 0)
		out[n - 1] = '\0';
}

void sc_vk_physical_print(const struct sc_vk_physical_info *info, FILE *out)
{
	char api[24], uuid[37];
	api_str(info->api_version, api);
	sc_vk_uuid_str(info->uuid, uuid);
	fprintf(out, "[%u] %s\n", info->index, info->name);
	fprintf(out, "    type: %s   driver: %s (%s)   api: %s\n", sc_vk_device_type_str(info->type),
	        info->driver_name, info->driver_info, api);
	fprintf(out, "    uuid: %s\n", uuid);
	for (uint32_t q = 0; q < info->n_queue_families; q++) {
		char flags[64];
		queue_flags_str(info->queue_families[q].queueFlags, flags, sizeof(flags));
		fprintf(out, "    queue family %u: %u x (%s)\n", q, info->queue_families[q].queueCount, flags);
	}
	fprintf(out, "    VK_KHR_external_memory_fd: %s   VK_EXT_external_memory_dma_buf: %s\n",
	        info->ext_external_memory_fd ? "yes" : "no", info->ext_external_memory_dma_buf ? "yes" : "no");
	fprintf(out, "    VK_EXT_external_memory_host: %s   VK_EXT_device_fault: %s   timeline semaphores: %s\n",
	        info->ext_external_memory_host ? "yes" : "no", info->ext_device_fault ? "yes" : "no",
	        info->timeline_semaphores ? "yes" : "no");
}

void sc_vk_physical_print_json(const struct sc_vk_physical_info *info, FILE *out)
{
	char api[24], uuid[37];
	api_str(info->api_version, api);
	sc_vk_uuid_str(info->uuid, uuid);
	fprintf(out, "{\"index\":%u,\"name\":", info->index);
	sc_json_fput_str(out, info->name);
	fprintf(out, ",\"type\":\"%s\",\"driver\":", sc_vk_device_type_str(info->type));
	sc_json_fput_str(out, info->driver_name);
	fprintf(out, ",\"driver_info\":");
	sc_json_fput_str(out, info->driver_info);
	fprintf(out, ",\"api_version\":\"%s\",\"uuid\":\"%s\",\"queue_families\":[", api, uuid);
	for (uint32_t q = 0; q < info->n_queue_families; q++) {
		VkQueueFlags f = info->queue_families[q].queueFlags;
		fprintf(out, "%s{\"index\":%u,\"count\":%u,\"graphics\":%s,\"compute\":%s,\"transfer\":%s}",
		        q ? "," : "", q, info->queue_families[q].queueCount,
		        f & VK_QUEUE_GRAPHICS_BIT ? "true" : "false", f & VK_QUEUE_COMPUTE_BIT ? "true" : "false",
		        f & VK_QUEUE_TRANSFER_BIT ? "true" : "false");
	}
	fprintf(out, "],\"VK_KHR_external_memory_fd\":%s,\"VK_EXT_external_memory_dma_buf\":%s,"
	             "\"VK_EXT_external_memory_host\":%s,\"VK_EXT_device_fault\":%s,\"timeline_semaphores\":%s}",
	        info->ext_external_memory_fd ? "true" : "false", info->ext_external_memory_dma_buf ? "true" : "false",
	        info->ext_external_memory_host ? "true" : "false", info->ext_device_fault ? "true" : "false",
	        info->timeline_semaphores ? "true" : "false");
}
