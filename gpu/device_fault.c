#include "gpu/device_fault.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "gpu/vk_result.h"
#include "util/json_escape.h"

static const char *address_type_name(VkDeviceFaultAddressTypeEXT t)
{
	switch (t) {
	case VK_DEVICE_FAULT_ADDRESS_TYPE_NONE_EXT: return "none";
	case VK_DEVICE_FAULT_ADDRESS_TYPE_READ_INVALID_EXT: return "read-invalid";
	case VK_DEVICE_FAULT_ADDRESS_TYPE_WRITE_INVALID_EXT: return "write-invalid";
	case VK_DEVICE_FAULT_ADDRESS_TYPE_EXECUTE_INVALID_EXT: return "execute-invalid";
	case VK_DEVICE_FAULT_ADDRESS_TYPE_INSTRUCTION_POINTER_UNKNOWN_EXT: return "instruction-pointer-unknown";
	case VK_DEVICE_FAULT_ADDRESS_TYPE_INSTRUCTION_POINTER_INVALID_EXT: return "instruction-pointer-invalid";
	case VK_DEVICE_FAULT_ADDRESS_TYPE_INSTRUCTION_POINTER_FAULT_EXT: return "instruction-pointer-fault";
	default: return "unknown";
	}
}

void sc_device_fault_json(const VkDeviceFaultInfoEXT *info, const VkDeviceFaultCountsEXT *counts, FILE *out)
{
	fprintf(out, "{\"description\":");
	sc_json_fput_strn(out, info->description, VK_MAX_DESCRIPTION_SIZE);
	fprintf(out, ",\"addresses\":[");
	for (uint32_t i = 0; info->pAddressInfos && i < counts->addressInfoCount; i++) {
		const VkDeviceFaultAddressInfoEXT *a = &info->pAddressInfos[i];
		/* the faulting address lies in [reported & ~(precision-1), | (precision-1)] */
		fprintf(out, "%s{\"type\":\"%s\",\"address\":\"0x%016" PRIx64 "\",\"precision\":%" PRIu64 "}",
		        i ? "," : "", address_type_name(a->addressType), (uint64_t)a->reportedAddress,
		        (uint64_t)a->addressPrecision);
	}
	fprintf(out, "],\"vendor\":[");
	for (uint32_t i = 0; info->pVendorInfos && i < counts->vendorInfoCount; i++) {
		const VkDeviceFaultVendorInfoEXT *v = &info->pVendorInfos[i];
		fprintf(out, "%s{\"description\":", i ? "," : "");
		sc_json_fput_strn(out, v->description, VK_MAX_DESCRIPTION_SIZE);
		fprintf(out, ",\"code\":\"0x%" PRIx64 "\",\"data\":\"0x%" PRIx64 "\"}", v->vendorFaultCode,
		        v->vendorFaultData);
	}
	fprintf(out, "],\"vendor_binary_bytes\":%" PRIu64 "}\n", (uint64_t)counts->vendorBinarySize);
}

bool sc_device_fault_offered(const struct sc_vk_device *dev)
{
	return dev->device_fault && dev->get_device_fault_info;
}

bool sc_device_fault_write(struct sc_vk_device *dev, FILE *out, char *why, size_t whylen)
{
	if (!sc_device_fault_offered(dev)) {
		snprintf(why, whylen, "VK_EXT_device_fault not offered by this driver (%s)", dev->info.driver_name);
		return false;
	}
	VkDeviceFaultCountsEXT counts = {.sType = VK_STRUCTURE_TYPE_DEVICE_FAULT_COUNTS_EXT};
	VkResult r = dev->get_device_fault_info(dev->device, &counts, NULL);
	if (r != VK_SUCCESS && r != VK_INCOMPLETE) {
		snprintf(why, whylen, "vkGetDeviceFaultInfoEXT (counts): %s", sc_vk_result_str(r));
		return false;
	}
	VkDeviceFaultInfoEXT info = {.sType = VK_STRUCTURE_TYPE_DEVICE_FAULT_INFO_EXT};
	info.pAddressInfos = counts.addressInfoCount ? calloc(counts.addressInfoCount, sizeof(*info.pAddressInfos)) : NULL;
	info.pVendorInfos = counts.vendorInfoCount ? calloc(counts.vendorInfoCount, sizeof(*info.pVendorInfos)) : NULL;
	counts.vendorBinarySize = 0; /* the binary crash dump is not kept */
	bool ok = (!counts.addressInfoCount || info.pAddressInfos) && (!counts.vendorInfoCount || info.pVendorInfos);
	if (!ok) {
		snprintf(why, whylen, "out of memory for the device fault report");
	} else {
		r = dev->get_device_fault_info(dev->device, &counts, &info);
		ok = r == VK_SUCCESS || r == VK_INCOMPLETE;
		if (ok)
			sc_device_fault_json(&info, &counts, out);
		else
			snprintf(why, whylen, "vkGetDeviceFaultInfoEXT: %s", sc_vk_result_str(r));
	}
	free(info.pAddressInfos);
	free(info.pVendorInfos);
	return ok;
}
