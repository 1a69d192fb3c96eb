"""Game rules, from scripted inputs: a shot into the goal scores and kicks off again;
players cannot leave the arena; the puck bounces off walls."""
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


def main():
    sctest.init(sys.argv)
    d = sctest.tmpdir()
    test_goal(d)
    test_arena_bounds(d)
    test_wall_bounce(d)
    print("game rules: goal, arena bounds, wall bounce ok")


main()
