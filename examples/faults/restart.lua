-- A lightweight crashes inside its critical section and restarts a second
-- later, fresh: does the system take it back?
--   mutexlab explore faults/restart --algorithm central
return {
  name = "restart",
  groups = {
    { id = "A", algorithm = "lamport",         lightweights = 3 },
    { id = "B", algorithm = "ricart_agrawala", lightweights = 3 },
  },
  cs = { prints = 2, interval = 0.1 },
  rounds = 2,
  network = { delay = 0.01 },
  faults = { { crash = "A1", after = "cs_enter" }, { restart = "A1", at = 1 } },
}
