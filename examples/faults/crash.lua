-- A lightweight crashes right after it leaves its first critical section
-- (a crash it takes no part in the algorithm's state for: it holds no
-- token, no permission). Who waits for it?
--   mutexlab explore faults/crash --algorithm suzuki_kasami
return {
  name = "crash",
  groups = {
    { id = "A", algorithm = "lamport",         lightweights = 3 },
    { id = "B", algorithm = "ricart_agrawala", lightweights = 3 },
  },
  cs = { prints = 2, interval = 0.1 },
  rounds = 2,
  network = { delay = 0.01 },
  faults = { { crash = "A2", after = "cs_exit" } },
}
