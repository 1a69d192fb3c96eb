"""Game rules, from scripted inputs: a shot into the goal scores and kicks off again;
players cannot leave the arena; the puck bounces off walls; a player who leaves
(or whose connection breaks) stops where it is, a join releases the slot's
controls, and the spectator count changes nothing but the input digest."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import sctest  # noqa: E402

DATA = os.path.join(os.path.dirname(__file__), "data")
WORLD_W, WORLD_H = 1280 * 256, 720 * 256
WALL, PLAYER_R, SHIELD_R, PUCK_R = 16 * 256, 28 * 256, 8 * 256, 14 * 256


def trace_of(d, name, inputs, ticks, players=2):
    path = os.path.join(d, name + ".trace")
    sctest.run(["sim", "--ticks", str(ticks), "--players", str(players), "--size", "128x72",
                "--inputs", inputs, "--trace", path])
    return sctest.read_trace(path)


def test_goal(d):
    tr = trace_of(d, "goal", os.path.join(DATA, "goal.txt"), 200)
    sctest.check(tr[60]["score"] == (0, 0), "no score before the shot")
    scored = next(r for r in tr if r["score"] != (0, 0))
    sctest.check(scored["score"] == (1, 0), "the left team scores in the right goal: %s" % (scored["score"],))
    prev = tr[scored["tick"] - 1]["puck"]
    sctest.check(prev[0] > WORLD_W - WALL - 40 * 256, "the puck was at the right goal line before the goal")
    sctest.check(scored["puck"][:4] == (WORLD_W // 2, WORLD_H // 2, 0, 0), "kickoff puts the puck back at centre")
    sctest.check(tr[-1]["score"] == (1, 0), "score is kept")


def test_arena_bounds(d):
    path = os.path.join(d, "corners.txt")
    with open(path, "w") as f:
        # every player runs into a corner, then along the walls
        f.write("0 0 move -127 -127\n0 1 move 127 127\n0 2 move -127 127\n0 3 move 127 -127\n")
        f.write("200 0 move 127 0\n200 1 move 0 -127\n200 2 block on\n200 2 move 0 -127\n")
    tr = trace_of(d, "corners", path, 400, players=4)
    hit = [False] * 4
    for r in tr:
        for i, (x, y) in enumerate(r["players"]):
            r_max = PLAYER_R + SHIELD_R
            sctest.check(WALL + PLAYER_R <= x <= WORLD_W - WALL - PLAYER_R and
                         WALL + PLAYER_R <= y <= WORLD_H - WALL - PLAYER_R,
                         "tick %d: player %d at (%d, %d) outside the arena" % (r["tick"], i, x, y))
            if x in (WALL + PLAYER_R, WORLD_W - WALL - PLAYER_R, WALL + r_max, WORLD_W - WALL - r_max):
                hit[i] = True
    sctest.check(all(hit), "every player reached a wall and stopped there: %s" % hit)


def test_wall_bounce(d):
    tr = trace_of(d, "bounce", os.path.join(DATA, "bounce.txt"), 200)
    ups = [r for r in tr if r["puck"][3] < 0]
    sctest.check(ups, "the shot sends the puck up")
    flip = next((r for r in tr[1:] if tr[r["tick"] - 1]["puck"][3] < 0 < r["puck"][3]), None)
    sctest.check(flip is not None, "the puck's vertical velocity flips")
    sctest.check(flip["puck"][1] < WALL + PUCK_R + 30 * 256, "it flips at the top wall (y=%d)" % flip["puck"][1])
    sctest.check(flip["bounces"] >= 1 and tr[flip["tick"] - 1]["bounces"] == 0, "the bounce is counted")
    sctest.check(all(WALL + PUCK_R <= r["puck"][1] <= WORLD_H - WALL - PUCK_R for r in tr),
                 "the puck stays between the top and bottom walls")


def state_log(d, name, inputs, ticks, players=2):
    """{tick: {field: value}} from sim --state-log (hex words; signed fields as ints)."""
    path = os.path.join(d, name + ".inputs")
    with open(path, "w") as f:
        f.write(inputs)
    log = os.path.join(d, name + ".state")
    sctest.run(["sim", "--ticks", str(ticks), "--players", str(players), "--size", "128x72", "--particles", "500",
                "--inputs", path, "--state-log", log])
    with open(log) as f:
        names = f.readline().split()
        out = {}
        for line in f:
            v = line.split()
            row = {}
            for n, x in zip(names[2:], v[2:]):
                w = int(x, 16)
                row[n] = w - (1 << 32) if w >= 1 << 31 else w
            row["hash"] = v[1]
            out[int(v[0])] = row
    return out


def test_leave_stops(d):
    """docs/inputs.md "Notices": leave (left or disconnected) and join release the player's controls at their
    tick: axis 0, velocity 0, shield down; the paddle stays put until the next move."""
    script = ("0 0 move 0 -127\n0 0 block on\n0 1 move 0 127\n"
              "30 0 leave disconnected\n30 1 leave left\n"
              "60 0 join\n61 0 move 127 0\n")
    st = state_log(d, "leave", script, 90)
    p = lambda t, i, f: st[t]["players[%d].%s" % (i, f)]  # noqa: E731
    sctest.check(p(29, 0, "vy") < 0 and p(29, 0, "ay") == -127 and p(29, 0, "flags") & 1 == 1,
                 "player 0 runs up with its shield raised before it leaves")
    sctest.check(p(29, 1, "vy") > 0, "player 1 runs down before it leaves")
    for i in (0, 1):
        got = [p(30, i, f) for f in ("ax", "ay", "vx", "vy")] + [p(30, i, "flags") & 1]
        sctest.check(got == [0, 0, 0, 0, 0], "tick 30: player %d stopped at once (axis, velocity, shield): %s"
                     % (i, got))
        where = {(p(t, i, "x"), p(t, i, "y")) for t in range(30, 60)}
        sctest.check(len(where) == 1, "player %d stays where it stopped: %s" % (i, sorted(where)[:3]))
    sctest.check(p(60, 0, "vx") == 0 and p(60, 0, "ax") == 0, "a join holds nothing")
    sctest.check(p(63, 0, "vx") > 0, "the next move drives it again")


def test_spectators_digest_only(d):
    """A spectator count is a fact for the record: the input digest (and so the hash) changes at its tick, the
    play does not."""
    base = "0 0 move 127 30\n0 1 move -127 -30\n40 0 shoot\n"
    a = state_log(d, "spect-a", base, 120)
    b = state_log(d, "spect-b", base + "50 - spectators 3\n80 - spectators 300\n", 120)
    first = next((t for t in range(120) if a[t]["hash"] != b[t]["hash"]), None)
    sctest.check(first == 50, "the hash differs from the spectators' tick on: first at %s" % first)
    for t in range(120):
        ra = {k: v for k, v in a[t].items() if k not in ("hash", "hdr.input_digest")}
        rb = {k: v for k, v in b[t].items() if k not in ("hash", "hdr.input_digest")}
        if ra != rb:
            diff = [k for k in ra if ra[k] != rb[k]][:4]
            raise AssertionError("tick %d: the play differs with spectators (%s)" % (t, diff))


def main():
    sctest.init(sys.argv)
    d = sctest.tmpdir()
    test_goal(d)
    test_arena_bounds(d)
    test_wall_bounce(d)
    test_leave_stops(d)
    test_spectators_digest_only(d)
    print("game rules: goal, arena bounds, wall bounce, leave stops the paddle, spectators ok")


main()
