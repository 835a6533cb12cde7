package cluster

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"mutexlab/runtime/check"
	"mutexlab/runtime/diagram"
	"mutexlab/runtime/scenario"
	"mutexlab/runtime/trace"
)

// A deadlock is found from what the scripts say they wait for as data,
// whatever words they add: the run, check and the timeline all name the
// same cycle.
func TestDeadlockIsTheCycleWhateverTheWords(t *testing.T) {
	dir := t.TempDir()
	// Everyone defers every request while it requests itself: the
	// after_you bug. The reason's label is deliberately odd.
	algo := `
local M = { requesting = false, replies = {}, deferred = {} }
node.on("REQUEST", function(msg)
  if M.requesting then table.insert(M.deferred, msg.sender) else node.send(msg.sender, "REPLY") end
end)
node.on("REPLY", function(msg) M.replies[msg.sender] = true end)
local function missing()
  local out = {}
  for _, p in ipairs(node.peers) do if not M.replies[p] then table.insert(out, p) end end
  return out
end
function M.request()
  M.requesting, M.replies = true, {}
  node.broadcast(node.peers, "REQUEST")
  node.wait_until(function() return #missing() == 0 end, function()
    return { type = "REPLY", from = missing(), label = "from A2 hmm; 🍕 not REPLY from B9" }
  end)
  M.requesting = false
end
function M.release() for _, p in ipairs(M.deferred) do node.send(p, "REPLY") end M.deferred = {} end
return M
`
	scen := `return { name = "stubborn", token = "token",
  groups = { { id = "A", algorithm = "stubborn", lightweights = 3 }, { id = "B", algorithm = "stubborn", lightweights = 2 } },
  cs = { prints = 1, interval = 0 }, rounds = 1,
  -- Every request crosses the others: each lightweight has asked before
  -- a peer's REQUEST reaches it, however fast the nodes start.
  network = { delay = 0.02 } }`
	for name, body := range map[string]string{"stubborn.lua": algo, "scenario.lua": scen} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tr := filepath.Join(dir, "t.jsonl")
	res := mutexlab(t, dir, "run", "scenario.lua", "--trace", tr)
	if res.code != 1 {
		t.Fatalf("exit %d, want 1 (stalled)\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	// Who replied before requesting depends on timing; that the cycle is
	// named, with the script's words beside it, does not.
	_, cycle, ok := strings.Cut(res.stderr, "the run stalled: ")
	cycle = strings.TrimSpace(cycle)
	if !ok || !strings.HasPrefix(cycle, "deadlock A") || !strings.Contains(cycle, " waits for REPLY from A") ||
		!strings.Contains(cycle, "(from A2 hmm; 🍕 not REPLY from B9)") || !strings.Contains(cycle, "B1, B2 wait behind it") {
		t.Fatalf("the run's verdict does not name a cycle:\n%s", res.stderr)
	}
	chk := mutexlab(t, dir, "check", tr)
	if chk.code != 1 || !strings.Contains(chk.stdout, "liveness          FAIL  stall: "+cycle) {
		t.Errorf("check (exit %d) does not name the cycle:\n%s", chk.code, chk.stdout)
	}
	tl := mutexlab(t, dir, "timeline", tr, "--width", "400")
	if !strings.Contains(tl.stdout, "at the end, stall: "+cycle) {
		t.Errorf("timeline does not end on the cycle:\n%s", tl.stdout)
	}
}

// A node killed inside its critical section leaves its peers waiting for
// it: check and the timeline say the same thing about it.
func TestKilledInCSCheckAndTimelineAgree(t *testing.T) {
	s, err := scenario.Resolve("seed")
	if err != nil {
		t.Fatal(err)
	}
	s.CS = scenario.CS{Prints: 1000, Interval: 1} // long enough to be killed in
	s.Rounds = 1
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}

	var (
		mu     sync.Mutex
		events []trace.Event
		holder string
	)
	ready := make(chan string, 1) // the holder, once both peers wait for it
	dead := make(chan struct{})
	c, err := Start(Options{Scenario: s, Binary: bin, Version: "test",
		OnEvent: func(e trace.Event) {
			mu.Lock()
			defer mu.Unlock()
			events = append(events, e)
			switch {
			case e.Ev == trace.CSEnter && holder == "":
				holder = e.Node
			case e.Ev == trace.Exit && e.Node == holder && e.Text == trace.ExitKilled:
				close(dead)
			}
			if holder == "" {
				return
			}
			// Both other lightweights wait for the holder's RELEASE.
			waiting := 0
			last := map[string]*trace.Wait{}
			for i := range events {
				if events[i].Ev == trace.Block {
					last[events[i].Node] = trace.WaitOf(&events[i])
				}
				if events[i].Ev == trace.Unblock {
					delete(last, events[i].Node)
				}
			}
			for id, w := range last {
				if id != holder && w.Type == "RELEASE" && len(w.From) == 1 && w.From[0] == holder {
					waiting++
				}
			}
			if waiting == 2 {
				select {
				case ready <- holder:
				default:
				}
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop("stopped")
	var h string
	select {
	case h = <-ready:
	case <-c.Done():
		t.Fatalf("the run ended before anyone waited for the holder: %+v", c.Outcome())
	case <-time.After(60 * time.Second):
		t.Fatal("nobody waited for the holder within 60 s")
	}
	if err := c.Kill(h); err != nil {
		t.Fatal(err)
	}
	select {
	case <-dead:
	case <-time.After(30 * time.Second):
		t.Fatalf("%s's death was not recorded", h)
	}
	c.Stop(trace.ExitInterrupted)

	mu.Lock()
	tr := &trace.Trace{Meta: c.Meta(), Events: events}
	mu.Unlock()
	report := check.Run(tr, check.Options{Interrupted: true})
	live := report.Result(check.Liveness)
	if live.Status != check.Fail || !strings.Contains(live.Summary, "waits for RELEASE from "+h+", but "+h+" (killed) has ended") {
		t.Fatalf("liveness: %s %q; want a failure naming the dead %s", live.Status, live.Summary, h)
	}
	var buf bytes.Buffer
	if err := diagram.Timeline(&buf, tr, diagram.TimelineOptions{Width: 400}); err != nil {
		t.Fatal(err)
	}
	stall := strings.TrimPrefix(live.Summary, "stall: ")
	if i := strings.Index(stall, " (also "); i >= 0 {
		stall = stall[:i]
	}
	if !strings.Contains(buf.String(), "at the end, stall: "+stall) {
		t.Errorf("the timeline does not end on check's stall %q:\n%s", stall, buf.String())
	}
}
