-- A tiny system for the exhaustive search: two heavyweights, three
-- lightweights (A1, A2 with Lamport; B1 alone with Ricart-Agrawala), one
-- round of a two-line critical section.
return {
  name = "tiny",
  token = "token",
  groups = {
    { id = "A", algorithm = "lamport",         lightweights = 2 },
    { id = "B", algorithm = "ricart_agrawala", lightweights = 1 },
  },
  cs = { prints = 2, interval = 0.1 },
  rounds = 1,
}
