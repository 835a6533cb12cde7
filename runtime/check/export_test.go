package check

import "mutexlab/runtime/trace"

// For the tests of package check_test.
var (
	SameReport  = sameReport
	SomeOptions = someOptions
)

// Peaks walks the trace ix indexes and returns the most it held at once:
// sections that a later one may be concurrent with, messages in flight,
// entries waiting for another's next, findings waiting for their
// sections, and events the walk held back.
func Peaks(ix *trace.Index) (map[string]int, error) {
	s := newStream(ix, Options{})
	if err := ix.Walk(s.event); err != nil {
		return nil, err
	}
	s.report()
	return map[string]int{"sections": s.peak.live, "in flight": s.peak.inflight, "entries": s.peak.entries,
		"findings": s.peak.waits, "events": ix.HeldBack()}, nil
}
