-- The groups are cut apart for two seconds: every link between A's
-- nodes and B's, both ways.
--   mutexlab explore faults/partition
return {
  name = "partition",
  groups = {
    { id = "A", algorithm = "lamport",         lightweights = 3 },
    { id = "B", algorithm = "ricart_agrawala", lightweights = 3 },
  },
  cs = { prints = 2, interval = 0.1 },
  rounds = 2,
  network = { delay = 0.01 },
  faults = { { partition = { {"A"}, {"B"} }, at = 0.05, duration = 2 } },
}
