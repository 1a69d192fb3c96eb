/* `shadowcast devices [--json]`: every Vulkan physical device and what it offers. */
#include <stdio.h>
#include <string.h>

#include "gpu/vk_device.h"
#include "gpu/vk_physical.h"
#include "net/encoder/vaapi_probe.h"
#include "server/commands.h"
#include "util/json_escape.h"

#define MAX_DEVICES 16

int sc_cmd_devices(int argc, char **argv)
{
	bool json = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (strcmp(argv[i], "--help") == 0) {
			printf("usage: shadowcast devices [--json]\n");
			return 0;
		} else {
			fprintf(stderr, "shadowcast devices: unknown option '%s'\n", argv[i]);
			return 2;
		}
	}
	VkInstance instance;
	if (!sc_vk_instance_create(&instance))
		return 1;
	struct sc_vk_physical_info infos[MAX_DEVICES];
	uint32_t count = MAX_DEVICES;
	bool ok = sc_vk_physical_enumerate(instance, infos, &count);
	vkDestroyInstance(instance, NULL);
	if (!ok)
		return 1;

	char vaapi_reason[256] = "";
	bool vaapi = sc_vaapi_probe(NULL, vaapi_reason, sizeof(vaapi_reason));
	const char *encoder = vaapi ? "h264_vaapi" : "libx264";

	if (json) {
		printf("{\"devices\":[");
		for (uint32_t i = 0; i < count; i++) {
			if (i)
				printf(",");
			sc_vk_physical_print_json(&infos[i], stdout);
		}
		printf("],\"encoder\":{\"auto\":\"%s\",\"vaapi\":%s,\"vaapi_reason\":", encoder,
		       vaapi ? "true" : "false");
		sc_json_fput_str(stdout, vaapi_reason);
		printf("}}\n");
		return 0;
	}
	if (count == 0)
		printf("no Vulkan devices\n");
	for (uint32_t i = 0; i < count; i++)
		sc_vk_physical_print(&infos[i], stdout);
	printf("encoder (--encoder auto): %s%s%s\n", encoder, vaapi ? "" : " — VA-API unavailable: ",
	       vaapi ? "" : vaapi_reason);
	return 0;
}
