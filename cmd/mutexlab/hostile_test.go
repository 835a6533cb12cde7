package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"mutexlab/runtime/cluster/clustertest"
	"mutexlab/runtime/diagram"
)

// hostileCase is one bad command line, scenario or script: what mutexlab
// must answer with one line on stderr and an exit status, leaving no
// process behind (README, "What mutexlab guarantees").
type hostileCase struct {
	name string
	args []string
	// files are written into the case's folder before it runs (the
	// command runs there); "scripts/x.lua" goes into the scripts folder.
	files map[string]string
	env   []string
	code  int
	line  string // a regular expression the one stderr line matches
}

// lightweight is a role script for the lightweights: hostile code in A1
// alone (one process at a time, so that the machine's load decides no
// verdict), its lines numbered from 1, then waiting as the seed's
// lightweight does.
func lightweight(code string) map[string]string {
	return map[string]string{"scripts/lightweight.lua": "if require(\"node\").id == \"A1\" then " + code + "\nend\nrequire(\"node\").receive(\"CS_GRANT\")\n"}
}

// scenarioFile is a scenario whose table has the extra fields (Lua source).
func scenarioFile(extra string) map[string]string {
	return map[string]string{"s.lua": `return { groups = { {id = "A", algorithm = "lamport", lightweights = 3}, {id = "B", algorithm = "ricart_agrawala", lightweights = 3} }` + extra + ` }`}
}

const catastrophic = `string.find(string.rep("a",40), "(.-)(.-)(.-)(.-)(.-)(.-)(.-)(.-)(.-)(.-)(.-)(.-)b")`

// runScripts runs the seed with the hostile lightweight script.
var runScripts = []string{"run", "--rounds", "1", "--speed", "100", "--scripts", "scripts"}

