/* `shadowcast __child ROLE --ipc-fd N <run options>`: one process of a `run`
 * session, started by the supervisor (server/supervisor.c). It parses the same
 * options as the supervisor did, so every process sees the same configuration,
 * and runs the role on its end of the supervisor's socketpair. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "server/commands.h"
#include "server/config.h"
#include "server/roles.h"
#include "shadow/shadow_process.h"
#include "util/log.h"
#include "util/parse.h"

struct child_role {
	const char *name;
	int (*main)(int ipc_fd, const struct sc_run_config *cfg);
};

/* The shadow (shadow/) takes only what it needs of the run configuration. */
static int shadow_role_main(int ipc_fd, const struct sc_run_config *cfg)
{
	struct sc_shadow_config sc = {
		.delay_ticks = cfg->delay_ticks,
		.slot = cfg->shadow_slot,
		.follow_checkpoint = cfg->follow_checkpoint,
		.backlog_mib = cfg->shadow_backlog_mib,
		.desync_tick = cfg->desync_tick,
		.sample_every = cfg->sample_every,
		.capture_quota_bytes = (uint64_t)cfg->captures_quota_mib << 20,
	};
	sc_run_config_game(cfg, &sc.game);
	for (uint32_t i = 0; i < cfg->n_conditions && i < sizeof(sc.conditions) / sizeof(sc.conditions[0]); i++) {
		snprintf(sc.conditions[i].name, sizeof(sc.conditions[i].name), "%s", cfg->conditions[i].name);
		snprintf(sc.conditions[i].text, sizeof(sc.conditions[i].text), "%s", cfg->conditions[i].text);
		sc.n_conditions = i + 1;
	}
	snprintf(sc.device, sizeof(sc.device), "%s", cfg->shadow_device[0] ? cfg->shadow_device : cfg->device);
	snprintf(sc.capture_root, sizeof(sc.capture_root), "%s", cfg->capture_root);
	snprintf(sc.restore, sizeof(sc.restore), "%s", cfg->restore);
	return sc_shadow_main(ipc_fd, &sc);
}

static const struct child_role child_roles[] = {
	{"primary", sc_primary_main},
	{"encoder", sc_encoder_process_main},
	{"shadow", shadow_role_main},
};

static bool is_seqpacket_socket(int fd)
{
	int type = 0;
	socklen_t len = sizeof(type);
	return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_SEQPACKET;
}

int sc_cmd_child(int argc, char **argv)
{
	uint32_t ipc_fd;
	if (argc < 4 || strcmp(argv[2], "--ipc-fd") != 0 || !sc_parse_u32(argv[3], 3, 1u << 20, &ipc_fd)) {
		fprintf(stderr, "usage: shadowcast __child primary|encoder|shadow --ipc-fd N [run options]\n"
		                "(started by 'shadowcast run'; not for use by hand)\n");
		return 2;
	}
	const struct child_role *role = NULL;
	for (size_t i = 0; i < sizeof(child_roles) / sizeof(child_roles[0]); i++)
		if (strcmp(argv[1], child_roles[i].name) == 0)
			role = &child_roles[i];
	if (!role) {
		fprintf(stderr, "shadowcast __child: unknown role '%s'\n", argv[1]);
		return 2;
	}
	sc_log_set_role(role->name);
	if (!is_seqpacket_socket((int)ipc_fd)) {
		sc_err("--ipc-fd %u is not a SOCK_SEQPACKET socket (this command is started by 'shadowcast run')",
		       ipc_fd);
		return 2;
	}
	if (fcntl((int)ipc_fd, F_SETFD, FD_CLOEXEC) != 0)
		sc_warn("ipc fd: F_SETFD: %m");

	/* the run options, as `run` saw them: argv[0] names the command */
	char **run_argv = calloc((size_t)argc - 2, sizeof(*run_argv));
	if (!run_argv) {
		sc_err("out of memory");
		return 1;
	}
	run_argv[0] = "run";
	for (int i = 4; i < argc; i++)
		run_argv[i - 3] = argv[i];
	struct sc_run_config cfg;
	sc_run_config_defaults(&cfg);
	bool ok = sc_run_config_parse(&cfg, argc - 3, run_argv, true);
	free(run_argv);
	if (!ok)
		return 2;
	return role->main((int)ipc_fd, &cfg);
}
