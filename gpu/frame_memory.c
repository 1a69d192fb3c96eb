#include "gpu/frame_memory.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "gpu/vk_result.h"
#include "util/log.h"

#define FRAME_USAGE (VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT | \
                     VK_BUFFER_USAGE_TRANSFER_DST_BIT)

const char *sc_frame_memory_kind_str(enum sc_frame_memory_kind kind)
{
	return kind == SC_FRAME_MEMORY_DMABUF ? "dma-buf" : "host-memfd";
}

static bool create_external_buffer(struct sc_vk_device *dev, size_t size,
                                   VkExternalMemoryHandleTypeFlagBits type, VkBuffer *buffer)
{
	VkExternalMemoryBufferCreateInfo ext = {
		.sType = VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_BUFFER_CREATE_INFO,
		.handleTypes = type,
	};
	VkBufferCreateInfo bci = {
		.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
		.pNext = &ext,
		.size = size,
		.usage = FRAME_USAGE,
		.sharingMode = VK_SHARING_MODE_EXCLUSIVE,
	};
	return sc_vk_ok(vkCreateBuffer(dev->device, &bci, NULL, buffer), "vkCreateBuffer(external)");
}

/* Why DMA-BUF cannot be used, or NULL when it can be tried. */
static const char *dmabuf_unavailable(struct sc_vk_device *dev)
{
	if (!dev->external_memory_dma_buf)
		return "device lacks VK_EXT_external_memory_dma_buf";
	VkPhysicalDeviceExternalBufferInfo info = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_BUFFER_INFO,
		.usage = FRAME_USAGE,
		.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT,
	};
	VkExternalBufferProperties props = {.sType = VK_STRUCTURE_TYPE_EXTERNAL_BUFFER_PROPERTIES};
	vkGetPhysicalDeviceExternalBufferProperties(dev->info.handle, &info, &props);
	if (!(props.externalMemoryProperties.externalMemoryFeatures &
	      VK_EXTERNAL_MEMORY_FEATURE_EXPORTABLE_BIT))
		return "DMA-BUF buffers are not exportable on this device";
	return NULL;
}

static bool init_dmabuf(struct sc_frame_memory *fm, struct sc_vk_device *dev)
{
	if (!create_external_buffer(dev, fm->size, VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT,
	                            &fm->buffer))
		return false;
	VkMemoryDedicatedRequirements dedicated = {.sType = VK_STRUCTURE_TYPE_MEMORY_DEDICATED_REQUIREMENTS};
	VkMemoryRequirements2 req = {.sType = VK_STRUCTURE_TYPE_MEMORY_REQUIREMENTS_2, .pNext = &dedicated};
	VkBufferMemoryRequirementsInfo2 rinfo = {
		.sType = VK_STRUCTURE_TYPE_BUFFER_MEMORY_REQUIREMENTS_INFO_2,
		.buffer = fm->buffer,
	};
	vkGetBufferMemoryRequirements2(dev->device, &rinfo, &req);
	/* The encoder maps the frames: host-visible memory is required on this path. */
	int type = sc_vk_memory_type(dev, req.memoryRequirements.memoryTypeBits,
	                             VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
	if (type < 0) {
		sc_warn("frame memory: no host-visible memory type can be exported as DMA-BUF");
		return false;
	}
	VkMemoryDedicatedAllocateInfo dinfo = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO,
		.buffer = fm->buffer,
	};
	VkExportMemoryAllocateInfo export = {
		.sType = VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO,
		.pNext = dedicated.requiresDedicatedAllocation ? &dinfo : NULL,
		.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT,
	};
	VkMemoryAllocateInfo ai = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
		.pNext = &export,
		.allocationSize = req.memoryRequirements.size,
		.memoryTypeIndex = (uint32_t)type,
	};
	if (!sc_vk_ok(vkAllocateMemory(dev->device, &ai, NULL, &fm->memory), "vkAllocateMemory(dma-buf)") ||
	    !sc_vk_ok(vkBindBufferMemory(dev->device, fm->buffer, fm->memory, 0), "vkBindBufferMemory"))
		return false;
	VkMemoryGetFdInfoKHR gi = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_GET_FD_INFO_KHR,
		.memory = fm->memory,
		.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT,
	};
	if (!sc_vk_ok(dev->get_memory_fd(dev->device, &gi, &fm->fd), "vkGetMemoryFdKHR(dma-buf)"))
		return false;
	/* vkMapMemory rather than mmap of the DMA-BUF: NVIDIA maps exported DMA-BUFs only since 565. */
	return sc_vk_ok(vkMapMemory(dev->device, fm->memory, 0, VK_WHOLE_SIZE, 0, &fm->map), "vkMapMemory");
}

