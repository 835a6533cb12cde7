-- Lamport with busy handlers (algorithms/lamport_busy.lua), for the
-- deterministic Lua budget.
return {
  name = "busy",
  token = "token",
  groups = {
    { id = "A", algorithm = "lamport_busy", lightweights = 3 },
    { id = "B", algorithm = "lamport_busy", lightweights = 2 },
  },
  cs = { prints = 1, interval = 0.1 },
  rounds = 2,
  network = { jitter = 0.05 },
}
