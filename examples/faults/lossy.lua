-- A network that loses one message in fifty and duplicates one in fifty,
-- on every link (network.loss, network.duplicate); FIFO order is kept.
--   mutexlab explore faults/lossy --algorithm ricart_agrawala
return {
  name = "lossy",
  groups = {
    { id = "A", algorithm = "lamport",         lightweights = 3 },
    { id = "B", algorithm = "ricart_agrawala", lightweights = 3 },
  },
  cs = { prints = 2, interval = 0.1 },
  rounds = 2,
  network = { delay = 0.01, loss = 0.02, duplicate = 0.02 },
}
