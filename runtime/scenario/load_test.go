package scenario

import (
	"errors"
	"fmt"
	"mutexlab/runtime/luabox"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// must fails the test unless a loader's error is nil:
// s := must(t)(Default()).
func must(t *testing.T) func(*Scenario, error) *Scenario {
	t.Helper()
	return func(s *Scenario, err error) *Scenario {
		t.Helper()
		if err != nil {
			t.Fatalf("load: %v", err)
		}
		return s
	}
}

// scenarioError asserts that err is a one-line *Error and returns it.
func scenarioError(t *testing.T, err error) *Error {
	t.Helper()
	if err == nil {
		t.Fatal("got no error")
	}
	var se *Error
	if !errors.As(err, &se) {
		t.Fatalf("got %T %q, want *scenario.Error", err, err)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error is more than one line: %q", err)
	}
	return se
}

func TestSeedTopology(t *testing.T) {
	s := must(t)(Default())
	if s.Name != "seed" || s.File != "embedded:seed.lua" || s.Dir != "" {
		t.Errorf("name, file, dir = %q, %q, %q", s.Name, s.File, s.Dir)
	}
	if s.Token != "token" || s.CS != (CS{Prints: 10, Interval: 1}) || s.Rounds != 0 || s.Speed != 1 || s.Seed != 1 {
		t.Errorf("fields: %+v", s)
	}
	if s.Network.Delay != 0 || s.Network.Jitter != 0 || s.Network.Reorder || len(s.Network.Links) != 0 {
		t.Errorf("network: %+v", s.Network)
	}
	if s.Host != "127.0.0.1" || s.Port != 0 || s.Session != "" || len(s.Addresses) != 0 {
		t.Errorf("host %q port %d session %q addresses %v", s.Host, s.Port, s.Session, s.Addresses)
	}
	want := []Node{
		{ID: "A", Group: "A", Role: Heavyweight, Algorithm: "token", Peers: []string{"B"}, Children: []string{"A1", "A2", "A3"}, Next: "B", Index: 0},
		{ID: "B", Group: "B", Role: Heavyweight, Algorithm: "token", Peers: []string{"A"}, Children: []string{"B1", "B2", "B3"}, Next: "A", Index: 1},
		{ID: "A1", Group: "A", Role: Lightweight, Algorithm: "lamport", Parent: "A", Peers: []string{"A2", "A3"}, Index: 2},
		{ID: "A2", Group: "A", Role: Lightweight, Algorithm: "lamport", Parent: "A", Peers: []string{"A1", "A3"}, Index: 3},
		{ID: "A3", Group: "A", Role: Lightweight, Algorithm: "lamport", Parent: "A", Peers: []string{"A1", "A2"}, Index: 4},
		{ID: "B1", Group: "B", Role: Lightweight, Algorithm: "ricart_agrawala", Parent: "B", Peers: []string{"B2", "B3"}, Index: 5},
		{ID: "B2", Group: "B", Role: Lightweight, Algorithm: "ricart_agrawala", Parent: "B", Peers: []string{"B1", "B3"}, Index: 6},
		{ID: "B3", Group: "B", Role: Lightweight, Algorithm: "ricart_agrawala", Parent: "B", Peers: []string{"B1", "B2"}, Index: 7},
	}
	if got := s.Nodes(); !reflect.DeepEqual(got, want) {
		t.Errorf("Nodes():\ngot  %+v\nwant %+v", got, want)
	}
	if got, want := s.Algorithms(), []string{"lamport", "ricart_agrawala", "token"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Algorithms() = %v, want %v", got, want)
	}
}

func TestThreeGroups(t *testing.T) {
	s := must(t)(LoadEmbedded("three_groups.lua"))
	if got := len(s.Nodes()); got != 18 {
		t.Fatalf("%d nodes, want 18", got)
	}
	if s.CS != (CS{Prints: 3, Interval: 0.2}) {
		t.Errorf("cs = %+v", s.CS)
	}
	c, _ := s.Find("C")
	if c.Next != "A" || !reflect.DeepEqual(c.Peers, []string{"A", "B"}) || len(c.Children) != 5 {
		t.Errorf("C = %+v", c)
	}
	c5, _ := s.Find("C5")
	if c5.Algorithm != "lamport" || c5.Parent != "C" || len(c5.Peers) != 4 {
		t.Errorf("C5 = %+v", c5)
	}
}

// The embedded scenarios, as the error messages list them.
const embeddedNames = "central, maekawa, naimi_trehel, raymond, roucairol_carvalho, seed, suzuki_kasami, three_groups, tiny, exercises/{after_you,eager_entry,no_inquire,own_clock,right_now,ring_of_four}, faults/{calm,crash,crash_in_cs,cut,lossy,partition,pause,reorder,restart,ring_crash,ring_cut,ring_pause,ring_reorder}"

func TestEmbeddedExamplesLoad(t *testing.T) {
	names := Embedded()
	want := []string{"central", "maekawa", "naimi_trehel", "raymond", "roucairol_carvalho", "seed", "suzuki_kasami",
		"three_groups", "tiny", "exercises/after_you", "exercises/eager_entry", "exercises/no_inquire",
		"exercises/own_clock", "exercises/right_now", "exercises/ring_of_four",
		"faults/calm", "faults/crash", "faults/crash_in_cs", "faults/cut", "faults/lossy", "faults/partition",
		"faults/pause", "faults/reorder", "faults/restart", "faults/ring_crash", "faults/ring_cut", "faults/ring_pause", "faults/ring_reorder"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("Embedded() = %v, want %v", names, want)
	}
	for _, name := range names {
		s := must(t)(LoadEmbedded(name))
		if s.Name != strings.TrimPrefix(strings.TrimPrefix(name, "exercises/"), "faults/") {
			t.Errorf("%s: name %q", name, s.Name)
		}
	}
}

// An exercise is a folder of the embedded examples: its File names its
// scenario.lua and its Dir the folder, for node.NewLibrary to search.
func TestLoadEmbeddedExercise(t *testing.T) {
	for _, arg := range []string{
		"exercises/eager_entry", "exercises/eager_entry/", "exercises/eager_entry/scenario.lua",
		"exercises/eager_entry/scenario", `exercises\eager_entry`,
	} {
		s, err := Resolve(arg)
		if err != nil {
			t.Errorf("Resolve(%q): %v", arg, err)
			continue
		}
		if s.Name != "eager_entry" || s.File != "embedded:exercises/eager_entry/scenario.lua" || s.Dir != "embedded:exercises/eager_entry" {
			t.Errorf("Resolve(%q) = name %q file %q dir %q", arg, s.Name, s.File, s.Dir)
		}
	}
	// What explore and the REPL name a loaded scenario by resolves again.
	if s := must(t)(LoadEmbedded("exercises/eager_entry/scenario")); s.Dir != "embedded:exercises/eager_entry" {
		t.Errorf("dir %q", s.Dir)
	}
	// Examples keep an empty Dir: their modules are the shipped ones.
	if s := must(t)(LoadEmbedded("seed")); s.Dir != "" {
		t.Errorf("seed dir %q", s.Dir)
	}
	for arg, want := range map[string]string{
		"exercises/eager_entri":   "scenario exercises/eager_entri: no such file (embedded: " + embeddedNames + "); did you mean exercises/eager_entry?",
		"eager_entry":             "scenario eager_entry: no such file (embedded: " + embeddedNames + "); did you mean exercises/eager_entry?",
		"exercises":               "scenario exercises: no such file (embedded: " + embeddedNames + ")",
		"exercises/":              "scenario exercises/: no such file (embedded: " + embeddedNames + ")",
		"exercises/../seed":       "scenario exercises/../seed: no such file (embedded: " + embeddedNames + ")",
		"exercises/eager_entry/x": "scenario exercises/eager_entry/x: no such file (embedded: " + embeddedNames + "); did you mean exercises/eager_entry?",
		"exercises/README.md":     "scenario exercises/README.md: no such file (embedded: " + embeddedNames + ")",
		"exercises/zzz_not_there": "scenario exercises/zzz_not_there: no such file (embedded: " + embeddedNames + ")",
	} {
		_, err := Resolve(arg)
		scenarioError(t, err)
		if err != nil && err.Error() != want {
			t.Errorf("Resolve(%q):\ngot  %s\nwant %s", arg, err, want)
		}
	}
}

// A folder with a scenario.lua (an exercise copied by mutexlab init) is
// that scenario, and it wins over the embedded exercise of the same name.
func TestResolveFolder(t *testing.T) {
	dir := t.TempDir()
	ex := filepath.Join(dir, "exercises", "eager_entry")
	if err := os.MkdirAll(ex, 0o755); err != nil {
		t.Fatal(err)
	}
	src := strings.Replace(string(withChange("")), `name = "t",`, "", 1)
	if err := os.WriteFile(filepath.Join(ex, "scenario.lua"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	s := must(t)(Resolve("exercises/eager_entry"))
	if s.File != filepath.Join("exercises", "eager_entry", "scenario.lua") || s.Dir != ex {
		t.Errorf("Resolve(exercises/eager_entry) = file %q dir %q, want the local copy in %s", s.File, s.Dir, ex)
	}
	if s.Name != "eager_entry" {
		t.Errorf("name %q, want the folder's name", s.Name)
	}
}

func TestLoadFull(t *testing.T) {
	s := must(t)(Load("testdata/full.lua"))
	want := &Scenario{
		Name: "full", File: "testdata/full.lua", Dir: s.Dir,
		Token: "token",
		Groups: []Group{
			{ID: "X", Algorithm: "lamport", Lightweights: 2},
			{ID: "Y", Algorithm: "ricart_agrawala", Lightweights: 1},
			{ID: "Z", Algorithm: "my_mutex", Lightweights: 4},
		},
		CS:     CS{Prints: 2, Interval: 0.25},
		Rounds: 5, Speed: 2.5,
		Network: Network{Delay: 0.01, Jitter: 0.002, Reorder: true, Links: map[string]Link{
			"X1->X2": {Delay: 0.5, Jitter: 0.002},
			"Y->Z":   {Delay: 0, Jitter: 0.1},
		}},
		Seed: 42, Host: "127.0.0.2", Port: 9000,
		Addresses: map[string]string{"Z4": "localhost:9500"},
		Session:   "s3cret-of-16-chars",
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("got  %+v\nwant %+v", s, want)
	}
	if !filepath.IsAbs(s.Dir) || filepath.Base(s.Dir) != "testdata" {
		t.Errorf("Dir = %q, want the absolute testdata folder", s.Dir)
	}
	if got := s.Network.LinkFor("X2", "X1"); got != (Link{Delay: 0.01, Jitter: 0.002}) {
		t.Errorf("LinkFor(X2, X1) = %+v", got)
	}
}

// A plan of every kind of fault, and the network's loss and duplicate,
// load as documented (docs/scenario.md, Faults).
func TestFaults(t *testing.T) {
	s := must(t)(Parse("f.lua", withChange(`
s.faults = {
  { crash = "B3", at = 2.5 },
  { crash = "A1", after = "cs_enter", count = 2 },
  { restart = "A1", at = 5 },
  { pause = "B2", at = 1, duration = 0.5 },
  { cut = "A1->A2", at = 1, duration = 2 },
  { cut = " A3 <-> B ", at = 1 },
  { partition = { {"A"}, {"B"} }, at = 1, duration = 2 },
  { pause = "A", after = "recv", duration = 1 },
}
s.network = { loss = 0.05, duplicate = 0.01, links = { ["A1->A2"] = { loss = 0.5 } } }
`)))
	want := []Fault{
		{Kind: Crash, Node: "B3", At: 2.5},
		{Kind: Crash, Node: "A1", After: "cs_enter", Count: 2},
		{Kind: Restart, Node: "A1", At: 5},
		{Kind: Pause, Node: "B2", At: 1, Duration: 0.5},
		{Kind: Cut, From: "A1", To: "A2", At: 1, Duration: 2},
		{Kind: Cut, From: "A3", To: "B", Both: true, At: 1},
		{Kind: Partition, Sides: [][]string{{"A"}, {"B"}}, At: 1, Duration: 2},
		{Kind: Pause, Node: "A", After: "recv", Count: 1, Duration: 1},
	}
	if !reflect.DeepEqual(s.Faults, want) {
		t.Errorf("faults\n got %+v\nwant %+v", s.Faults, want)
	}
	var texts []string
	for _, f := range s.Faults {
		texts = append(texts, f.String())
	}
	wantText := "crash B3 at 2.5s; crash A1 after its 2nd cs_enter; restart A1 at 5s; pause B2 at 1s for 0.5s; cut A1->A2 at 1s for 2s; cut A3<->B at 1s; partition A | B at 1s for 2s; pause A after its 1st recv for 1s"
	if got := strings.Join(texts, "; "); got != wantText {
		t.Errorf("strings\n got %s\nwant %s", got, wantText)
	}
	if got := s.Network.LinkFor("A1", "A2"); got != (Link{Loss: 0.5, Duplicate: 0.01}) {
		t.Errorf("LinkFor(A1, A2) = %+v", got)
	}
	if got := s.Network.LinkFor("A2", "A1"); got != (Link{Loss: 0.05, Duplicate: 0.01}) {
		t.Errorf("LinkFor(A2, A1) = %+v", got)
	}
	if got := s.FaultLinks(s.Faults[5]); !reflect.DeepEqual(got, [][2]string{{"A3", "B"}, {"B", "A3"}}) {
		t.Errorf("cut links %v", got)
	}
	links := s.FaultLinks(s.Faults[6])
	if len(links) != 2*4*4 || links[0] != [2]string{"A", "B"} || links[1] != [2]string{"A", "B1"} {
		t.Errorf("partition links %v", links)
	}
	for _, l := range links {
		a, _ := s.Find(l[0])
		b, _ := s.Find(l[1])
		if a.Group == b.Group {
			t.Errorf("partition cuts %v within a side", l)
		}
	}
	if s.FaultLinks(s.Faults[0]) != nil {
		t.Error("a crash cuts links")
	}
}

func TestLoadDefaults(t *testing.T) {
	s := must(t)(Load("testdata/minimal.lua"))
	if s.Name != "minimal" || s.Token != "token" || s.CS != (CS{Prints: 10, Interval: 1}) ||
		s.Rounds != 0 || s.Speed != 1 || s.Seed != 1 || s.Host != "127.0.0.1" || s.Port != 0 ||
		s.Session != "" {
		t.Errorf("defaults: %+v", s)
	}
}

// valid is a correct scenario; each bad case changes the table s before it
// is returned.
const valid = `
local s = {
  name = "t",
  token = "token",
  groups = {
    { id = "A", algorithm = "lamport",         lightweights = 3 },
    { id = "B", algorithm = "ricart_agrawala", lightweights = 3 },
  },
  cs = { prints = 10, interval = 1.0 },
  speed = 1,
  network = { delay = 0, jitter = 0, links = {} },
  seed = 1,
  addresses = {},
}
%s
return s
`

func withChange(change string) []byte {
	return []byte(strings.Replace(valid, "%s", change, 1))
}

func TestBadScenarios(t *testing.T) {
	tests := []struct {
		change string
		field  string // the field the error names
		msg    string // part of the message
	}{
		{`s.name = ""`, "name", `expected a non-empty string, got ""`},
		{`s.name = 3`, "name", "expected a non-empty string, got 3"},
		{`s.token = "Token"`, "token", `got "Token"`},
		{`s.groups = nil`, "groups", "got nothing"},
		{`s.groups = "AB"`, "groups", `expected a list of 2 to 26 groups`},
		{`s.groups = {}`, "groups", "expected 2 to 26 groups, got 0"},
		{`s.groups[2] = nil`, "groups", "got 1 (the token ring needs at least two heavyweights)"},
		{`for i = 3, 27 do s.groups[i] = {id = string.char(64 + i), algorithm = "lamport", lightweights = 1} end`, "groups", "expected 2 to 26 groups, got 27"},
		{`s.groups = { A = s.groups[1], B = s.groups[2] }`, "groups", `got a table with key "A"`},
		{`s.groups[2] = "B"`, "groups[2]", `expected a table {id = "A"`},
		{`s.groups[2].lightweights = 0`, "groups[2].lightweights", "expected an integer from 1 to 64, got 0"},
		{`s.groups[2].lightweights = 65`, "groups[2].lightweights", "expected an integer from 1 to 64, got 65"},
		{`s.groups[1].lightweights = 2.5`, "groups[1].lightweights", "got 2.5"},
		{`s.groups[1].lightweights = "3"`, "groups[1].lightweights", `got "3"`},
		{`s.groups[1].lightweights = nil`, "groups[1].lightweights", "got nothing"},
		{`s.groups[1].lightweight = 3`, "groups[1].lightweight", "unknown field; did you mean lightweights?"},
		{`s.groups[1].id = "AB"`, "groups[1].id", `expected one upper-case letter A..Z, got "AB"`},
		{`s.groups[1].id = "a"`, "groups[1].id", `got "a"`},
		{`s.groups[1].id = nil`, "groups[1].id", "got nothing"},
		{`s.groups[2].id = "A"`, "groups[2].id", `got "A" again (groups[1])`},
		{`s.groups[1].algorithm = "Lamport"`, "groups[1].algorithm", `expected a Lua module name like "lamport"`},
		{`s.groups[1].algorithm = "lamport.lua"`, "groups[1].algorithm", `got "lamport.lua"`},
		{`s.cs = 3`, "cs", "expected a table {prints = 10, interval = 1.0}, got 3"},
		{`s.cs.prints = 0`, "cs.prints", "expected an integer from 1 to 1000000, got 0"},
		{`s.cs.interval = -1`, "cs.interval", "expected a number of seconds from 0 to 86400, got -1"},
		{`s.cs.interval = 1/0`, "cs.interval", "got +Inf"},
		{`s.cs.interval = math.huge`, "cs.interval", "got 1.7976931348623157e+308"},
		{`s.network.links["A1->A2"] = {jitter = 86401}`, `network.links["A1->A2"].jitter`, "got 86401"},
		{`s.cs.print = 3`, "cs.print", "unknown field; did you mean prints?"},
		{`s.rounds = 0`, "rounds", "expected an integer from 1 to 1000000000, or nil for forever, got 0"},
		{`s.rounds = 1.5`, "rounds", "got 1.5"},
		{`s.round = 3`, "round", "unknown field; did you mean rounds?"},
		{`s.speed = 0`, "speed", "expected a number from 0.001 to 1000000, got 0"},
		{`s.speed = 0/0`, "speed", "expected a number from 0.001 to 1000000, got NaN"},
		{`s.speed = "fast"`, "speed", `got "fast"`},
		{`s.network.delay = -0.5`, "network.delay", "got -0.5"},
		{`s.network.jitter = true`, "network.jitter", "got true"},
		{`s.network.reorder = "yes"`, "network.reorder", `expected true or false, got "yes"`},
		{`s.network.los = 0.1`, "network.los", "unknown field; did you mean loss?"},
		{`s.network.loss = 1`, "network.loss", "expected a probability from 0 to less than 1, got 1"},
		{`s.network.duplicate = -0.1`, "network.duplicate", "got -0.1"},
		{`s.network.duplicate = "often"`, "network.duplicate", `got "often"`},
		{`s.network.links["A1->A2"] = {loss = 1.5}`, `network.links["A1->A2"].loss`, "expected a probability from 0 to less than 1, got 1.5"},
		{`s.network.links["A1->A2"] = {duplicate = 0/0}`, `network.links["A1->A2"].duplicate`, "got NaN"},
		{`s.faults = 3`, "faults", "expected a list of faults"},
		{`s.faults = { 3 }`, "faults[1]", "expected a table with one of crash, restart, pause, cut, partition"},
		{`s.faults = { {at = 1} }`, "faults[1]", "expected a table with one of crash"},
		{`s.faults = { {crash = "A1", pause = "A2"} }`, "faults[1]", "expected one kind of fault, got both crash and pause"},
		{`s.faults = { {crash = "A1"}, {crash = "Z9", at = 1} }`, "faults[2].crash", `no node "Z9" (nodes: A B A1 A2 A3 B1 B2 B3)`},
		{`s.faults = { {crash = "a1"} }`, "faults[1].crash", `no node "a1" (nodes: A B A1 A2 A3 B1 B2 B3); did you mean A1?`},
		{`s.faults = { {crash = 3} }`, "faults[1].crash", "expected a node id of the scenario, got 3"},
		{`s.faults = { {crahs = "A1"} }`, "faults[1].crahs", "unknown field; did you mean crash?"},
		{`s.faults = { {crash = "A1", at = -1} }`, "faults[1].at", "expected a number of seconds from 0 to 86400, got -1"},
		{`s.faults = { {crash = "A1", at = 1, after = "cs_enter"} }`, "faults[1].after", "expected at or after, not both"},
		{`s.faults = { {crash = "A1", after = "cs_entry"} }`, "faults[1].after", `expected one of "cs_enter", "cs_exit", "send", "recv", got "cs_entry"`},
		{`s.faults = { {crash = "A1", count = 2} }`, "faults[1].count", "counts the events of after"},
		{`s.faults = { {crash = "A1", after = "send", count = 0} }`, "faults[1].count", "expected an integer from 1 to 1000000000, got 0"},
		{`s.faults = { {crash = "A1", after = "send", count = 1.5} }`, "faults[1].count", "got 1.5"},
		{`s.faults = { {crash = "A1", duration = 1} }`, "faults[1].duration", "a crash has no duration"},
		{`s.faults = { {restart = "A1", at = 1} }`, "faults[1].restart", "A1 is not crashed by an earlier fault of the plan; crash it first"},
		{`s.faults = { {crash = "A1", at = 2}, {restart = "A1", at = 1} }`, "faults[2].at", "expected a time after A1's crash at 2s, got 1s"},
		{`s.faults = { {crash = "A1", at = 2}, {restart = "A1", at = 3}, {restart = "A1", at = 4} }`, "faults[3].restart", "A1 is not crashed"},
		{`s.faults = { {restart = "A1", after = "send"} }`, "faults[1].after", "only a crash or a pause can follow an event"},
		{`s.faults = { {pause = "B2", at = 1} }`, "faults[1].duration", "a pause needs a duration > 0"},
		{`s.faults = { {cut = "A1", at = 1} }`, "faults[1].cut", `expected a link "FROM->TO" or "FROM<->TO"`},
		{`s.faults = { {cut = "A1->A1", at = 1} }`, "faults[1].cut", `got "A1->A1"`},
		{`s.faults = { {cut = "A1<->Q", at = 1} }`, "faults[1].cut", `no node "Q"`},
		{`s.faults = { {partition = { {"A"} }} }`, "faults[1].partition", "expected a list of two or more sides"},
		{`s.faults = { {partition = "A|B"} }`, "faults[1].partition", `got "A|B"`},
		{`s.faults = { {partition = { {"A"}, {"C"} }} }`, "faults[1].partition[2][1]", `no group "C" (groups: A B)`},
		{`s.faults = { {partition = { {"A"}, {"B", "A"} }} }`, "faults[1].partition[2][2]", `group "A" is on side 1 already`},
		{`s.faults = { {partition = { {"A"}, {} }} }`, "faults[1].partition[2]", "expected a non-empty list of group ids"},
		{`s.faults = { {partition = { {"A"}, {1} }} }`, "faults[1].partition[2][1]", "expected one upper-case letter A..Z, got 1"},
		{`s.faults = { {cut = "A1->A2", duration = 1e9} }`, "faults[1].duration", "got 1e+09"},
		{`s.network.links["A1->A9"] = {delay = 1}`, `network.links["A1->A9"]`, `got unknown node "A9" (nodes: A B A1 A2 A3 B1 B2 B3)`},
		{`s.network.links["A1"] = {delay = 1}`, `network.links["A1"]`, `expected a link "FROM->TO"`},
		{`s.network.links["A1->A1"] = {delay = 1}`, `network.links["A1->A1"]`, `expected a link "FROM->TO"`},
		{`s.network.links["A1->A2"] = 1`, `network.links["A1->A2"]`, "expected a table {delay = 0.5, jitter = 0, loss = 0, duplicate = 0}, got 1"},
		{`s.network.links["A1->A2"] = {delay = -1}`, `network.links["A1->A2"].delay`, "got -1"},
		{`s.network.links["A1->A2"] = {delay = 1, jiter = 1}`, `network.links["A1->A2"].jiter`, "did you mean jitter?"},
		{`s.network.links["A1->A2"] = {} s.network.links["A1 -> A2"] = {}`, `network.links["A1->A2"]`, `expected each link once, got "A1->A2" twice`},
		{`s.network.links[1] = {}`, `network.links[1]`, `expected a link "FROM->TO"`},
		{`s.seed = 1.5`, "seed", "expected an integer, got 1.5"},
		{`s.host = "example.com"`, "host", `expected an IP address or "localhost", got "example.com"`},
		{`s.port = 0`, "port", "expected an integer from 1 to 65528 (node i listens on port+i), got 0"},
		{`s.port = 65529`, "port", "got 65529"},
		{`s.port = "7100"`, "port", `got "7100"`},
		{`s.addresses.Z9 = "127.0.0.1:9000"`, "addresses.Z9", `got unknown node "Z9"`},
		{`s.addresses.A1 = "nope"`, "addresses.A1", `expected "host:port"`},
		{`s.addresses.A1 = "127.0.0.1:99999"`, "addresses.A1", `got "127.0.0.1:99999"`},
		{`s.addresses.A1 = 7100`, "addresses.A1", "got 7100"},
		{`s.addresses.A1 = "127.0.0.1:7100"`, "addresses.A1", `expected an address no other node uses, got "127.0.0.1:7100" (also A's)`},
		{`s.addresses.A1 = "127.0.0.1:9000" s.addresses.B1 = "127.0.0.1:9000"`, "addresses.B1", "(also A1's)"},
		{`s.session = ""`, "session", `got ""`},
		{`s.session = "short"`, "session", `expected a string of 16 to 128 printable characters`},
		{`s.name = string.rep("n", 100000)`, "name", `expected a string of at most 128 bytes (it is passed to every node process), got a string of 100000 bytes`},
		{`s.rounds = 1e12`, "rounds", `expected an integer from 1 to 1000000000`},
		{`s.speed = 1e-300`, "speed", `expected a number from 0.001 to 1000000, got 1e-300`},
		{`s.speed = 1/0`, "speed", `got +Inf`},
		{`s.colour = "red"`, "colour", "unknown field; expected one of name, token, groups,"},
		{`s[1] = "x"`, "[1]", "unknown field"},
		{`s.cs = nil s.groups[1].algoritm = "x"`, "groups[1].algoritm", "did you mean algorithm?"},
	}
	for _, tt := range tests {
		t.Run(tt.change, func(t *testing.T) {
			_, err := Parse("bad.lua", withChange(tt.change))
			se := scenarioError(t, err)
			if se.File != "bad.lua" || se.Field != tt.field {
				t.Errorf("file %q field %q, want bad.lua and %q (error: %s)", se.File, se.Field, tt.field, err)
			}
			if !strings.Contains(se.Msg, tt.msg) {
				t.Errorf("message %q does not contain %q", se.Msg, tt.msg)
			}
			if want := "bad.lua: " + tt.field + ": "; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error %q does not start with %q", err, want)
			}
		})
	}
}

func TestValidChanges(t *testing.T) {
	for _, change := range []string{
		``,
		`s.rounds = 3`,
		`s.groups[1].lightweights = 64`,
		`s.host = "localhost"`,
		`s.host = "::1"`,
		`s.port = 65528`,
		`s.addresses.A1 = "[::1]:9000"`,
		`s.network.links["B3->A"] = {jitter = 0.5}`,
		`s.cs.interval = 0`,
		`s.seed = -7`,
		// The sandbox still has base, table, string and math.
		`s.name = string.format("%s-%d", "t", math.max(1, 2)) table.insert(s.groups, {id = "C", algorithm = "lamport", lightweights = 1})`,
	} {
		if _, err := Parse("ok.lua", withChange(change)); err != nil {
			t.Errorf("%s: %v", change, err)
		}
	}
}

func TestLoadErrorNamesFile(t *testing.T) {
	_, err := Load("testdata/bad_lightweights.lua")
	scenarioError(t, err)
	want := "testdata/bad_lightweights.lua: groups[2].lightweights: expected an integer from 1 to 64, got 0"
	if err.Error() != want {
		t.Errorf("got  %s\nwant %s", err, want)
	}
}

func TestLuaErrors(t *testing.T) {
	tests := []struct {
		file, src string
		want      string
	}{
		{"testdata/syntax.lua", "", "testdata/syntax.lua:5: syntax error near '{'"},
		{"x.lua", "return {\n  name = \n}", "x.lua:3: syntax error near '}'"},
		{"x.lua", "return {\n", "x.lua:1: syntax error at end of file (an unclosed block or bracket?)"},
		{"x.lua", "return { name = 'a }", "x.lua:1: unterminated string at end of file"},
		{"x.lua", "goto nowhere", "x.lua:2: no visible label 'nowhere' for <goto> at line 1"},
		{"x.lua", "local t = nil\nreturn t.x", "x.lua:2: attempt to index a non-table object(nil) with key 'x'"},
		{"x.lua", "\n\nerror('no groups today')", "x.lua:3: no groups today"},
		{"x.lua", "local function f() return 1 + f() end\nreturn f()", "x.lua:1: stack overflow (a recursion without end?)"},
		{"x.lua", "return 3", "scenario x.lua: expected the file to return a table { name = ..., groups = ... }, got 3"},
		{"x.lua", "", "scenario x.lua: expected the file to return a table { name = ..., groups = ... }, got nothing"},
		// The sandbox: no printing, no files, no modules.
		{"x.lua", "print('hi')", "x.lua:1: attempt to call a non-function object"},
		{"x.lua", "return io.open('/etc/passwd')", "x.lua:1: attempt to index a non-table object(nil) with key 'open'"},
		{"x.lua", "return os.exit(1)", "x.lua:1: attempt to index a non-table object(nil)"},
		{"x.lua", "return require('os')", "x.lua:1: attempt to call a non-function object"},
		{"x.lua", "return dofile('/etc/passwd')", "x.lua:1: attempt to call a non-function object"},
		{"x.lua", "return loadstring('return 1')()", "x.lua:1: attempt to call a non-function object"},
		{"x.lua", "return debug.getinfo(1)", "x.lua:1: attempt to index a non-table object(nil)"},
	}
	for _, tt := range tests {
		src := []byte(tt.src)
		if tt.src == "" && strings.HasPrefix(tt.file, "testdata/") {
			var err error
			if src, err = os.ReadFile(tt.file); err != nil {
				t.Fatal(err)
			}
		}
		_, err := Parse(tt.file, src)
		scenarioError(t, err)
		if !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%q:\ngot  %s\nwant %s", tt.src, err, tt.want)
		}
	}
}

func TestEndlessLoop(t *testing.T) {
	defer func(b luabox.Budget) { evalBudget = b }(evalBudget)
	evalBudget = luabox.Budget{Steps: 100_000}
	for _, tt := range []struct {
		src  string
		line int
	}{
		{"while true do end", 1},
		{"while true do pcall(function() while true do end end) end", 1},
		{"local function f() return f() end return f()", 1},
		{"local n = 0\nfor i = 1, 10 do n = n + i end\nrepeat\n  n = n + 1\nuntil false\n", 4},
	} {
		_, err := Parse("loop.lua", []byte(tt.src))
		se := scenarioError(t, err)
		want := fmt.Sprintf("loop.lua:%d: ran more than 100000 Lua steps (an endless loop?)", tt.line)
		if se.Line != tt.line || err.Error() != want {
			t.Errorf("%q:\ngot  %v\nwant %s", tt.src, err, want)
		}
	}
}

// The budget scenario files run under by default is the scripts' own,
// and it stops an endless loop with one line.
func TestEndlessLoopDefaultBudget(t *testing.T) {
	_, err := Parse("loop.lua", []byte("local x = 0\nwhile true do x = x + 1 end\n"))
	scenarioError(t, err)
	if want := fmt.Sprintf("loop.lua:2: ran more than %d Lua steps (an endless loop?)", luabox.DefaultSteps); err.Error() != want &&
		err.Error() != "loop.lua:2: ran longer than 1s (an endless loop?)" {
		t.Fatalf("got  %v\nwant %s", err, want)
	}
}

func TestResolve(t *testing.T) {
	tests := []struct {
		arg, name, file string
	}{
		{"", "seed", "embedded:seed.lua"},
		{"seed", "seed", "embedded:seed.lua"},
		{"seed.lua", "seed", "embedded:seed.lua"},
		{"three_groups", "three_groups", "embedded:three_groups.lua"},
		{"exercises/after_you", "after_you", "embedded:exercises/after_you/scenario.lua"},
		{"testdata/full.lua", "full", "testdata/full.lua"},
	}
	for _, tt := range tests {
		s, err := Resolve(tt.arg)
		if err != nil {
			t.Errorf("Resolve(%q): %v", tt.arg, err)
			continue
		}
		if s.Name != tt.name || s.File != tt.file {
			t.Errorf("Resolve(%q) = %s from %s, want %s from %s", tt.arg, s.Name, s.File, tt.name, tt.file)
		}
	}

	for arg, want := range map[string]string{
		"nope":          "scenario nope: no such file (embedded: " + embeddedNames + ")",
		"three_group":   "scenario three_group: no such file (embedded: " + embeddedNames + "); did you mean three_groups?",
		"dir/seed.lua":  "scenario dir/seed.lua: no such file (embedded: " + embeddedNames + ")",
		"testdata":      "scenario testdata: is a folder without a scenario.lua, expected a scenario file",
		"testdata/x.lu": "scenario testdata/x.lu: no such file (embedded: " + embeddedNames + ")",
	} {
		_, err := Resolve(arg)
		scenarioError(t, err)
		if err.Error() != want {
			t.Errorf("Resolve(%q):\ngot  %s\nwant %s", arg, err, want)
		}
	}
}

func TestResolvePrefersLocalFile(t *testing.T) {
	dir := t.TempDir()
	src := strings.Replace(string(withChange("")), `name = "t"`, `name = "mine"`, 1)
	if err := os.WriteFile(filepath.Join(dir, "seed.lua"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	s := must(t)(Resolve("seed.lua"))
	if s.Name != "mine" || s.Dir != dir {
		t.Errorf("Resolve(seed.lua) = %s in %q, want the local file", s.Name, s.Dir)
	}
	// A bare name is not a file here, so it is the embedded example.
	if s := must(t)(Resolve("seed")); s.File != "embedded:seed.lua" {
		t.Errorf("Resolve(seed) loaded %s", s.File)
	}
}

func TestLoadEmbeddedUnknown(t *testing.T) {
	_, err := LoadEmbedded("nope")
	scenarioError(t, err)
	if want := "scenario nope: no such embedded example (embedded: " + embeddedNames + ")"; err.Error() != want {
		t.Errorf("got %s, want %s", err, want)
	}
}

func TestFixedAddress(t *testing.T) {
	seed := must(t)(Default())
	custom := must(t)(Parse("c.lua", withChange(`s.port = 9000 s.host = "::1" s.addresses.B2 = "127.0.0.1:7000"`)))
	tests := []struct {
		s        *Scenario
		id, want string
	}{
		{seed, "A", "127.0.0.1:7100"},
		{seed, "B", "127.0.0.1:7101"},
		{seed, "A1", "127.0.0.1:7102"},
		{seed, "B3", "127.0.0.1:7107"},
		{custom, "A", "[::1]:9000"},
		{custom, "B1", "[::1]:9005"},
		{custom, "B2", "127.0.0.1:7000"},
	}
	for _, tt := range tests {
		got, err := tt.s.FixedAddress(tt.id)
		if err != nil || got != tt.want {
			t.Errorf("%s FixedAddress(%s) = %q, %v; want %q", tt.s.Name, tt.id, got, err, tt.want)
		}
	}
	if _, err := seed.FixedAddress("C1"); err == nil || !strings.Contains(err.Error(), "nodes: A B A1 A2 A3 B1 B2 B3") {
		t.Errorf("FixedAddress(C1) error = %v", err)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		set  func(*Scenario)
		want string // "" for valid
	}{
		{func(s *Scenario) {}, ""},
		{func(s *Scenario) { s.Rounds = 0 }, ""},
		{func(s *Scenario) { s.Rounds, s.Speed = 3, 100 }, ""},
		{func(s *Scenario) { s.Speed = 0 }, "--speed: expected a number from 0.001 to 1000000, got 0"},
		{func(s *Scenario) { s.Speed = -2 }, "--speed: expected a number from 0.001 to 1000000, got -2"},
		{func(s *Scenario) { s.Rounds = -1 }, "--rounds: expected an integer from 0 (forever) to 1000000000, got -1"},
		{func(s *Scenario) { s.Groups[1].Lightweights = 0 }, "embedded:seed.lua: groups[2].lightweights: expected an integer from 1 to 64, got 0"},
	}
	for i, tt := range tests {
		s := must(t)(Default())
		tt.set(s)
		err := s.Validate()
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%d: unexpected error %v", i, err)
		case tt.want != "":
			scenarioError(t, err)
			if err.Error() != tt.want {
				t.Errorf("%d:\ngot  %s\nwant %s", i, err, tt.want)
			}
		}
	}
}

func TestSuggest(t *testing.T) {
	for s, want := range map[string]string{
		"round":         "rounds",
		"Rounds":        "rounds",
		"nmae":          "name",
		"net":           "network",
		"adresses":      "addresses",
		"x":             "",
		"colour":        "",
		"light_weights": "",
	} {
		if got := suggest(s, topFields); got != want {
			t.Errorf("suggest(%q) = %q, want %q", s, got, want)
		}
	}
}
