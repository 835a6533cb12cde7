package runview

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"mutexlab/runtime/cluster"
	"mutexlab/runtime/trace"
)

// Tally counts what the summary reports, event by event.
type Tally struct {
	mu       sync.Mutex
	entries  map[string]int
	messages map[string]int
	faults   map[string]int
}

// NewTally returns an empty tally.
func NewTally() *Tally {
	return &Tally{entries: map[string]int{}, messages: map[string]int{}, faults: map[string]int{}}
}

// Observe counts one event.
func (t *Tally) Observe(e trace.Event) {
	switch e.Ev {
	case trace.CSEnter:
		t.mu.Lock()
		t.entries[e.Node]++
		t.mu.Unlock()
	case trace.Send:
		t.mu.Lock()
		t.messages[e.Type]++
		t.mu.Unlock()
	case trace.Crash, trace.Restart, trace.Pause, trace.Cut:
		t.fault(e.Ev)
	case trace.Drop:
		if e.Reason != "" && e.Reason != trace.ReasonSteered {
			t.fault("dropped (" + e.Reason + ")")
		}
	case trace.Recv:
		if e.Dup {
			t.fault("duplicated")
		}
	}
}

func (t *Tally) fault(what string) {
	t.mu.Lock()
	t.faults[what]++
	t.mu.Unlock()
}

// Summary is the short account printed at the end of a run.
type Summary struct {
	Scenario  string         `json:"scenario"`
	Outcome   string         `json:"outcome"`
	Detail    string         `json:"detail,omitempty"`
	Processes int            `json:"processes"`
	Entries   map[string]int `json:"cs_entries"`
	Messages  map[string]int `json:"messages"`
	WallTime  float64        `json:"wall_seconds"`
	Trace     string         `json:"trace,omitempty"`
	// Faults counts what the scenario's fault plan and its network's
	// loss and duplicate did: "crash", "restart", "pause", "cut",
	// "dropped (loss)", "dropped (cut)", "dropped (crashed)", "duplicated".
	Faults map[string]int `json:"faults,omitempty"`
	// File and Scripts say what ran (the trace's header has the same).
	File    string         `json:"file,omitempty"`
	Scripts []trace.Script `json:"scripts,omitempty"`
}

// Summarize is the summary of a run that ended with out after wall.
func Summarize(meta trace.Meta, tl *Tally, out cluster.Outcome, wall time.Duration) Summary {
	tl.mu.Lock()
	s := Summary{Scenario: meta.Scenario, Processes: len(meta.Nodes), Entries: maps.Clone(tl.entries),
		Messages: maps.Clone(tl.messages), WallTime: wall.Seconds(), File: meta.File, Scripts: meta.Scripts}
	if len(tl.faults) > 0 {
		s.Faults = maps.Clone(tl.faults)
	}
	tl.mu.Unlock()
	switch {
	case out.Failed != "":
		s.Outcome, s.Detail = "failed", out.Err
	case out.Stalled:
		s.Outcome, s.Detail = "stalled", out.WaitFor
	case out.Interrupted:
		s.Outcome = "interrupted"
	default:
		s.Outcome = "complete"
	}
	return s
}

// DescribeCut is the warning for events left out of a trace to keep it
// consistent, or "".
func DescribeCut(cut map[string]int, ids []string) string {
	if len(cut) == 0 {
		return ""
	}
	total := 0
	var parts []string
	for _, id := range ids {
		if n := cut[id]; n > 0 {
			total += n
			parts = append(parts, fmt.Sprintf("%s %d", id, n))
		}
	}
	return fmt.Sprintf("%d events left out of the trace to keep it consistent (%s): they follow a receive whose send never reached the launcher", total, strings.Join(parts, ", "))
}

// Print prints the summary, the nodes' entries in the order of nodes.
func (s Summary) Print(w io.Writer, nodes []string) {
	total := 0
	for _, n := range s.Entries {
		total += n
	}
	fmt.Fprintf(w, "\nrun %s: %s, %d processes, %d CS entries in %.1fs\n", s.Scenario, s.Outcome, s.Processes, total, s.WallTime)
	if s.Detail != "" && s.Outcome != "failed" { // a failure is the last line, once
		fmt.Fprintf(w, "  %s\n", s.Detail)
	}
	var parts []string
	for _, id := range nodes {
		if n, ok := s.Entries[id]; ok {
			parts = append(parts, fmt.Sprintf("%s %d", id, n))
		}
	}
	if len(parts) == 0 {
		parts = append(parts, "none")
	}
	fmt.Fprintf(w, "  CS entries  %s\n", strings.Join(parts, "  "))
	fmt.Fprintf(w, "  messages    %s\n", countsText(s.Messages))
	if len(s.Faults) > 0 {
		fmt.Fprintf(w, "  faults      %s\n", countsText(s.Faults))
	}
	if s.Trace != "" {
		fmt.Fprintf(w, "  trace       %s\n", s.Trace)
	}
}

// countsText lists counts by name in name order: "DONE 6  REPLY 12".
func countsText(m map[string]int) string {
	names := slices.Sorted(maps.Keys(m))
	parts := make([]string, len(names))
	for i, name := range names {
		parts[i] = fmt.Sprintf("%s %d", name, m[name])
	}
	return strings.Join(parts, "  ")
}
