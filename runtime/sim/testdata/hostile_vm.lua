-- Two groups of one lightweight each running algorithms/hostile.lua,
-- which changes everything it can reach in its VM after logging what it
-- sees: reused VMs must forget it (sim_test.go).
return {
  name = "hostile_vm",
  token = "token",
  groups = {
    { id = "A", algorithm = "hostile", lightweights = 1 },
    { id = "B", algorithm = "hostile", lightweights = 1 },
  },
  cs = { prints = 1, interval = 0.1 },
  rounds = 2,
}
