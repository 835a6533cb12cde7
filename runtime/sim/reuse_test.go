package sim

import (
	"bytes"
	"strings"
	"testing"

	"mutexlab/runtime/trace"
)

// A machine renews its nodes' VMs from one schedule to the next
// (node.Renew) rather than build them again, and a schedule's trace is
// the same, byte for byte, as on new VMs: over the seed, the family, an
// exercise, scripts that fail, loop or livelock, and a script that
// changes everything it can reach in its VM (testdata/algorithms/hostile.lua).
func TestReusedVMsSameTrace(t *testing.T) {
	names := append([]string{"seed", "testdata/hostile_vm.lua", "testdata/crash.lua", "testdata/chatty.lua",
		"testdata/jitter.lua", "testdata/busy.lua", "exercises/eager_entry",
		"exercises/own_clock"}, family...)
	seeds := int64(6)
	if testing.Short() {
		seeds = 3
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			s := load(t, name, 0)
			w, err := newWorld(s, libFor(s), "test")
			if err != nil {
				t.Fatal(err)
			}
			opts := Options{MaxSteps: 3000}
			reused, fresh := newMachine(w, opts), newMachine(w, opts)
			fresh.fresh = true
			for seed := int64(1); seed <= seeds; seed++ {
				got := traceBytes(t, runOn(reused, seed))
				want := traceBytes(t, runOn(fresh, seed))
				if !bytes.Equal(got, want) {
					t.Fatalf("seed %d: the trace on reused VMs differs from the one on new VMs:\n%s", seed, firstDiff(got, want))
				}
			}
			if fresh.renewed != 0 {
				t.Fatalf("the fresh machine renewed %d nodes", fresh.renewed)
			}
			// A schedule that ends in a script error renews all but the
			// failed node.
			if min := int(seeds-1) * (len(w.ids) - 1); reused.renewed < min {
				t.Fatalf("renewed %d nodes in %d schedules of %d nodes", reused.renewed, seeds, len(w.ids))
			}
		})
	}
}

func runOn(m *machine, seed int64) *trace.Trace {
	m.reset(seed)
	r := newRandom(seed)
	out := m.run(r)
	return m.result(out, true).Trace
}

// The hostile script, renewed schedule after schedule, sees each time
// what it saw in a new VM: the same tables in the same order, its
// environment the globals, the string library whole, and math.random
// seeded from the schedule, not from its math.randomseed(42).
func TestReusedVMsForgetHostileScripts(t *testing.T) {
	s := load(t, "testdata/hostile_vm.lua", 0)
	w, err := newWorld(s, libFor(s), "test")
	if err != nil {
		t.Fatal(err)
	}
	m := newMachine(w, Options{})
	seen := func(tr *trace.Trace, prefix string) string {
		var b strings.Builder
		for _, e := range tr.Events {
			if e.Ev == trace.Log && strings.HasPrefix(e.Text, prefix) {
				b.WriteString(e.Node + " " + e.Text + "\n")
			}
		}
		return b.String()
	}
	first := runOn(m, 1)
	want := seen(first, "seen ")
	if strings.Count(want, "\n") < 10 || !strings.Contains(want, "string:format=function") {
		t.Fatalf("the hostile script saw too little:\n%s", want)
	}
	if env := seen(first, "env "); strings.Count(env, "env true abab 007") != 2 {
		t.Fatalf("first schedule: %s", env)
	}
	randoms := map[string]bool{seen(first, "random "): true}
	for seed := int64(2); seed <= 4; seed++ {
		tr := runOn(m, seed)
		if got := seen(tr, "seen "); got != want {
			t.Fatalf("seed %d: the renewed VMs look different:\n%s\nwant\n%s", seed, got, want)
		}
		if env := seen(tr, "env "); strings.Count(env, "env true abab 007") != 2 {
			t.Fatalf("seed %d: %s", seed, env)
		}
		randoms[seen(tr, "random ")] = true
	}
	if m.renewed == 0 {
		t.Fatal("no VM was reused")
	}
	if len(randoms) != 4 {
		t.Fatalf("math.random gave the same numbers in different schedules: %v", randoms)
	}
}
