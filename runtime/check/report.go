package check

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/fatih/color"
)

// Print writes the report as an aligned table, one row per check, with the
// evidence of each failure under its row and the trace's warnings last.
// Event times are seconds since the trace's first event.
// color adds ANSI colors; the caller decides (a terminal, no NO_COLOR).
//
//	mutual exclusion  FAIL  1 pair of critical sections not ordered by happened-before ...
//	    A1's critical section (lines 30-35) and A2's (lines 37-40) are concurrent: ...
//	      line 30    A1   cs_enter             0.028s  lc 7     vc {A:3 A1:11 A2:8}
//	screen            PASS  4 critical sections printed 2 lines each, none interleaved
func (r *Report) Print(w io.Writer, useColor bool) {
	paint := func(s string, attrs ...color.Attribute) string {
		if !useColor {
			return s
		}
		c := color.New(attrs...)
		c.EnableColor()
		return c.Sprint(s)
	}
	width := 0
	for _, res := range r.Results {
		width = max(width, len(res.Check))
	}
	for _, res := range r.Results {
		var status string
		switch res.Status {
		case Pass:
			status = paint("PASS", color.FgGreen)
		case Fail:
			status = paint("FAIL", color.FgRed, color.Bold)
		default:
			status = paint("SKIP", color.FgYellow)
		}
		fmt.Fprintf(w, "%-*s  %s  %s\n", width, res.Check, status, res.Summary)
		if res.Status != Fail {
			continue
		}
		for _, e := range res.Evidence {
			fmt.Fprintf(w, "    %s\n", e.Text)
			for _, ref := range e.Events {
				fmt.Fprintf(w, "      %s\n", paint(r.eventLine(ref), color.Faint))
			}
		}
		if res.More > 0 {
			fmt.Fprintf(w, "    ... and %d more\n", res.More)
		}
	}
	for _, warn := range r.Warnings {
		fmt.Fprintf(w, "%s %s\n", paint("warning:", color.FgYellow), warn)
	}
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

// MarshalJSON adds "failed" to the report's fields.
func (r Report) MarshalJSON() ([]byte, error) {
	type plain Report
	return json.Marshal(struct {
		Failed bool `json:"failed"`
		plain
	}{r.Failed(), plain(r)})
}

// JSON returns the report as indented JSON, with a final newline.
func (r *Report) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
