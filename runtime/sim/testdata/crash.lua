-- A lightweight's script fails (algorithms/nil_reply.lua): the schedule
-- ends with a script error.
return {
  name = "crash",
  token = "token",
  groups = {
    { id = "A", algorithm = "nil_reply", lightweights = 2 },
    { id = "B", algorithm = "lamport", lightweights = 1 },
  },
  cs = { prints = 1, interval = 0.1 },
  rounds = 1,
}
