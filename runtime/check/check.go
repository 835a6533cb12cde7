// Package check judges a recorded run. Run takes a trace and returns a
// Report with one Result per check, each pass, fail or skip with the
// evidence a user needs to see why: the nodes, the events with their line
// numbers in the trace, their Lamport clocks and the vector clocks rebuilt
// from matched sends and receives.
//
//	t, err := trace.ReadFile("run.jsonl")
//	...
//	r := check.Run(t, check.Options{})
//	r.Print(os.Stdout, false)
//	if r.Failed() { os.Exit(1) }
//
// The checks (README, "The trace"; docs/trace.md):
//
//   - mutual exclusion: every two critical sections on different nodes are
//     ordered by happened-before (the exit of one precedes the entry of the
//     other), judged on vector clocks, not on wall time;
//   - screen: each critical section printed exactly its lines, its own
//     body ("I'm lightweight process A1"), none interleaved with another
//     node's, and was left before the next was entered;
//   - liveness: every lightweight granted the critical section entered it
//     once per grant (never without one, as often as the run has rounds),
//     no node failed or acted after its exit, and the run did not end
//     stalled (a deadlock is named as the cycle of its wait-for graph);
//   - order: Lamport and Ricart–Agrawala enter in (request ts, id) order,
//     Roucairol–Carvalho in that order among the requests each had heard
//     of, ties broken by the number in the id (A3 before A12;
//     docs/lua-api.md, "Ties"), the token visits the ring in order; the
//     family's token and quorum algorithms keep no such order and are
//     skipped (Textbook);
//   - clock: every receive advances the clock past the message's ts, no
//     node's clock goes back;
//   - messages: algorithm and token messages measured against the most
//     the textbook allows per entry (Textbook.Bound).
//
// Measure turns a trace into the costs `mutexlab compare` adds up:
// messages and waiting per entry, and the synchronization delay of each
// handover in hops along happened-before.
//
// Monitor is the live counterpart of the mutual exclusion check: it watches
// events as a run produces them and raises an alert the moment two nodes
// are in the critical section at once.
package check

import (
	"fmt"
	"sort"
	"strings"

	"mutexlab/runtime/trace"
)

// Names of the checks, in report order.
const (
	MutualExclusion = "mutual exclusion"
	Screen          = "screen"
	Liveness        = "liveness"
	Order           = "order"
	Clock           = "clock"
	Messages        = "messages"
)

// Status is a check's verdict.
type Status string

// Verdicts.
const (
	Pass Status = "pass"
	Fail Status = "fail"
	Skip Status = "skip" // the check does not apply (an unknown algorithm, nothing to judge)
)

// Options tune Run.
type Options struct {
	// Interrupted judges the run as interrupted (Ctrl-C) even when no exit
	// event says so: a grant not yet followed by an entry is not a failure.
	Interrupted bool
	// MaxEvidence caps the root causes kept per check, and the findings
	// kept per root cause; the rest are counted in Result.More. 0 means 20.
	MaxEvidence int
}

const defaultMaxEvidence = 20

// Report is the verdict on one trace.
type Report struct {
	Scenario string   `json:"scenario"`
	Results  []Result `json:"results"`
	// Warnings are inconsistencies of the trace itself that the checks
	// worked around (a receive with no matching send, a cs_exit with no
	// cs_enter). The reader's own warnings (a truncated last line) stay in
	// trace.Trace.Warnings.
	Warnings []string `json:"warnings,omitempty"`
	// Start is the t of the trace's earliest event; Print shows times
	// relative to it.
	Start int64 `json:"start"`
	// TraceFile is the file whose lines the evidence cites; the caller
	// sets it (a run's --trace or its kept temporary trace, explore's
	// saved schedule). Print names it.
	TraceFile string `json:"trace_file,omitempty"`
}

// Result is one check's verdict.
type Result struct {
	Check    string     `json:"check"`
	Status   Status     `json:"status"`
	Summary  string     `json:"summary"` // one line
	Evidence []Evidence `json:"evidence,omitempty"`
	// More counts evidence items left out to keep the report short.
	More int `json:"more,omitempty"`
}

// Evidence is one finding: a sentence, the nodes it is about and the
// events that show it.
type Evidence struct {
	// ID numbers the finding in the report, from 1, root causes and their
	// consequences alike, in the order Print shows them.
	ID     int        `json:"id"`
	Text   string     `json:"text"`
	Nodes  []string   `json:"nodes,omitempty"`
	Events []EventRef `json:"events,omitempty"`
	// Cause is the ID of the root cause this finding follows from: a
	// screen or order failure of two critical sections that mutual
	// exclusion found concurrent, a grant never used because of a stall,
	// a mutual exclusion pair due to a section never left. 0: the finding
	// is a root cause itself.
	Cause int `json:"cause,omitempty"`

	key      string // names this finding for others to point at
	causeKey string // the key of the finding this one follows from
}

// EventRef points at one event of the trace.
type EventRef struct {
	Line int    `json:"line"`
	Node string `json:"node"`
	Ev   string `json:"ev"`
	T    int64  `json:"t"`
	LC   int64  `json:"lc"`
	// VC is the event's vector clock, rebuilt from the trace, for the
	// events where happened-before matters (sends, receives, cs_enter,
	// cs_exit). Components that are 0 are left out.
	VC VClock `json:"vc,omitempty"`
	// Type is the message type of a send, receive or drop.
	Type string `json:"type,omitempty"`
}

// VClock is a vector clock: per node, how many of its events happened
// before (or are) this one.
type VClock map[string]int64

// String prints the clock as "{A:1 A1:4 A2:2}", nodes sorted.
func (v VClock) String() string {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s:%d", k, v[k])
	}
	b.WriteByte('}')
	return b.String()
}

// Failed reports whether any check failed.
func (r *Report) Failed() bool {
	for _, res := range r.Results {
		if res.Status == Fail {
			return true
		}
	}
	return false
}

// Result returns the result of the named check, or nil.
func (r *Report) Result(name string) *Result {
	for i := range r.Results {
		if r.Results[i].Check == name {
			return &r.Results[i]
		}
	}
	return nil
}

// Run checks a trace.
func Run(t *trace.Trace, opts Options) *Report {
	h := newHistory(t)
	defer h.free()
	interrupted := opts.Interrupted || h.interrupted()
	r := &Report{Scenario: t.Meta.Scenario, Start: h.start}
	r.Results = []Result{
		checkMutualExclusion(h),
		checkScreen(h),
		checkLiveness(h, interrupted),
		checkOrder(h),
		checkClock(h),
		checkMessages(h),
	}
	max := opts.MaxEvidence
	if max <= 0 {
		max = defaultMaxEvidence
	}
	link(r.Results, max)
	r.Warnings = h.warnings
	return r
}

// result builds a Result: fail when there is evidence, pass otherwise.
func result(name string, ev []Evidence, pass, fail string) Result {
	if len(ev) > 0 {
		return Result{Check: name, Status: Fail, Summary: fail, Evidence: ev}
	}
	return Result{Check: name, Status: Pass, Summary: pass}
}

// plural returns "1 thing" or "n things".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
