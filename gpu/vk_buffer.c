#include "gpu/vk_buffer.h"

#include <string.h>

#include "gpu/vk_result.h"
#include "util/log.h"

bool sc_vk_buffer_init(struct sc_vk_buffer *buf, struct sc_vk_device *dev, VkDeviceSize size,
                       VkBufferUsageFlags usage, bool host_visible)
{
	memset(buf, 0, sizeof(*buf));
	buf->size = size;
	VkBufferCreateInfo bci = {
		.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
		.size = size,
		.usage = usage,
		.sharingMode = VK_SHARING_MODE_EXCLUSIVE,
	};
	if (!sc_vk_ok(vkCreateBuffer(dev->device, &bci, NULL, &buf->buffer), "vkCreateBuffer"))
		return false;
	VkMemoryRequirements req;
	vkGetBufferMemoryRequirements(dev->device, buf->buffer, &req);
	VkMemoryPropertyFlags want = host_visible
		? VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT
		: VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
	int type = sc_vk_memory_type(dev, req.memoryTypeBits, want);
	if (type < 0 && !host_visible)
		type = sc_vk_memory_type(dev, req.memoryTypeBits, 0);
	if (type < 0) {
		sc_err("no Vulkan memory type for a %s buffer of %llu bytes",
		       host_visible ? "host-visible" : "device", (unsigned long long)size);
		goto err;
	}
	VkMemoryAllocateInfo ai = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
		.allocationSize = req.size,
		.memoryTypeIndex = (uint32_t)type,
	};
	if (!sc_vk_ok(vkAllocateMemory(dev->device, &ai, NULL, &buf->memory), "vkAllocateMemory"))
		goto err;
	if (!sc_vk_ok(vkBindBufferMemory(dev->device, buf->buffer, buf->memory, 0), "vkBindBufferMemory"))
		goto err;
	if (host_visible &&
	    !sc_vk_ok(vkMapMemory(dev->device, buf->memory, 0, VK_WHOLE_SIZE, 0, &buf->map), "vkMapMemory"))
		goto err;
	return true;
err:
	sc_vk_buffer_finish(buf, dev);
	return false;
}

void sc_vk_buffer_finish(struct sc_vk_buffer *buf, struct sc_vk_device *dev)
{
	if (buf->buffer)
		vkDestroyBuffer(dev->device, buf->buffer, NULL);
	if (buf->memory)
		vkFreeMemory(dev->device, buf->memory, NULL); /* implicitly unmaps */
	memset(buf, 0, sizeof(*buf));
}