var hostileCases = []hostileCase{
	// Numbers on the command line.
	{name: "rounds negative", args: []string{"run", "--rounds", "-5"}, code: 2, line: `^mutexlab run: --rounds: expected an integer from 0 to 1000000000, got "-5" \(see 'mutexlab run -h'\)$`},
	{name: "rounds not a number", args: []string{"run", "--rounds", "many"}, code: 2, line: `--rounds: expected an integer`},
	{name: "speed tiny", args: []string{"run", "--speed", "1e-300"}, code: 2, line: `--speed: expected a number from 0.001 to 1e\+06`},
	{name: "speed NaN", args: []string{"run", "--speed", "NaN"}, code: 2, line: `--speed: expected a number`},
	{name: "speed Inf", args: []string{"run", "--speed", "Inf"}, code: 2, line: `--speed: expected a number`},
	{name: "speed zero", args: []string{"run", "--speed", "0"}, code: 2, line: `--speed: expected a number`},
	{name: "speed negative", args: []string{"run", "--speed", "-3"}, code: 2, line: `--speed: expected a number`},
	{name: "explore runs negative", args: []string{"explore", "--runs", "-1"}, code: 2, line: `^mutexlab explore: --runs: expected an integer from 1 to 1000000000, got "-1"`},
	{name: "explore rounds negative", args: []string{"explore", "--rounds", "-3"}, code: 2, line: `--rounds: expected an integer from 0`},
	{name: "explore workers absurd", args: []string{"explore", "--workers", "100000"}, code: 2, line: `--workers: expected an integer from 1 to 1024`},
	{name: "compare runs absurd", args: []string{"compare", "--runs", "1000000000000"}, code: 2, line: `--runs: expected an integer from 1 to 1000000`},
	{name: "timeline width absurd", args: []string{"timeline", "--width", "1000000000", "x.jsonl"}, code: 2, line: `--width: expected an integer from 60 to 10000`},

	// Nodes by hand.
	{name: "node unknown id", args: []string{"node", "--id", "ZZ", "seed"}, code: 2, line: `^mutexlab node: --id ZZ: no such node in scenario seed \(nodes: A B A1 A2 A3 B1 B2 B3\)$`},
	{name: "node by hand without a secret", args: []string{"node", "--id", "A1", "seed"}, code: 2, line: `^mutexlab node: MUTEXLAB_SECRET: nodes started by hand need the same secret of 16 to 128 characters`},
	{name: "node by hand with a short secret", args: []string{"node", "--id", "A1", "seed"}, env: []string{"MUTEXLAB_SECRET=abc"}, code: 2, line: `MUTEXLAB_SECRET: nodes started by hand need`},

	// Scenario fields.
	{name: "scenario name too long", args: []string{"run", "s.lua"}, files: scenarioFile(`, name = string.rep("n", 100000)`), code: 2, line: `^mutexlab run: s.lua: name: expected a string of at most 128 bytes \(it is passed to every node process\), got a string of 100000 bytes`},
	{name: "scenario rounds negative", args: []string{"run", "s.lua"}, files: scenarioFile(`, rounds = -5`), code: 2, line: `s.lua: rounds: expected an integer from 1 to 1000000000, or nil for forever, got -5$`},
	{name: "scenario rounds absurd", args: []string{"run", "s.lua"}, files: scenarioFile(`, rounds = 1e12`), code: 2, line: `s.lua: rounds: expected an integer from 1`},
	{name: "scenario speed tiny", args: []string{"run", "s.lua"}, files: scenarioFile(`, speed = 1e-300`), code: 2, line: `s.lua: speed: expected a number from 0.001 to 1000000, got 1e-300$`},
	{name: "scenario speed NaN", args: []string{"run", "s.lua"}, files: scenarioFile(`, speed = 0/0`), code: 2, line: `s.lua: speed: expected a number from 0.001 to 1000000, got NaN$`},
	{name: "scenario prints absurd", args: []string{"run", "s.lua"}, files: scenarioFile(`, cs = { prints = 1e9 }`), code: 2, line: `s.lua: cs.prints: expected an integer from 1 to 1000000`},
	{name: "scenario delay absurd", args: []string{"run", "s.lua"}, files: scenarioFile(`, network = { delay = 1e300 }`), code: 2, line: `s.lua: network.delay: expected a number of seconds from 0 to 86400`},
	{name: "scenario session short", args: []string{"run", "s.lua"}, files: scenarioFile(`, session = "guessable"`), code: 2, line: `s.lua: session: expected a string of 16 to 128 printable characters`},
	{name: "scenario too large for a child", args: []string{"run", "s.lua"}, files: map[string]string{"s.lua": `
local groups, links = {}, {}
for i = 1, 26 do groups[i] = {id = string.char(64 + i), algorithm = "lamport", lightweights = 16} end
for i = 1, 26 do for k = 1, 16 do for j = 1, 16 do
  if j ~= k then links[string.char(64 + i) .. k .. "->" .. string.char(64 + i) .. j] = {delay = 0.001} end
end end end
return { groups = groups, rounds = 1, network = { links = links } }`}, code: 2, line: `s.lua: network.links: too large: the scenario takes \d+ KB to pass to a node process, more than 96 KB can`},
	{name: "scenario string.rep 1e11", args: []string{"run", "s.lua"}, files: map[string]string{"s.lua": `local s = string.rep("x", 1e11)` + "\nreturn {}"}, code: 2, line: `^mutexlab run: s.lua:1: string.rep: a result of 93 GB would exceed the memory cap of 256 MB$`},
	{name: "scenario endless loop", args: []string{"run", "s.lua"}, files: map[string]string{"s.lua": "while true do end"}, code: 2, line: `^mutexlab run: s.lua:1: ran (more than 20000000 Lua steps|longer than 1s) \(an endless loop\?\)$`},
	{name: "scenario catastrophic pattern", args: []string{"run", "s.lua"}, files: map[string]string{"s.lua": "local x = " + catastrophic + "\nreturn {}"}, code: 2, line: `^mutexlab run: s.lua:1: ran (more than 20000000 Lua steps|longer than 1s)`},
	{name: "scenario concat doubling", args: []string{"run", "s.lua"}, files: map[string]string{"s.lua": "local s = 'x'\nfor i = 1, 64 do s = s .. s end\nreturn {}"}, code: 2, line: `^mutexlab run: s.lua:2: would hold more than the memory cap of 256 MB`},
	{name: "scenario error value", args: []string{"run", "s.lua"}, files: map[string]string{"s.lua": "\nerror({code = 7})"}, code: 2, line: `^mutexlab run: s.lua:2: error value {code = 7}$`},
	{name: "scenario long error", args: []string{"run", "s.lua"}, files: map[string]string{"s.lua": `error(string.rep("E", 70000))`}, code: 2, line: `^mutexlab run: s.lua:1: E+… \(69009 more bytes\)$`},
	{name: "scenario not a table", args: []string{"run", "s.lua"}, files: map[string]string{"s.lua": "return 42"}, code: 2, line: `expected the file to return a table`},

	// Scripts: every Lua call bounded in the node processes.
	{name: "script catastrophic pattern", args: runScripts, files: lightweight("local x = " + catastrophic), code: 2, line: `^mutexlab run: A1: scripts/lightweight.lua:1: ran (more than 20000000 Lua steps|longer than 1s) without blocking`},
	{name: "script string.rep 4e9", args: runScripts, files: lightweight(`local s = string.rep("x", 4e9)`), code: 2, line: `^mutexlab run: A1: scripts/lightweight.lua:1: string.rep: a result of 3.7 GB would exceed the memory cap of 256 MB$`},
	{name: "script string.rep 1e11", args: runScripts, files: lightweight(`local s = ("x"):rep(1e11)`), code: 2, line: `scripts/lightweight.lua:1: string.rep: a result of 93 GB would exceed the memory cap of 256 MB$`},
	{name: "script table of big strings", args: runScripts, files: lightweight("local t = {}\nfor i = 1, 1e9 do t[i] = string.rep('x', 1e7) .. i end"), code: 2, line: `^mutexlab run: A1: scripts/lightweight.lua:2: (.*memory cap of 256 MB|ran longer than 1s without blocking)`},
	{name: "script concat doubling", args: runScripts, files: lightweight("local s = 'x'\nfor i = 1, 64 do s = s .. s end"), code: 2, line: `scripts/lightweight.lua:2: (would hold more than the memory cap of 256 MB|ran longer than 1s without blocking)`},
	{name: "script far table key", args: runScripts, files: lightweight("local t = {}\nt[60000000] = 1"), code: 2, line: `scripts/lightweight.lua:2: would hold more than the memory cap of 256 MB`},
	{name: "script log flood", args: runScripts, files: lightweight("local node = require('node')\nwhile true do node.log(string.rep('x', 100)) node.sleep(0) end"), code: 2, line: `scripts/lightweight.lua:2: logged more than 1000 lines a second \(node.log, print\); the trace and the screen are bounded`},
	{name: "script print flood in pcall", args: runScripts, files: lightweight("while true do pcall(print, 'x') end"), code: 2, line: `scripts/lightweight.lua:1: logged more than 1000 lines a second`},
	{name: "script long error", args: runScripts, files: lightweight(`error(string.rep("E", 70000))`), code: 2, line: `^mutexlab run: A1: scripts/lightweight.lua:1: E+… \(\d+ more bytes\)$`},
	{name: "script deep recursion", args: runScripts, files: lightweight("local function f() return 1 + f() end\nf()"), code: 2, line: `^mutexlab run: A1: scripts/lightweight.lua:1: stack overflow \(a recursion without end\?\)$`},
	{name: "script error value", args: runScripts, files: lightweight("error({})"), code: 2, line: `^mutexlab run: A1: scripts/lightweight.lua:1: error value {}$`},
	{name: "script sleep huge", args: runScripts, files: lightweight("require('node').sleep(1e300)"), code: 2, line: `scripts/lightweight.lua:1: bad argument #1 to sleep \(seconds must be a number from 0 to 86400, got 1e\+300\)$`},
	{name: "script sleep NaN", args: runScripts, files: lightweight("require('node').sleep(0/0)"), code: 2, line: `scripts/lightweight.lua:1: bad argument #1 to sleep \(seconds must be a number from 0 to 86400, got NaN\)$`},
	{name: "script endless loop", args: runScripts, files: lightweight("while true do end"), code: 2, line: `scripts/lightweight.lua:1: ran (more than 20000000 Lua steps|longer than 1s) without blocking`},

	// Trace readers.
	{name: "check header of a million nodes", args: []string{"check", "t.jsonl"}, files: map[string]string{"t.jsonl": manyNodes(100_000)}, code: 2, line: `^mutexlab check: t.jsonl: line 1: the header declares 100000 nodes, more than the 1690 a scenario can have$`},
	{name: "timeline header of a million nodes", args: []string{"timeline", "t.jsonl"}, files: map[string]string{"t.jsonl": manyNodes(100_000)}, code: 2, line: `line 1: the header declares 100000 nodes`},
	{name: "diagram header of a million nodes", args: []string{"diagram", "t.jsonl", "-o", "t.html"}, files: map[string]string{"t.jsonl": manyNodes(100_000)}, code: 2, line: `line 1: the header declares 100000 nodes`},
	{name: "check a header line of 10 MB", args: []string{"check", "t.jsonl"}, files: map[string]string{"t.jsonl": manyNodes(1_000_000)}, code: 2, line: `^mutexlab check: t.jsonl: line 1: longer than 1048576 bytes$`},
	{name: "diagram of too many events", args: []string{"diagram", "t.jsonl"}, files: map[string]string{"t.jsonl": manyEvents(diagram.MaxEvents + 1)}, code: 2,
		line: `^mutexlab diagram: t.jsonl: 200,001 events, more than the 200,000 a diagram draws; its end: mutexlab timeline t.jsonl --last 60; all of it judged: mutexlab check t.jsonl$`},
}

