-- The link between two lightweights of a group is cut both ways for half
-- a second: what is sent over it meanwhile is lost.
--   mutexlab explore faults/cut --algorithm naimi_trehel
return {
  name = "cut",
  groups = {
    { id = "A", algorithm = "lamport",         lightweights = 3 },
    { id = "B", algorithm = "ricart_agrawala", lightweights = 3 },
  },
  cs = { prints = 2, interval = 0.1 },
  rounds = 2,
  network = { delay = 0.01 },
  faults = { { cut = "A1<->A2", at = 0.05, duration = 0.5 } },
}
