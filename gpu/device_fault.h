/* VK_EXT_device_fault: what the driver says about a lost device. Enabled on
 * the logical device where offered (gpu/vk_device.c); queried after
 * VK_ERROR_DEVICE_LOST and saved with the incident. */
#ifndef SC_GPU_DEVICE_FAULT_H
#define SC_GPU_DEVICE_FAULT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <vulkan/vulkan.h>

#include "gpu/vk_device.h"

/* Whether the device can give a report at all: the driver offers
 * VK_EXT_device_fault with its feature and it was enabled. */
bool sc_device_fault_offered(const struct sc_vk_device *dev);

/* Writes the report as JSON to out. false, with why (e.g. "VK_EXT_device_fault
 * not offered by this driver (llvmpipe)"), when there is none to write. */
bool sc_device_fault_write(struct sc_vk_device *dev, FILE *out, char *why, size_t whylen);

/* The JSON form of one report (separate so it can be tested without a lost device). */
void sc_device_fault_json(const VkDeviceFaultInfoEXT *info, const VkDeviceFaultCountsEXT *counts, FILE *out);

#endif
