/* VK_EXT_device_fault: the report's JSON form (from a synthetic report, since no
 * device here can be lost on purpose) and the probe on the real device, which
 * says why there is no report when the driver lacks the extension. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpu/device_fault.h"

static int failures;
#define CHECK(cond, ...) do { if (!(cond)) { fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
	fprintf(stderr, __VA_ARGS__); fprintf(stderr, "\n"); failures++; } } while (0)

int main(void)
{
	VkDeviceFaultAddressInfoEXT addrs[2] = {
		{VK_DEVICE_FAULT_ADDRESS_TYPE_WRITE_INVALID_EXT, 0xdeadbeef000ull, 4096},
		{VK_DEVICE_FAULT_ADDRESS_TYPE_INSTRUCTION_POINTER_FAULT_EXT, 0x1234ull, 0},
	};
	VkDeviceFaultVendorInfoEXT vendor = {.vendorFaultCode = 0x2a, .vendorFaultData = 7};
	snprintf(vendor.description, sizeof(vendor.description), "MMU \"fault\"\n");
	VkDeviceFaultInfoEXT info = {.sType = VK_STRUCTURE_TYPE_DEVICE_FAULT_INFO_EXT,
	                             .pAddressInfos = addrs, .pVendorInfos = &vendor};
	snprintf(info.description, sizeof(info.description), "page fault in compute");
	VkDeviceFaultCountsEXT counts = {.sType = VK_STRUCTURE_TYPE_DEVICE_FAULT_COUNTS_EXT,
	                                 .addressInfoCount = 2, .vendorInfoCount = 1, .vendorBinarySize = 0};
	char *json = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&json, &len);
	sc_device_fault_json(&info, &counts, f);
	fclose(f);
	CHECK(strstr(json, "\"description\":\"page fault in compute\"") != NULL, "description: %s", json);
	CHECK(strstr(json, "{\"type\":\"write-invalid\",\"address\":\"0x00000deadbeef000\",\"precision\":4096}") != NULL,
	      "address info: %s", json);
	CHECK(strstr(json, "\"type\":\"instruction-pointer-fault\"") != NULL, "second address: %s", json);
	CHECK(strstr(json, "\"description\":\"MMU \\\"fault\\\"\\n\",\"code\":\"0x2a\",\"data\":\"0x7\"") != NULL,
	      "vendor info escaped: %s", json);
	free(json);

	struct sc_vk_device *dev = sc_vk_device_create("auto");
	if (!dev)
		return 1;
	char why[160] = "";
	json = NULL;
	f = open_memstream(&json, &len);
	bool wrote = sc_device_fault_write(dev, f, why, sizeof(why));
	fclose(f);
	CHECK(sc_device_fault_offered(dev) || (!wrote && strstr(why, "not offered")),
	      "a device that cannot give a report says it is not offered: '%s'", why);
	if (dev->info.ext_device_fault) {
		CHECK(dev->device_fault || strstr(why, "not offered"), "extension offered: enabled or explained");
	} else {
		CHECK(!wrote && strstr(why, "VK_EXT_device_fault not offered by this driver") != NULL,
		      "no extension: no report, and why: '%s'", why);
		CHECK(len == 0, "nothing written without a report");
	}
	free(json);
	sc_vk_device_destroy(dev);
	if (failures)
		return 1;
	printf("device fault ok (%s)\n", why[0] ? why : "report path available");
	return 0;
}
