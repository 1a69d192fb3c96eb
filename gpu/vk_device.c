#include "gpu/vk_device.h"

#include <stdlib.h>
#include <string.h>

#include "gpu/vk_result.h"
#include "util/log.h"

#define MAX_DEVICES 16

bool sc_vk_instance_create(VkInstance *instance)
{
	VkApplicationInfo app = {
		.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
		.pApplicationName = "shadowcast",
		.applicationVersion = VK_MAKE_API_VERSION(0, 0, 1, 0),
		.pEngineName = "shadowcast",
		.apiVersion = VK_API_VERSION_1_2,
	};
	VkInstanceCreateInfo ci = {
		.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
		.pApplicationInfo = &app,
	};
	VkResult r = vkCreateInstance(&ci, NULL, instance);
	if (r == VK_ERROR_INCOMPATIBLE_DRIVER) {
		sc_err("no Vulkan driver found: install mesa-vulkan-drivers (lavapipe) or a GPU driver");
		return false;
	}
	return sc_vk_ok(r, "vkCreateInstance");
}

static bool pick_compute_family(const struct sc_vk_physical_info *info, uint32_t *family)
{
	/* Prefer a compute-only family (async compute), else any with compute. */
	for (int pass = 0; pass < 2; pass++) {
		for (uint32_t q = 0; q < info->n_queue_families; q++) {
			VkQueueFlags f = info->queue_families[q].queueFlags;
			if (!(f & VK_QUEUE_COMPUTE_BIT) || info->queue_families[q].timestampValidBits == 0)
				continue;
			if (pass == 0 && (f & VK_QUEUE_GRAPHICS_BIT))
				continue;
			*family = q;
			return true;
		}
	}
	return false;
}

/* True when the device calibrates against CLOCK_MONOTONIC (sc_now_ns's clock). */
static bool monotonic_domain(struct sc_vk_device *dev)
{
	PFN_vkGetPhysicalDeviceCalibrateableTimeDomainsEXT get = (PFN_vkGetPhysicalDeviceCalibrateableTimeDomainsEXT)
		vkGetInstanceProcAddr(dev->instance, "vkGetPhysicalDeviceCalibrateableTimeDomainsEXT");
	VkTimeDomainEXT domains[8];
	uint32_t n = 8;
	if (!get)
		return false;
	VkResult r = get(dev->info.handle, &n, domains);
	if (r != VK_SUCCESS && r != VK_INCOMPLETE)
		return false;
	bool device = false, mono = false;
	for (uint32_t i = 0; i < n; i++) {
		device |= domains[i] == VK_TIME_DOMAIN_DEVICE_EXT;
		mono |= domains[i] == VK_TIME_DOMAIN_CLOCK_MONOTONIC_EXT;
	}
	return device && mono;
}

