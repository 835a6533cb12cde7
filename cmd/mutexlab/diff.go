package main

import (
	"cmp"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"mutexlab/runtime/check"
	"mutexlab/runtime/diagram"
	"mutexlab/runtime/runview"
	"mutexlab/runtime/trace"
)

func init() {
	c := &command{
		name:    "diff",
		usage:   "diff A.jsonl B.jsonl [-o diff.html]",
		summary: "say where two runs of the same system first diverge; exit 0 when they are the same schedule",
	}
	c.run = func(args []string) error { return runDiff(c, args) }
	register(c)
}

func runDiff(c *command, args []string) error {
	fs := newFlags(c)
	out := fs.String("o", "", "also write the two space-time diagrams, aligned, the divergence marked, to `FILE` (HTML)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usageErr("want two traces, got %d arguments", len(pos))
	}
	var runs [2]*trace.Trace
	for k, p := range pos {
		t, err := trace.ReadFile(p)
		if err != nil {
			return usageErr("%v", err)
		}
		for _, w := range t.Warnings {
			fmt.Fprintf(os.Stderr, "mutexlab diff: %s: warning: %s\n", p, w)
		}
		runs[k] = t
	}
	d, err := trace.Compare(runs[0], runs[1])
	if err != nil {
		return usageErr("%v", err)
	}
	var reports [2]*check.Report
	for k, t := range runs {
		reports[k] = check.Run(t, check.Options{Interrupted: interruptedRun(t)})
	}
	printDiff(os.Stdout, pos, runs, d, reports)
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return runtimeErr("-o: %v", err)
		}
		opts := diagram.DiffOptions{Names: [2]string{pos[0], pos[1]}, Verdicts: verdicts(reports),
			Violations: [2][]diagram.Violation{runview.Violations(reports[0]), runview.Violations(reports[1])}}
		err = diagram.DiffHTML(f, runs[0], runs[1], d, opts)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return runtimeErr("-o %s: %v", *out, err)
		}
		fmt.Printf("\n  diagram  %s\n", *out)
	}
	if !d.Same() {
		return checkFailed
	}
	return nil
}

// verdicts pairs the two reports' results, check by check.
func verdicts(r [2]*check.Report) []diagram.DiffVerdict {
	var out []diagram.DiffVerdict
	for _, res := range r[0].Results {
		v := diagram.DiffVerdict{Check: res.Check, Status: [2]string{string(res.Status), "-"}, Summary: [2]string{res.Summary, ""}}
		for _, o := range r[1].Results {
			if o.Check == res.Check {
				v.Status[1], v.Summary[1] = string(o.Status), o.Summary
			}
		}
		out = append(out, v)
	}
	return out
}

func runLine(t *trace.Trace) string {
	mode := t.Meta.Mode
	if mode == "" {
		mode = "recorded"
	}
	cs := 0
	for _, e := range t.Events {
		if e.Ev == trace.CSEnter {
			cs++
		}
	}
	return fmt.Sprintf("%s run, seed %d, %d events, %s", mode, t.Meta.Seed, len(t.Events), plural(cs, "critical section"))
}

func eventAt(e *trace.Event, ended string) string {
	if e == nil {
		return ended
	}
	return fmt.Sprintf("%s (line %d)", trace.Describe(e), e.Line)
}

func printDiff(w io.Writer, names []string, runs [2]*trace.Trace, d *trace.Diff, reports [2]*check.Report) {
	fmt.Fprintf(w, "diff %s: %d processes\n", cmp.Or(runs[0].Meta.Scenario, "-"), len(runs[0].Meta.Nodes))
	width := max(len(names[0]), len(names[1]))
	fmt.Fprintf(w, "  a  %-*s  %s\n", width, names[0], runLine(runs[0]))
	fmt.Fprintf(w, "  b  %-*s  %s\n\n", width, names[1], runLine(runs[1]))
	if d.Same() {
		fmt.Fprintln(w, "the same schedule: every node went through the same events (times and pids aside)")
	} else {
		fmt.Fprintln(w, "the runs diverge")
		f := d.First
		fmt.Fprintf(w, "  first difference    %s's event %d: a %s; b %s\n", f.Node, f.Same+1,
			eventAt(f.Diff[0], "has no more events"), eventAt(f.Diff[1], "has no more events"))
		if e := d.Entry; e != nil {
			bside := "never enters that round"
			if e.Enter[1] != nil {
				bside = fmt.Sprintf("at its event %d (line %d)", e.Index[1], e.Enter[1].Line)
			}
			fmt.Fprintf(w, "  first entry that differs  %s enters round %d in a at its event %d (line %d); in b %s\n",
				e.Node, e.Round, e.Index[0], e.Enter[0].Line, bside)
		}
		if dd := d.Delivery; dd != nil {
			fmt.Fprintf(w, "  first delivery chosen differently  %s's receive %d: a %s; b %s\n", dd.Node, dd.Index,
				eventAt(dd.Recv[0], "none"), eventAt(dd.Recv[1], "none"))
		}
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tEVENTS a\tb\tSAME FROM THE START")
	for _, n := range d.Nodes {
		same := "all"
		if !n.Equal() {
			same = fmt.Sprintf("%d, then a %s; b %s", n.Same, eventAt(n.Diff[0], "ends"), eventAt(n.Diff[1], "ends"))
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\n", n.Node, n.Count[0], n.Count[1], same)
	}
	tw.Flush()

	fmt.Fprintln(w)
	cs := func(list []trace.CSRef) string {
		parts := make([]string, len(list))
		for i, c := range list {
			parts[i] = c.String()
		}
		if len(parts) == 0 {
			return "(none)"
		}
		return strings.Join(parts, " ")
	}
	if d.CSFirst < 0 {
		fmt.Fprintf(w, "CS order   the same: %s\n", cs(d.CS[0]))
	} else {
		at := func(k int) string {
			if d.CSFirst < len(d.CS[k]) {
				return d.CS[k][d.CSFirst].String()
			}
			return "none"
		}
		fmt.Fprintf(w, "CS order   differs at entry %d: a %s, b %s\n", d.CSFirst+1, at(0), at(1))
		fmt.Fprintf(w, "  a  %s\n  b  %s\n", cs(d.CS[0]), cs(d.CS[1]))
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "messages\ta\tb")
	for _, m := range d.Messages {
		mark := ""
		if m.Count[0] != m.Count[1] {
			mark = "\t≠"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d%s\n", m.Type, m.Count[0], m.Count[1], mark)
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "check\ta\tb")
	for _, v := range verdicts(reports) {
		mark := ""
		if v.Status[0] != v.Status[1] {
			mark = "\t≠"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s%s\n", v.Check, strings.ToUpper(v.Status[0]), strings.ToUpper(v.Status[1]), mark)
	}
	tw.Flush()
}
