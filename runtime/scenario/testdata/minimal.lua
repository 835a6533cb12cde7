-- Only groups is required; everything else has a default.
return {
  groups = {
    { id = "A", algorithm = "lamport", lightweights = 2 },
    { id = "B", algorithm = "lamport", lightweights = 2 },
  },
}
