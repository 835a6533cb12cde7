-- Ricart-Agrawala without deferred replies (algorithms/ra_eager.lua):
-- the explorer finds two nodes in the critical section at once.
return {
  name = "eager",
  token = "token",
  groups = {
    { id = "A", algorithm = "ra_eager", lightweights = 3 },
    { id = "B", algorithm = "ricart_agrawala", lightweights = 1 },
  },
  cs = { prints = 2, interval = 0.1 },
  rounds = 1,
}
