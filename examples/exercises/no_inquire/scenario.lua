-- Exercise: no_inquire.
--
-- Two groups of five lightweights run this folder's maekawa.lua: quorums
-- on a grid, one vote per process. Run it, read the report, find what
-- is missing:
--   mutexlab run exercises/no_inquire --speed 10
return {
  name = "no_inquire",
  token = "token",
  groups = {
    { id = "A", algorithm = "maekawa", lightweights = 5 },
    { id = "B", algorithm = "maekawa", lightweights = 5 },
  },
  cs = { prints = 3, interval = 0.2 },   -- a short critical section
  rounds = 3,
  speed = 1,
  network = { delay = 0.05, jitter = 0.04 },
  seed = 1,
}
