-- The heavyweight that holds the ring's token at the start crashes right
-- after its first message.
--   mutexlab explore faults/ring_crash
return {
  name = "ring_crash",
  groups = {
    { id = "A", algorithm = "lamport",         lightweights = 3 },
    { id = "B", algorithm = "ricart_agrawala", lightweights = 3 },
  },
  cs = { prints = 2, interval = 0.1 },
  rounds = 2,
  network = { delay = 0.01 },
  faults = { { crash = "A", after = "send" } },
}
