-- Exercise: own_clock.
--
-- Both groups run this folder's lamport.lua instead of the shipped one.
-- A1 sits at the end of a slow link: its heavyweight's messages reach it
-- late. Run it, read the report, find the bug:
--   mutexlab run exercises/own_clock --speed 10
return {
  name = "own_clock",
  token = "token",
  groups = {
    { id = "A", algorithm = "lamport", lightweights = 3 },
    { id = "B", algorithm = "lamport", lightweights = 3 },
  },
  cs = { prints = 3, interval = 0.2 },   -- a short critical section
  rounds = 3,
  speed = 1,
  network = {
    delay = 0.05, jitter = 0.02,
    links = { ["A->A1"] = { delay = 0.3, jitter = 0.05 } },
  },
  seed = 1,
}
