-- Twelve lightweights per group: ids A10..A12 and B10..B12 tie with A2,
-- B2, ... on equal timestamps, and the tie-break is by number (A3 before
-- A12), as docs/lua-api.md ("Ties") says.
return {
  name = "ties",
  groups = {
    { id = "A", algorithm = "lamport", lightweights = 12 },
    { id = "B", algorithm = "ricart_agrawala", lightweights = 12 },
  },
  cs = { prints = 1, interval = 0.01 },
  rounds = 1,
}
