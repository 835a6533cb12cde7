-- A central coordinator (algorithms/central.lua) in two groups of five
-- lightweights: A1 (B1) grants the critical section and competes for it
-- like the others.
--   mutexlab run central --rounds 2
--   mutexlab explore central --runs 1000
return {
  name = "central",
  token = "token",
  groups = {
    { id = "A", algorithm = "central", lightweights = 5 },
    { id = "B", algorithm = "central", lightweights = 5 },
  },
  cs = { prints = 3, interval = 0.2 },           -- a short critical section: 3 lines, 0.2 s apart
  speed = 1,
  network = { delay = 0, jitter = 0 },
  seed = 1,
}