// manyEvents is a trace of one node's n ticks.
func manyEvents(n int) string {
	var b strings.Builder
	b.WriteString(`{"ev":"meta","scenario":"x","nodes":["A"]}` + "\n")
	for i := range n {
		fmt.Fprintf(&b, `{"ev":"tick","t":%d,"node":"A","lc":%d}`+"\n", i, i+1)
	}
	return b.String()
}

// manyNodes is a trace header declaring n nodes.
func manyNodes(n int) string {
	var b strings.Builder
	b.WriteString(`{"ev":"meta","scenario":"x","nodes":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"N%d"`, i)
	}
	b.WriteString("]}\n")
	return b.String()
}

func TestHostileInputs(t *testing.T) {
	if len(hostileCases) < 40 {
		t.Fatalf("%d cases; the table holds at least 40", len(hostileCases))
	}
	bin := clustertest.Binary(t)
	for _, tc := range hostileCases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, src := range tc.files {
				p := filepath.Join(dir, name)
				os.MkdirAll(filepath.Dir(p), 0o755)
				if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, tc.args...)
			cmd.Dir = dir
			cmd.Env = append(append(os.Environ(), "NO_COLOR=1"), tc.env...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			start := time.Now()
			err := cmd.Run()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimRight(stderr.String(), "\n"), "\n")
			if code != tc.code || len(lines) != 1 || !regexp.MustCompile(tc.line).MatchString(lines[0]) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit %d and one line matching %s", code, stderr.String(), tc.code, tc.line)
			}
			if left := processesOf(bin); len(left) > 0 {
				t.Errorf("processes left behind: %v", left)
			}
			t.Logf("%v: %s", time.Since(start).Round(time.Millisecond), lines[0])
		})
	}
}

// processesOf lists the running processes started from the binary bin.
func processesOf(bin string) []string { return clustertest.Processes(bin) }
