-- Three Ricart-Agrawala lightweights in one group, one round.
return {
  name = "tiny_ra",
  token = "token",
  groups = {
    { id = "A", algorithm = "ricart_agrawala", lightweights = 3 },
    { id = "B", algorithm = "ricart_agrawala", lightweights = 1 },
  },
  cs = { prints = 2, interval = 0.1 },
  rounds = 1,
}
