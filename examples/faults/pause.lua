-- A lightweight stops for a second (SIGSTOP in a real run) and goes on:
-- slow, not dead. An algorithm for an asynchronous system survives it.
--   mutexlab explore faults/pause --algorithm maekawa
return {
  name = "pause",
  groups = {
    { id = "A", algorithm = "lamport",         lightweights = 3 },
    { id = "B", algorithm = "ricart_agrawala", lightweights = 3 },
  },
  cs = { prints = 2, interval = 0.1 },
  rounds = 2,
  network = { delay = 0.01 },
  faults = { { pause = "A2", at = 0.05, duration = 1 } },
}
