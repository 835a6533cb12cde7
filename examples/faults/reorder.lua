-- The system of the fault table (faults/calm), without its network
-- delay, on channels that need not keep their order: a message may
-- overtake an earlier one on its link. The simulator only (`run`
-- refuses network.reorder):
--   mutexlab explore faults/reorder
--   mutexlab explore faults/reorder --algorithm suzuki_kasami
return {
  name = "reorder",
  groups = {
    { id = "A", algorithm = "lamport",         lightweights = 3 },
    { id = "B", algorithm = "ricart_agrawala", lightweights = 3 },
  },
  cs = { prints = 2, interval = 0.1 },
  rounds = 2,
  network = { reorder = true },
}
