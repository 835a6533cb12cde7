-- Exercise: right_now.
--
-- Group B runs this folder's ricart_agrawala.lua instead of the shipped
-- one; group A runs the shipped Lamport algorithm. Run it, read the
-- report, find the bug:
--   mutexlab run exercises/right_now --speed 10
return {
  name = "right_now",
  token = "token",
  groups = {
    { id = "A", algorithm = "lamport",         lightweights = 3 },
    { id = "B", algorithm = "ricart_agrawala", lightweights = 3 },
  },
  cs = { prints = 3, interval = 0.2 },   -- a short critical section
  rounds = 3,
  speed = 1,
  network = { delay = 0.05, jitter = 0.02 },
  seed = 1,
}