static bool create_logical(struct sc_vk_device *dev)
{
	const char *exts[6];
	uint32_t n = 0;
	/* VK_EXT_device_fault, where the driver offers it with its feature: the
	 * report after a device loss goes with the incident */
	VkPhysicalDeviceFaultFeaturesEXT fault = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FAULT_FEATURES_EXT};
	if (dev->info.ext_device_fault) {
		VkPhysicalDeviceFeatures2 f2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2, .pNext = &fault};
		vkGetPhysicalDeviceFeatures2(dev->info.handle, &f2);
		if (fault.deviceFault) {
			exts[n++] = "VK_EXT_device_fault";
			dev->device_fault = true;
			fault.deviceFaultVendorBinary = VK_FALSE;
		}
	}
	if (dev->info.ext_external_memory_fd) {
		exts[n++] = VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME;
		dev->external_memory_fd = true;
		if (dev->info.ext_external_memory_dma_buf) {
			exts[n++] = "VK_EXT_external_memory_dma_buf";
			dev->external_memory_dma_buf = true;
		}
	}
	if (dev->info.ext_external_memory_host) {
		exts[n++] = VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME;
		dev->external_memory_host = true;
	}
	bool calibrated = dev->info.ext_calibrated_timestamps && monotonic_domain(dev);
	if (calibrated)
		exts[n++] = VK_EXT_CALIBRATED_TIMESTAMPS_EXTENSION_NAME;
	float priority = 1.0f;
	VkDeviceQueueCreateInfo qci = {
		.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
		.queueFamilyIndex = dev->queue_family,
		.queueCount = 1,
		.pQueuePriorities = &priority,
	};
	VkDeviceCreateInfo ci = {
		.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
		.pNext = dev->device_fault ? &fault : NULL,
		.queueCreateInfoCount = 1,
		.pQueueCreateInfos = &qci,
		.enabledExtensionCount = n,
		.ppEnabledExtensionNames = exts,
	};
	if (!sc_vk_ok(vkCreateDevice(dev->info.handle, &ci, NULL, &dev->device), "vkCreateDevice"))
		return false;
	vkGetDeviceQueue(dev->device, dev->queue_family, 0, &dev->queue);
	if (dev->external_memory_fd)
		dev->get_memory_fd = (PFN_vkGetMemoryFdKHR)vkGetDeviceProcAddr(dev->device, "vkGetMemoryFdKHR");
	if (dev->device_fault)
		dev->get_device_fault_info =
			(PFN_vkGetDeviceFaultInfoEXT)vkGetDeviceProcAddr(dev->device, "vkGetDeviceFaultInfoEXT");
	if (calibrated)
		dev->get_calibrated_timestamps =
			(PFN_vkGetCalibratedTimestampsEXT)vkGetDeviceProcAddr(dev->device, "vkGetCalibratedTimestampsEXT");
	if (dev->external_memory_host)
		dev->get_memory_host_pointer_properties = (PFN_vkGetMemoryHostPointerPropertiesEXT)
			vkGetDeviceProcAddr(dev->device, "vkGetMemoryHostPointerPropertiesEXT");
	VkCommandPoolCreateInfo pci = {
		.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
		.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
		.queueFamilyIndex = dev->queue_family,
	};
	return sc_vk_ok(vkCreateCommandPool(dev->device, &pci, NULL, &dev->cmd_pool), "vkCreateCommandPool");
}

struct sc_vk_device *sc_vk_device_create(const char *spec)
{
	struct sc_vk_device *dev = calloc(1, sizeof(*dev));
	struct sc_vk_physical_info *infos = calloc(MAX_DEVICES, sizeof(*infos));
	if (!dev || !infos)
		goto err;
	if (!sc_vk_instance_create(&dev->instance))
		goto err;
	uint32_t count = MAX_DEVICES;
	if (!sc_vk_physical_enumerate(dev->instance, infos, &count))
		goto err;
	if (count == 0) {
		sc_err("no Vulkan physical devices: install mesa-vulkan-drivers (lavapipe) or a GPU driver");
		goto err;
	}
	int sel = sc_vk_physical_select(infos, count, spec);
	if (sel < 0) {
		sc_err("no Vulkan device matches '%s'; the devices are:", spec ? spec : "auto");
		for (uint32_t i = 0; i < count; i++)
			sc_vk_physical_print(&infos[i], stderr);
		goto err;
	}
	dev->info = infos[sel];
	if (!pick_compute_family(&dev->info, &dev->queue_family)) {
		sc_err("device '%s' has no compute queue with timestamps", dev->info.name);
		goto err;
	}
	vkGetPhysicalDeviceMemoryProperties(dev->info.handle, &dev->mem_props);
	if (!create_logical(dev))
		goto err;
	sc_info("vulkan device [%u] %s (%s, driver %s), compute queue family %u%s", dev->info.index,
	        dev->info.name, sc_vk_device_type_str(dev->info.type), dev->info.driver_name,
	        dev->queue_family, dev->device_fault ? ", VK_EXT_device_fault on" : "");
	free(infos);
	return dev;
err:
	free(infos);
	sc_vk_device_destroy(dev);
	return NULL;
}

void sc_vk_device_destroy(struct sc_vk_device *dev)
{
	if (!dev)
		return;
	if (dev->device) {
		if (dev->cmd_pool)
			vkDestroyCommandPool(dev->device, dev->cmd_pool, NULL);
		vkDestroyDevice(dev->device, NULL);
	}
	if (dev->instance)
		vkDestroyInstance(dev->instance, NULL);
	free(dev);
}

int sc_vk_memory_type(const struct sc_vk_device *dev, uint32_t type_bits,
                      VkMemoryPropertyFlags flags)
{
	for (uint32_t i = 0; i < dev->mem_props.memoryTypeCount; i++)
		if ((type_bits & (1u << i)) && (dev->mem_props.memoryTypes[i].propertyFlags & flags) == flags)
			return (int)i;
	return -1;
}
