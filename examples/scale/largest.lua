-- The largest scenario mutexlab accepts: 26 groups (A..Z) of 64
-- lightweights, 1,690 processes. Run it once, fast:
--   mutexlab run examples/scale/largest.lua
-- (Not embedded: the tests that run every embedded example would take
-- minutes over it.)
-- It takes about 10 GB of memory (1,690 processes of 2.5 MB, and 48 KB
-- for each of their 110,000 connections' ends); `run` refuses it up front
-- on a machine with less available. On the 2-core machine one round took
-- 40.5 s, every check passing (README, "The largest run"). The groups take the family's algorithms
-- in turn.
local algorithms = { "ricart_agrawala", "lamport", "suzuki_kasami", "central" }
local groups = {}
for i = 1, 26 do
  groups[i] = {
    id = string.char(64 + i),
    algorithm = algorithms[(i - 1) % #algorithms + 1],
    lightweights = 64,
  }
end
return {
  name = "largest",
  token = "token",
  groups = groups,
  cs = { prints = 1, interval = 0 },
  rounds = 1,
  speed = 1000,
  network = { delay = 0, jitter = 0 },
  seed = 1,
}
