-- A reason function that loops forever (algorithms/endless_reason.lua):
-- the schedule ends with a script error naming its file:line.
return {
  name = "looping_reason",
  token = "token",
  groups = {
    { id = "A", algorithm = "endless_reason", lightweights = 2 },
    { id = "B", algorithm = "lamport", lightweights = 1 },
  },
  cs = { prints = 1, interval = 0.1 },
  rounds = 1,
}
