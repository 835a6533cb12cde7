-- The heavyweight that holds the ring's token at the start stops for a
-- second.
--   mutexlab explore faults/ring_pause
return {
  name = "ring_pause",
  groups = {
    { id = "A", algorithm = "lamport",         lightweights = 3 },
    { id = "B", algorithm = "ricart_agrawala", lightweights = 3 },
  },
  cs = { prints = 2, interval = 0.1 },
  rounds = 2,
  network = { delay = 0.01 },
  faults = { { pause = "A", at = 0.05, duration = 1 } },
}
