/* `shadowcast inspect CAPTURE [--json]`: the preserved game state of a capture
 * in readable form (no GPU needed). */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "server/commands.h"
#include "shadow/capture.h"
#include "util/json_escape.h"
#include "util/log.h"

struct particle_summary {
	uint32_t alive, trail, spark;
	int32_t x0, y0, x1, y1;
};

static void summarize_particles(const struct sc_capture *cap, struct particle_summary *ps)
{
	memset(ps, 0, sizeof(*ps));
	const uint32_t *p = (const uint32_t *)((const uint8_t *)cap->snap + sizeof(struct sc_game_state));
	for (uint32_t i = 0; i < cap->info.game.particles; i++, p += 4) {
		uint32_t life = p[3] >> 8, kind = p[3] & 0xff;
		if (!life)
			continue;
		int32_t x = (int32_t)p[0], y = (int32_t)p[1];
		if (ps->alive++ == 0) {
			ps->x0 = ps->x1 = x;
			ps->y0 = ps->y1 = y;
		}
		ps->x0 = x < ps->x0 ? x : ps->x0;
		ps->x1 = x > ps->x1 ? x : ps->x1;
		ps->y0 = y < ps->y0 ? y : ps->y0;
		ps->y1 = y > ps->y1 ? y : ps->y1;
		if (kind == 1)
			ps->spark++;
		else
			ps->trail++;
	}
}

static double px(int32_t v)
{
	return v / 256.0;
}

static void print_text(const struct sc_capture *cap)
{
	const struct sc_capture_info *in = &cap->info;
	const struct sc_game_state *st = sc_capture_state(cap);
	const struct sc_game_header *h = &st->hdr;
	printf("capture    %s\n", cap->dir);
	if (in->incident)
		printf("incident   %u: %s (injected %s), signal %u, primary error tick %u\n", in->incident,
		       sc_fault_detected_name(in->detected), in->injected ? sc_fault_kind_name(in->injected) : "none", in->path,
		       in->error_tick);
	else
		printf("incident   none (a capture asked for by a developer)\n");
	if (in->incident && in->detected_tick > in->error_tick)
		printf("LATE       detected %u ticks after the error tick (at tick %u)%s\n", in->detected_tick - in->error_tick,
		       in->detected_tick, h->tick == in->error_tick ? ", within the delay: the pre-error state is held" :
		       ": more than the delay, the held state is after the fault");
	if (in->detail[0])
		printf("detail     %s\n", in->detail);
	printf("held       state after tick %d (next tick %u), delay %u ticks\n", (int)h->tick - 1, h->tick,
	       in->delay_ticks);
	printf("hashes     shadow %016" PRIx64 ", primary ", in->shadow_hash);
	if (in->primary_hash_known)
		printf("%016" PRIx64 " (%s)\n", in->primary_hash, in->primary_hash == in->shadow_hash ? "match" : "DIFFER");
	else
		printf("unknown\n");
	printf("game       %ux%u, seed %u, %u players, %u particles\n", in->game.width, in->game.height, in->game.seed,
	       in->game.players, in->game.particles);
	printf("score      %u:%u  kickoff %u  goals %u  touches %u  wall bounces %u\n", h->score0, h->score1, h->kickoff,
	       h->goals, h->touches, h->wall_bounces);
	for (uint32_t i = 0; i < h->n_players && i < SC_MAX_PLAYERS; i++) {
		const struct sc_game_player *p = &st->players[i];
		printf("player %u   team %u  pos (%.2f, %.2f) px  v (%.2f, %.2f) px/tick  axis (%d, %d)  shield %s  "
		       "cooldown %u  touches %u\n", i, p->team, px(p->x), px(p->y), px(p->vx), px(p->vy), p->ax, p->ay,
		       p->flags & 1 ? "up" : "down", p->cooldown, p->touches);
	}
	printf("puck       pos (%.2f, %.2f) px  v (%.2f, %.2f) px/tick  last touch %d\n", px(st->puck.x), px(st->puck.y),
	       px(st->puck.vx), px(st->puck.vy), st->puck.last_touch);
	struct particle_summary ps;
	summarize_particles(cap, &ps);
	printf("particles  %u alive of %u (trail %u, spark %u)", ps.alive, in->game.particles, ps.trail, ps.spark);
	if (ps.alive)
		printf(", box (%.0f, %.0f)-(%.0f, %.0f) px", px(ps.x0), px(ps.y0), px(ps.x1), px(ps.y1));
	printf("\nfault      ");
	if (h->fault_kind)
		printf("record kind %u tick %u detail %u\n", h->fault_kind, h->fault_tick, h->fault_detail);
	else
		printf("no fault record\n");
	size_t pending = 0, offending = 0;
	for (size_t i = 0; i < cap->n_inputs; i++) {
		if (cap->inputs[i].tick >= h->tick)
			pending++;
		if (cap->inputs[i].tick == h->tick)
			offending++;
	}
	printf("inputs     %zu applied in the window, %zu pending (%zu at tick %u):\n", cap->n_inputs - pending, pending,
	       offending, h->tick);
	for (size_t i = 0; i < cap->n_inputs; i++) {
		if (cap->inputs[i].tick != h->tick)
			continue;
		char line[64];
		sc_input_format(&cap->inputs[i], line, sizeof(line));
		printf("           %s\n", line);
	}
}

