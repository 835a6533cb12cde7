-- Two lightweights that bounce a message forever (algorithms/ping_forever.lua):
-- a livelock, caught by the step bound.
return {
  name = "chatty",
  token = "token",
  groups = {
    { id = "A", algorithm = "ping_forever", lightweights = 2 },
    { id = "B", algorithm = "lamport", lightweights = 1 },
  },
  cs = { prints = 1, interval = 0.1 },
  rounds = 1,
}