static bool init_host_memfd(struct sc_frame_memory *fm, struct sc_vk_device *dev)
{
	size_t align = dev->info.min_imported_host_pointer_alignment;
	if (align < 4096)
		align = 4096;
	fm->size = (fm->size + align - 1) / align * align;
	fm->fd = memfd_create("shadowcast-frames", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fm->fd < 0) {
		sc_err("memfd_create: %s", strerror(errno));
		return false;
	}
	if (ftruncate(fm->fd, (off_t)fm->size) != 0 ||
	    fcntl(fm->fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
		sc_err("frame memfd of %zu bytes: %s", fm->size, strerror(errno));
		return false;
	}
	void *map = mmap(NULL, fm->size, PROT_READ | PROT_WRITE, MAP_SHARED, fm->fd, 0);
	if (map == MAP_FAILED) {
		sc_err("mmap frame memfd: %s", strerror(errno));
		return false;
	}
	fm->map = map;
	VkMemoryHostPointerPropertiesEXT hp = {.sType = VK_STRUCTURE_TYPE_MEMORY_HOST_POINTER_PROPERTIES_EXT};
	if (!sc_vk_ok(dev->get_memory_host_pointer_properties(dev->device,
	              VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT, fm->map, &hp),
	              "vkGetMemoryHostPointerPropertiesEXT"))
		return false;
	if (!create_external_buffer(dev, fm->size, VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT,
	                            &fm->buffer))
		return false;
	VkMemoryRequirements req;
	vkGetBufferMemoryRequirements(dev->device, fm->buffer, &req);
	int type = sc_vk_memory_type(dev, req.memoryTypeBits & hp.memoryTypeBits, 0);
	if (type < 0) {
		sc_err("frame memory: no memory type can import host memory for a buffer");
		return false;
	}
	VkImportMemoryHostPointerInfoEXT import = {
		.sType = VK_STRUCTURE_TYPE_IMPORT_MEMORY_HOST_POINTER_INFO_EXT,
		.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT,
		.pHostPointer = fm->map,
	};
	VkMemoryAllocateInfo ai = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
		.pNext = &import,
		.allocationSize = fm->size,
		.memoryTypeIndex = (uint32_t)type,
	};
	return sc_vk_ok(vkAllocateMemory(dev->device, &ai, NULL, &fm->memory), "vkAllocateMemory(host import)") &&
	       sc_vk_ok(vkBindBufferMemory(dev->device, fm->buffer, fm->memory, 0), "vkBindBufferMemory");
}

bool sc_frame_memory_init(struct sc_frame_memory *fm, struct sc_vk_device *dev, size_t size)
{
	memset(fm, 0, sizeof(*fm));
	fm->fd = -1;
	fm->size = (size + 4095) / 4096 * 4096;

	const char *why_not = dmabuf_unavailable(dev);
	if (!why_not) {
		fm->kind = SC_FRAME_MEMORY_DMABUF;
		if (init_dmabuf(fm, dev)) {
			sc_info("frame memory: %zu bytes exported as DMA-BUF (VA-API can import it without a copy)", fm->size);
			return true;
		}
		why_not = "DMA-BUF export failed";
		sc_frame_memory_finish(fm, dev);
		fm->fd = -1;
		fm->size = (size + 4095) / 4096 * 4096;
	}
	if (!dev->external_memory_host) {
		sc_err("frame memory: %s and device lacks VK_EXT_external_memory_host; "
		       "no way to share frames without a copy", why_not);
		return false;
	}
	fm->kind = SC_FRAME_MEMORY_HOST_MEMFD;
	if (!init_host_memfd(fm, dev)) {
		sc_frame_memory_finish(fm, dev);
		return false;
	}
	sc_info("frame memory: %zu bytes in a shared memfd imported as Vulkan host memory (%s)",
	        fm->size, why_not);
	return true;
}

void sc_frame_memory_finish(struct sc_frame_memory *fm, struct sc_vk_device *dev)
{
	if (fm->buffer)
		vkDestroyBuffer(dev->device, fm->buffer, NULL);
	if (fm->memory)
		vkFreeMemory(dev->device, fm->memory, NULL);
	if (fm->kind == SC_FRAME_MEMORY_HOST_MEMFD && fm->map)
		munmap(fm->map, fm->size);
	if (fm->fd >= 0)
		close(fm->fd);
	memset(fm, 0, sizeof(*fm));
	fm->fd = -1;
}
