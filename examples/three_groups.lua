-- Three groups of five lightweights: a longer token ring (A -> B -> C -> A)
-- and more contention inside each group. A and C use Lamport's algorithm,
-- B uses Ricart-Agrawala, so you can compare their message counts:
--   mutexlab run three_groups --rounds 2
return {
  name = "three_groups",
  token = "token",
  groups = {
    { id = "A", algorithm = "lamport",         lightweights = 5 },
    { id = "B", algorithm = "ricart_agrawala", lightweights = 5 },
    { id = "C", algorithm = "lamport",         lightweights = 5 },
  },
  cs = { prints = 3, interval = 0.2 },           -- a short critical section: 3 lines, 0.2 s apart
  speed = 1,
  network = { delay = 0, jitter = 0 },
  seed = 1,
}
