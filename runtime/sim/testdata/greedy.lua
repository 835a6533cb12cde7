-- Lamport without replies while requesting (algorithms/lamport_greedy.lua):
-- two requests at once wait for each other forever.
return {
  name = "greedy",
  token = "token",
  groups = {
    { id = "A", algorithm = "lamport_greedy", lightweights = 2 },
    { id = "B", algorithm = "lamport", lightweights = 1 },
  },
  cs = { prints = 2, interval = 0.1 },
  rounds = 1,
}
