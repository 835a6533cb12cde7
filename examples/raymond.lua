-- Raymond's token on a tree (algorithms/raymond.lua) in two groups of five
-- lightweights: A1 at the root with the token, A2 and A3 under it, A4 and
-- A5 under A2. The heavyweights pass their own token on a tree too.
--   mutexlab run raymond --rounds 2
--   mutexlab explore raymond --runs 1000
return {
  name = "raymond",
  token = "raymond",
  groups = {
    { id = "A", algorithm = "raymond", lightweights = 5 },
    { id = "B", algorithm = "raymond", lightweights = 5 },
  },
  cs = { prints = 3, interval = 0.2 },           -- a short critical section: 3 lines, 0.2 s apart
  speed = 1,
  network = { delay = 0, jitter = 0 },
  seed = 1,
}
