-- The ring's link between the heavyweights is cut both ways for two
-- seconds, while the token has to cross it.
--   mutexlab explore faults/ring_cut
return {
  name = "ring_cut",
  groups = {
    { id = "A", algorithm = "lamport",         lightweights = 3 },
    { id = "B", algorithm = "ricart_agrawala", lightweights = 3 },
  },
  cs = { prints = 2, interval = 0.1 },
  rounds = 2,
  network = { delay = 0.01 },
  faults = { { cut = "A<->B", at = 0.05, duration = 2 } },
}
