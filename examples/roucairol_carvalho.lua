-- Ricart-Agrawala with Roucairol-Carvalho's optimisation
-- (algorithms/roucairol_carvalho.lua) in two groups of five lightweights:
-- a permission once received is kept until it is asked for, so an entry
-- costs 0 to 2(N-1) messages instead of 2(N-1).
--   mutexlab run roucairol_carvalho --rounds 2
--   mutexlab explore roucairol_carvalho --runs 1000
return {
  name = "roucairol_carvalho",
  token = "token",
  groups = {
    { id = "A", algorithm = "roucairol_carvalho", lightweights = 5 },
    { id = "B", algorithm = "roucairol_carvalho", lightweights = 5 },
  },
  cs = { prints = 3, interval = 0.2 },           -- a short critical section: 3 lines, 0.2 s apart
  speed = 1,
  network = { delay = 0, jitter = 0 },
  seed = 1,
}
