-- The heavyweights' token ring on channels that need not keep their
-- order (faults/reorder), both groups on Ricart-Agrawala, which does not
-- need FIFO channels, so that what fails is the ring's:
--   mutexlab explore faults/ring_reorder
return {
  name = "ring_reorder",
  groups = {
    { id = "A", algorithm = "ricart_agrawala", lightweights = 3 },
    { id = "B", algorithm = "ricart_agrawala", lightweights = 3 },
  },
  cs = { prints = 2, interval = 0.1 },
  rounds = 2,
  network = { reorder = true },
}
