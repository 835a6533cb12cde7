-- A system small enough to search exhaustively: three lightweights that
-- contend under Ricart-Agrawala, one round, a short critical section.
--   mutexlab explore tiny --exhaustive
return {
  name = "tiny",
  token = "token",
  groups = {
    { id = "A", algorithm = "ricart_agrawala", lightweights = 3 },
    { id = "B", algorithm = "lamport",         lightweights = 1 },
  },
  cs = { prints = 2, interval = 0.1 },
  rounds = 1,
}
