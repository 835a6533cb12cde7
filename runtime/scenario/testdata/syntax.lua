-- A comma is missing after the first group.
return {
  groups = {
    { id = "A", algorithm = "lamport", lightweights = 3 }
    { id = "B", algorithm = "lamport", lightweights = 3 },
  },
}
