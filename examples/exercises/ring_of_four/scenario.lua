-- Exercise: ring_of_four.
--
-- Four heavyweights pass this folder's token.lua round the ring
-- A -> B -> C -> D -> A; their lightweights use the shipped algorithms.
-- Run it, read the report, find the bug:
--   mutexlab run exercises/ring_of_four --speed 10
return {
  name = "ring_of_four",
  token = "token",
  groups = {
    { id = "A", algorithm = "lamport",         lightweights = 2 },
    { id = "B", algorithm = "ricart_agrawala", lightweights = 2 },
    { id = "C", algorithm = "lamport",         lightweights = 2 },
    { id = "D", algorithm = "ricart_agrawala", lightweights = 2 },
  },
  cs = { prints = 3, interval = 0.2 },   -- a short critical section
  rounds = 2,
  speed = 1,
  network = { delay = 0.05, jitter = 0.02 },
  seed = 1,
}
