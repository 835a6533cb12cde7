package runview

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/fatih/color"

	"mutexlab/runtime/check"
	"mutexlab/runtime/cluster"
	"mutexlab/runtime/diagram"
	"mutexlab/runtime/trace"
)

// Check judges a finished (or interrupted) run.
func Check(t *trace.Trace, interrupted bool) *check.Report {
	return check.Run(t, check.Options{Interrupted: interrupted})
}

// CheckIndex judges a finished (or interrupted) run from its trace file,
// walking it (check.RunIndex): the memory is what is concurrent in the
// run, not its length.
func CheckIndex(ix *trace.Index, interrupted bool) (*check.Report, error) {
	return check.RunIndex(ix, check.Options{Interrupted: interrupted})
}

// WriteDiagramIndex writes the diagram of the trace ix indexes into w,
// with r's failures, reading the trace whole for it. A trace too long to
// draw (diagram.TooLong) gets a page that says so and what to look at
// instead, and tooLong says why.
func WriteDiagramIndex(w io.Writer, ix *trace.Index, r *check.Report, instead string) (tooLong string, err error) {
	if why := diagram.TooLong(ix.Events); why != "" {
		return why, diagram.TooLongPage(w, "mutexlab: "+ix.Meta.Scenario, ix.Events, instead)
	}
	t, err := ix.Read()
	if err != nil {
		return "", err
	}
	return "", diagram.HTML(w, t, diagram.Options{Violations: Violations(r)})
}

// Violations turns the report's failures into what the diagram draws in red.
func Violations(r *check.Report) []diagram.Violation {
	if r == nil {
		return nil
	}
	var out []diagram.Violation
	add := func(checkName string, ev check.Evidence, follows int) {
		v := diagram.Violation{Nodes: ev.Nodes, Text: checkName + ": " + ev.Text, Check: checkName, Follows: follows}
		for _, ref := range ev.Events {
			v.Lines = append(v.Lines, ref.Line)
		}
		out = append(out, v)
	}
	for _, root := range r.Roots() {
		at := len(out) + 1
		add(root.Check, root.Evidence, 0)
		for _, c := range root.Follows {
			add(c.Check, c.Evidence, at)
		}
	}
	return out
}

// WriteDiagram writes the run's space-time diagram with its failures.
func WriteDiagram(t *trace.Trace, r *check.Report, path string) error {
	f, err := CreateLocked(path)
	if err != nil {
		return err
	}
	if err := WriteDiagramTo(f, t, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// WriteDiagramTo writes the diagram into f, which the caller closes (run
// --html locks its file from the start of the run).
func WriteDiagramTo(f *os.File, t *trace.Trace, r *check.Report) error {
	return diagram.HTML(f, t, diagram.Options{Violations: Violations(r)})
}

// RenderDiagram draws t with the checker's violations, if any: the
// diagram subcommand, run --html and the REPL's diagram.
func RenderDiagram(w io.Writer, t *trace.Trace) error {
	// The checker's failures are drawn in red.
	return diagram.HTML(w, t, diagram.Options{Violations: Violations(Check(t, false))})
}

// Monitor raises a red line the moment two nodes are inside the critical
// section at once.
type Monitor struct {
	mu    sync.Mutex
	w     io.Writer
	red   *color.Color
	m     *check.Monitor
	fired map[string]bool
}

// NewMonitor returns a monitor printing its alerts to w.
func NewMonitor(w io.Writer, useColor bool) *Monitor {
	red := color.New(color.FgRed, color.Bold)
	if useColor {
		red.EnableColor()
	} else {
		red.DisableColor()
	}
	return &Monitor{w: w, red: red, fired: map[string]bool{}}
}

// Start begins watching the run meta describes.
func (m *Monitor) Start(meta trace.Meta) {
	m.mu.Lock()
	m.m = check.NewMonitor(meta)
	m.mu.Unlock()
}

// Observe takes one event, and prints an alert the first time it is raised.
func (m *Monitor) Observe(e trace.Event) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil {
		return
	}
	if alert := m.m.Observe(e); alert != "" && !m.fired[alert] {
		m.fired[alert] = true
		m.red.Fprintln(m.w, strings.TrimSpace(alert))
	}
}

// PrintReport prints the check report, aligned, colored on a terminal.
func PrintReport(w io.Writer, r *check.Report, useColor bool) {
	if r == nil {
		fmt.Fprintln(w, "no check report")
		return
	}
	r.Print(w, useColor)
}

// PrintStallStates shows, while a stalled run's nodes are still up, what
// each stalled node's algorithm holds: the tables `inspect` would show.
func PrintStallStates(w io.Writer, c *cluster.Cluster, st *trace.Stall) {
	fmt.Fprintf(w, "\nthe run stalled: %s\n", st.String())
	fmt.Fprintln(w, "the algorithm state of each stalled node, before the processes end:")
	ids := st.Nodes()
	width := 0
	for _, id := range ids {
		width = max(width, len(id))
	}
	for _, id := range ids {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		v, err := c.State(ctx, id)
		cancel()
		if err != nil {
			v = "(" + err.Error() + ")"
		}
		fmt.Fprintf(w, "  %-*s  %s\n", width, id, v)
	}
}
