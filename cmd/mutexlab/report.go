package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/fatih/color"

	"mutexlab/runtime/check"
	"mutexlab/runtime/diagram"
	"mutexlab/runtime/trace"
)

// checkRun judges a finished (or interrupted) run.
func checkRun(t *trace.Trace, interrupted bool) *check.Report {
	return check.Run(t, check.Options{Interrupted: interrupted})
}

// violations turns the report's failures into what the diagram draws in
// red: each root cause, followed by what follows from it.
func violations(r *check.Report) []diagram.Violation {
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

// writeDiagram writes the run's space-time diagram with its failures.
func writeDiagram(t *trace.Trace, r *check.Report, path string) error {
	f, err := createLocked(path)
	if err != nil {
		return err
	}
	if err := writeDiagramTo(f, t, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writeDiagramTo writes the diagram into f, which the caller closes.
func writeDiagramTo(f *os.File, t *trace.Trace, r *check.Report) error {
	return diagram.HTML(f, t, diagram.Options{Violations: violations(r)})
}

// monitor raises a red line the moment two nodes are inside the critical
// section at once.
type monitor struct {
	mu    sync.Mutex
	w     io.Writer
	red   *color.Color
	m     *check.Monitor
	fired map[string]bool
}

func newMonitor(w io.Writer, useColor bool) *monitor {
	red := color.New(color.FgRed, color.Bold)
	if useColor {
		red.EnableColor()
	} else {
		red.DisableColor()
	}
	return &monitor{w: w, red: red, fired: map[string]bool{}}
}

func (m *monitor) start(meta trace.Meta) {
	m.mu.Lock()
	m.m = check.NewMonitor(meta)
	m.mu.Unlock()
}

func (m *monitor) observe(e trace.Event) {
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

// printReport prints the check report, aligned, colored on a terminal.
func printReport(w io.Writer, r *check.Report, useColor bool) {
	if r == nil {
		fmt.Fprintln(w, "no check report")
		return
	}
	r.Print(w, useColor)
}
