package check

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/fatih/color"
)

// Print writes the report: an aligned table, one row per check; then,
// when something failed, the findings grouped by root cause (each root
// with the events that show it, what follows from it indented under it);
// the trace's warnings; and last the verdict, one line naming the failed
// checks. Event times are seconds since the trace's first event. color
// adds ANSI colors; the caller decides (a terminal, no NO_COLOR).
//
//	mutual exclusion  FAIL  1 pair of critical sections not ordered by happened-before ...
//	screen            FAIL  1 interleaving (all follow from mutual exclusion)
//	...
//
//	1 root cause and 1 finding that follows from it (lines of run.jsonl):
//	  1  mutual exclusion: A1's critical section (lines 30-35) and A2's (lines 32-37) are concurrent: ...
//	       line 30    A1   cs_enter             0.028s  lc 7     vc {A:3 A1:11 A2:8}
//	     ↳ 2  screen: A2 printed (line 33) between two lines of A1's critical section (lines 31 and 34)
//	verdict           FAIL  mutual exclusion, screen (1 root cause)
func (r *Report) Print(w io.Writer, useColor bool) {
	paint := func(s string, attrs ...color.Attribute) string {
		if !useColor {
			return s
		}
		c := color.New(attrs...)
		c.EnableColor()
		return c.Sprint(s)
	}
	width := len("verdict")
	for _, res := range r.Results {
		width = max(width, len(res.Check))
	}
	status := func(st Status) string {
		switch st {
		case Pass:
			return paint("PASS", color.FgGreen)
		case Fail:
			return paint("FAIL", color.FgRed, color.Bold)
		}
		return paint("SKIP", color.FgYellow)
	}
	more := 0
	for _, res := range r.Results {
		fmt.Fprintf(w, "%-*s  %s  %s\n", width, res.Check, status(res.Status), res.Summary)
		if res.Status == Fail {
			more += res.More
		}
	}
	if roots := r.Roots(); len(roots) > 0 {
		head := plural(len(roots), "root cause", "root causes")
		if n := r.consequences(); n > 0 {
			verb, obj := "follow", "them"
			if n == 1 {
				verb = "follows"
			}
			if len(roots) == 1 {
				obj = "it"
			}
			head += fmt.Sprintf(" and %s that %s from %s", plural(n, "finding", "findings"), verb, obj)
		}
		if r.TraceFile != "" {
			head += " (lines of " + r.TraceFile + ")"
		}
		fmt.Fprintf(w, "\n%s:\n", head)
		// The first roots with their events, the others a line each, and a
		// few of what follows from each: --json has all.
		const detailed, shown = 3, 3
		for i, root := range roots {
			fmt.Fprintf(w, "%s  %s: %s\n", paint(fmt.Sprintf("%3d", root.Evidence.ID), color.FgRed, color.Bold), root.Check, root.Evidence.Text)
			for _, ref := range root.Evidence.Events {
				if i >= detailed {
					break
				}
				fmt.Fprintf(w, "       %s\n", paint(r.eventLine(ref), color.Faint))
			}
			for i, c := range root.Follows {
				if i == shown {
					fmt.Fprintf(w, "       ... and %d more that follow from %d\n", len(root.Follows)-shown, root.Evidence.ID)
					break
				}
				fmt.Fprintf(w, "     ↳ %d  %s: %s\n", c.Evidence.ID, c.Check, c.Evidence.Text)
			}
		}
		if more > 0 {
			fmt.Fprintf(w, "  ... and %d more left out (--json has what was kept; see the trace)\n", more)
		}
	}
	if len(r.Warnings) > 0 {
		fmt.Fprintln(w)
	}
	for _, warn := range r.Warnings {
		fmt.Fprintf(w, "%s %s\n", paint("warning:", color.FgYellow), warn)
	}
	st, text := r.verdict()
	fmt.Fprintf(w, "%-*s  %s  %s\n", width, "verdict", status(st), text)
}

// consequences counts the findings that follow from a root cause.
func (r *Report) consequences() int {
	n := 0
	for _, res := range r.Results {
		for _, e := range res.Evidence {
			if e.Cause != 0 {
				n++
			}
		}
	}
	return n
}

// eventLine formats one event of the evidence.
func (r *Report) eventLine(e EventRef) string {
	what := e.Ev
	if e.Type != "" {
		what += " " + e.Type
	}
	s := fmt.Sprintf("line %-5d %-4s %-16s %9.3fs  lc %-5d", e.Line, e.Node, what, float64(e.T-r.Start)/1e9, e.LC)
	if e.VC != nil {
		s += " vc " + e.VC.String()
	}
	return strings.TrimRight(s, " ")
}

// MarshalJSON adds "failed" and "verdict" to the report's fields.
func (r Report) MarshalJSON() ([]byte, error) {
	type plain Report
	return json.Marshal(struct {
		Failed  bool   `json:"failed"`
		Verdict string `json:"verdict"`
		plain
	}{r.Failed(), r.Verdict(), plain(r)})
}

// JSON returns the report as indented JSON, with a final newline.
func (r *Report) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
