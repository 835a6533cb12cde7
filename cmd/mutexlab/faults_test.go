package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// faultScenario writes a one-round seed system with the given faults.
func faultScenario(t *testing.T, faults string) string {
	t.Helper()
	dir := t.TempDir()
	src := `return {
  groups = {
    { id = "A", algorithm = "lamport",         lightweights = 3 },
    { id = "B", algorithm = "ricart_agrawala", lightweights = 3 },
  },
  cs = { prints = 2, interval = 0.5 }, rounds = 1, speed = 20,
  faults = {` + faults + `},
}
`
	path := filepath.Join(dir, "faulty.lua")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// run carries out a scenario's faults: the header names the plan, a
// planned crash is no failure of the run (the check of the stall names
// the crashed node: exit 1, not 3), the summary counts what the faults
// did.
func TestRunCarriesOutFaults(t *testing.T) {
	file := faultScenario(t, `{ crash = "B2", after = "cs_enter" }`)
	out, errOut, code := mutexlab(t, t.TempDir(), "run", file)
	if code != exitCheck {
		t.Fatalf("run: exit %d, want %d\n%s%s", code, exitCheck, out, errOut)
	}
	for _, want := range []string{
		"  faults    crash B2 after its 1st cs_enter\n",
		"B2 (crashed at ",
		"  faults      crash 1",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout has no %q\n%s", want, out)
		}
	}

	file = faultScenario(t, `{ pause = "A2", at = 0.2, duration = 1 }, { cut = "B1<->B2", at = 0.1, duration = 0.2 }`)
	out, errOut, code = mutexlab(t, t.TempDir(), "run", "--json", file)
	if code != 0 {
		t.Fatalf("run --json: exit %d\n%s%s", code, out, errOut)
	}
	var doc struct {
		Summary struct {
			Outcome string         `json:"outcome"`
			Faults  map[string]int `json:"faults"`
		} `json:"summary"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if doc.Summary.Outcome != "complete" || doc.Summary.Faults["pause"] != 1 || doc.Summary.Faults["cut"] != 2 {
		t.Fatalf("summary %+v", doc.Summary)
	}
}
