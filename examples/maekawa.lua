-- Maekawa's grid quorums (algorithms/maekawa.lua) in two groups of five
-- lightweights. Five sit on a grid of three columns: A1's quorum is its
-- row and column, A1 A2 A3 A4; A5's is A2 A4 A5.
--   mutexlab run maekawa --rounds 2
--   mutexlab explore maekawa --runs 1000
return {
  name = "maekawa",
  token = "token",
  groups = {
    { id = "A", algorithm = "maekawa", lightweights = 5 },
    { id = "B", algorithm = "maekawa", lightweights = 5 },
  },
  cs = { prints = 3, interval = 0.2 },           -- a short critical section: 3 lines, 0.2 s apart
  speed = 1,
  network = { delay = 0, jitter = 0 },
  seed = 1,
}
