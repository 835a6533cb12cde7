package perf

import (
	"fmt"
	"os"
	"path/filepath"
)

// The Lua ping-pong: the two heavyweights of a two-group scenario play it,
// `rounds` times; the lightweights do nothing. The scenario's folder
// holds these role scripts, which override the shipped ones
// (docs/lua-api.md: scripts are searched in the scenario's folder first).

const pingpongReceive = `-- mutexlab bench: ping-pong with node.receive
local n = node.rounds_total
if node.id == node.ring[1] then
  for i = 1, n do
    node.send(node.next, "PING")
    node.receive("PONG", node.next)
  end
else
  for i = 1, n do
    local m = node.receive("PING")
    node.send(m.sender, "PONG")
  end
end
`

const pingpongHandler = `-- mutexlab bench: ping-pong with node.on handlers
local n, got = node.rounds_total, 0
if node.id == node.ring[1] then
  node.on("PONG", function(m)
    got = got + 1
    if got < n then node.send(node.next, "PING") end
  end)
  node.send(node.next, "PING")
  node.wait_until(function() return got >= n end, {type = "PONG", from = node.next})
else
  node.on("PING", function(m)
    got = got + 1
    node.send(m.sender, "PONG")
  end)
  node.wait_until(function() return got >= n end, {type = "PING", from = node.ring[1]})
end
`

const idleLightweight = `-- mutexlab bench: the lightweights take no part in the ping-pong
`

// scenarioText is a scenario of two groups of n lightweights each.
func scenarioText(name, algA, algB string, n, rounds int) string {
	return fmt.Sprintf(`return {
  name = %q,
  token = "token",
  groups = {
    { id = "A", algorithm = %q, lightweights = %d },
    { id = "B", algorithm = %q, lightweights = %d },
  },
  cs = { prints = 1, interval = 0 },
  rounds = %d,
  speed = 1,
  network = { delay = 0, jitter = 0 },
  seed = 1,
}
`, name, algA, n, algB, n, rounds)
}

// writeFiles writes name -> text into a fresh folder under dir and
// returns the path of its scenario.lua.
func writeFiles(dir, sub string, files map[string]string) (string, error) {
	d := filepath.Join(dir, sub)
	if err := os.MkdirAll(d, 0o755); err != nil {
		return "", err
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(d, name), []byte(text), 0o644); err != nil {
			return "", err
		}
	}
	return filepath.Join(d, "scenario.lua"), nil
}

// PingPongScenario writes the ping-pong scenario of n round trips under
// dir: receive-based, or handler-based.
func PingPongScenario(dir string, handler bool, n int) (string, error) {
	role, sub := pingpongReceive, "pingpong-receive"
	if handler {
		role, sub = pingpongHandler, "pingpong-handler"
	}
	return writeFiles(dir, sub, map[string]string{
		"scenario.lua":    scenarioText(sub, "lamport", "lamport", 1, n),
		"heavyweight.lua": role,
		"lightweight.lua": idleLightweight,
	})
}

// SeedScenario writes the seed's system with a critical section of one
// line and no interval: the round is all messages.
func SeedScenario(dir string, rounds int) (string, error) {
	return writeFiles(dir, fmt.Sprintf("seed-%d", rounds), map[string]string{
		"scenario.lua": scenarioText("bench_seed", "lamport", "ricart_agrawala", 3, rounds),
	})
}

// SaturationScenario writes two groups of n lightweights running alg,
// every one entering as often as it can for rounds rounds.
func SaturationScenario(dir, alg string, n, rounds int) (string, error) {
	return writeFiles(dir, fmt.Sprintf("%s-%d-%d", alg, n, rounds), map[string]string{
		"scenario.lua": scenarioText(fmt.Sprintf("bench_%s_%d", alg, n), alg, alg, n, rounds),
	})
}
