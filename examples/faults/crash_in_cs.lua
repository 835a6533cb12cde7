-- A lightweight crashes inside its first critical section: it holds the
-- token of a token algorithm, every permission of a permission one.
--   mutexlab explore faults/crash_in_cs --algorithm raymond
return {
  name = "crash_in_cs",
  groups = {
    { id = "A", algorithm = "lamport",         lightweights = 3 },
    { id = "B", algorithm = "ricart_agrawala", lightweights = 3 },
  },
  cs = { prints = 2, interval = 0.1 },
  rounds = 2,
  network = { delay = 0.01 },
  faults = { { crash = "A1", after = "cs_enter" } },
}
