-- The system of the fault table (docs/faults.md) without a fault: two
-- groups of three, two rounds, a short critical section, a network delay
-- of 10 ms. Every plan in this folder is this system with one fault;
-- explore's own faults start from here:
--   mutexlab explore faults/calm --algorithm maekawa --faults 1 --fault-kind loss
--   mutexlab explore faults/calm --faults 1 --fault-kind duplicate
return {
  name = "calm",
  groups = {
    { id = "A", algorithm = "lamport",         lightweights = 3 },
    { id = "B", algorithm = "ricart_agrawala", lightweights = 3 },
  },
  cs = { prints = 2, interval = 0.1 },
  rounds = 2,
  network = { delay = 0.01 },
}