static void print_json(const struct sc_capture *cap)
{
	const struct sc_capture_info *in = &cap->info;
	const struct sc_game_state *st = sc_capture_state(cap);
	const struct sc_game_header *h = &st->hdr;
	printf("{\"capture\": ");
	sc_json_fput_str(stdout, cap->dir);
	if (in->incident)
		printf(", \"incident\": %u, \"detected\": \"%s\", \"injected\": %s%s%s, \"detection_path\": %u, "
		       "\"error_tick\": %u", in->incident, sc_fault_detected_name(in->detected), in->injected ? "\"" : "",
		       in->injected ? sc_fault_kind_name(in->injected) : "null", in->injected ? "\"" : "", in->path,
		       in->error_tick);
	else
		printf(", \"incident\": null");
	if (in->incident)
		printf(", \"detected_tick\": %u, \"detection_lag_ticks\": %u, \"holds_pre_error_state\": %s",
		       in->detected_tick, in->detected_tick - in->error_tick, h->tick == in->error_tick ? "true" : "false");
	printf(", \"tick\": %u, \"held_tick\": %d, \"delay_ticks\": %u", h->tick, (int)h->tick - 1, in->delay_ticks);
	printf(", \"shadow_hash\": \"0x%016" PRIx64 "\", \"primary_hash\": ", in->shadow_hash);
	if (in->primary_hash_known)
		printf("\"0x%016" PRIx64 "\"", in->primary_hash);
	else
		printf("null");
	printf(", \"game\": {\"width\": %u, \"height\": %u, \"seed\": %u, \"players\": %u, \"particles\": %u}",
	       in->game.width, in->game.height, in->game.seed, in->game.players, in->game.particles);
	printf(", \"score\": [%u, %u], \"kickoff\": %u, \"goals\": %u, \"touches\": %u, \"wall_bounces\": %u", h->score0,
	       h->score1, h->kickoff, h->goals, h->touches, h->wall_bounces);
	printf(", \"players\": [");
	for (uint32_t i = 0; i < h->n_players && i < SC_MAX_PLAYERS; i++) {
		const struct sc_game_player *p = &st->players[i];
		printf("%s{\"index\": %u, \"team\": %u, \"x_px\": %.3f, \"y_px\": %.3f, \"vx_px\": %.3f, \"vy_px\": %.3f, "
		       "\"axis\": [%d, %d], \"shield\": %s, \"cooldown\": %u, \"touches\": %u}", i ? ", " : "", i, p->team,
		       px(p->x), px(p->y), px(p->vx), px(p->vy), p->ax, p->ay, p->flags & 1 ? "true" : "false", p->cooldown,
		       p->touches);
	}
	printf("], \"puck\": {\"x_px\": %.3f, \"y_px\": %.3f, \"vx_px\": %.3f, \"vy_px\": %.3f, \"last_touch\": %d}",
	       px(st->puck.x), px(st->puck.y), px(st->puck.vx), px(st->puck.vy), st->puck.last_touch);
	struct particle_summary ps;
	summarize_particles(cap, &ps);
	printf(", \"particles\": {\"count\": %u, \"alive\": %u, \"trail\": %u, \"spark\": %u", in->game.particles,
	       ps.alive, ps.trail, ps.spark);
	if (ps.alive)
		printf(", \"box_px\": [%.1f, %.1f, %.1f, %.1f]", px(ps.x0), px(ps.y0), px(ps.x1), px(ps.y1));
	printf("}, \"fault_record\": ");
	if (h->fault_kind)
		printf("{\"kind\": %u, \"tick\": %u, \"detail\": %u}", h->fault_kind, h->fault_tick, h->fault_detail);
	else
		printf("null");
	printf(", \"pending_inputs\": [");
	bool first = true;
	for (size_t i = 0; i < cap->n_inputs; i++) {
		if (cap->inputs[i].tick < h->tick)
			continue;
		char line[64];
		sc_input_format(&cap->inputs[i], line, sizeof(line));
		printf("%s", first ? "" : ", ");
		sc_json_fput_str(stdout, line);
		first = false;
	}
	printf("]}\n");
}

int sc_cmd_inspect(int argc, char **argv)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {0}};
	bool json = false;
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'j') {
			json = true;
		} else if (c == 'h') {
			printf("usage: shadowcast inspect CAPTURE [--json]\n  prints the game state a capture preserves "
			       "(docs/captures.md)\n");
			return 0;
		} else {
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: shadowcast inspect CAPTURE [--json]\n");
		return 2;
	}
	struct sc_capture cap;
	if (!sc_capture_load(&cap, argv[optind]))
		return 1;
	if (json)
		print_json(&cap);
	else
		print_text(&cap);
	sc_capture_finish(&cap);
	return 0;
}
