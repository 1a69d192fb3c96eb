#ifndef SC_GPU_VK_RESULT_H
#define SC_GPU_VK_RESULT_H
#include <stdbool.h>
#include <vulkan/vulkan.h>

const char *sc_vk_result_str(VkResult r);

/* Logs "WHAT failed: VK_ERROR_..." and returns false unless r is VK_SUCCESS. */
bool sc_vk_ok(VkResult r, const char *what);

#endif
