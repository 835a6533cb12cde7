-- Exercise: eager_entry.
--
-- Both groups run this folder's ricart_agrawala.lua instead of the
-- shipped one. Run it, read the report, find the bug:
--   mutexlab run exercises/eager_entry --speed 10
return {
  name = "eager_entry",
  token = "token",
  groups = {
    { id = "A", algorithm = "ricart_agrawala", lightweights = 3 },
    { id = "B", algorithm = "ricart_agrawala", lightweights = 3 },
  },
  cs = { prints = 3, interval = 0.2 },   -- a short critical section
  rounds = 3,
  speed = 1,
  network = { delay = 0.05, jitter = 0.02 },
  seed = 1,
}
