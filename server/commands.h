/* The subcommands of the shadowcast binary: argv[0] is the command name,
 * as a program name for getopt. */
#ifndef SC_SERVER_COMMANDS_H
#define SC_SERVER_COMMANDS_H

int sc_cmd_sim(int argc, char **argv);
int sc_cmd_devices(int argc, char **argv);
/* `run`: the supervisor (server/supervisor.c); `__child`: one of its processes
 * (server/child.c), started by the supervisor only. */
int sc_cmd_run(int argc, char **argv);
int sc_cmd_child(int argc, char **argv);

/* shadow tracking captures (server/cmd_inspect.c, server/cmd_replay.c) */
int sc_cmd_inspect(int argc, char **argv);
int sc_cmd_replay(int argc, char **argv);

/* `profile FILE [--json]`: a session profile's summary (server/cmd_profile.c) */
int sc_cmd_profile(int argc, char **argv);

/* `ctl URL COMMAND`: a client of the debug API (server/cmd_ctl.c) */
int sc_cmd_ctl(int argc, char **argv);

#endif
