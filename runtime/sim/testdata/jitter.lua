-- The seed system over a network with delay and jitter: every message
-- has a delay of its own, so FIFO channels have to hold messages back.
return {
  name = "jitter",
  token = "token",
  groups = {
    { id = "A", algorithm = "lamport",         lightweights = 3 },
    { id = "B", algorithm = "ricart_agrawala", lightweights = 3 },
  },
  cs = { prints = 2, interval = 0.05 },
  rounds = 1,
  network = { delay = 0.01, jitter = 0.02 },
}
