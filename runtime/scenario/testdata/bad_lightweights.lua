-- Group B has no lightweights: the loader says which field and why.
return {
  groups = {
    { id = "A", algorithm = "lamport",         lightweights = 3 },
    { id = "B", algorithm = "ricart_agrawala", lightweights = 0 },
  },
}
