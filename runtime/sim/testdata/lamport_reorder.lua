-- Lamport's algorithm over channels that reorder: it needs FIFO channels,
-- and without them two nodes can enter together.
return {
  name = "lamport_reorder",
  token = "token",
  groups = {
    { id = "A", algorithm = "lamport", lightweights = 3 },
    { id = "B", algorithm = "lamport", lightweights = 1 },
  },
  cs = { prints = 2, interval = 0.1 },
  rounds = 2,
  network = { reorder = true },
}
