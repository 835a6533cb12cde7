package main

import (
	"fmt"
	"os"

	"mutexlab/runtime/check"
	"mutexlab/runtime/trace"
)

func init() {
	c := &command{
		name:    "check",
		usage:   "check TRACE [--json]",
		summary: "verify a recorded trace: mutual exclusion, screen, liveness, order, clocks, messages",
	}
	c.run = func(args []string) error { return runCheck(c, args) }
	register(c)
}

// runCheck reads a trace and prints the report: status 1 when a check
// fails, 2 when the trace cannot be read. The reader's warnings (a
// truncated last line) go to stderr.
func runCheck(c *command, args []string) error {
	fs := newFlags(c)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) == 0:
		return usageErr("missing TRACE")
	case len(pos) > 1:
		return usageErr("one TRACE at a time, got %d", len(pos))
	}
	// Walked in time order, in memory bounded by what is concurrent in
	// the run rather than by its length (docs/trace.md, Reading).
	ix, err := trace.OpenIndex(pos[0])
	if err != nil {
		return usageErr("%v", err)
	}
	defer ix.Close()
	for _, w := range ix.Warnings {
		fmt.Fprintf(os.Stderr, "mutexlab check: %s: warning: %s\n", pos[0], w)
	}
	r, err := check.RunIndex(ix, check.Options{})
	if err != nil {
		return usageErr("%s: %v", pos[0], err)
	}
	r.TraceFile = pos[0]
	if *asJSON {
		b, err := r.JSON()
		if err != nil {
			return err
		}
		os.Stdout.Write(b)
	} else {
		r.Print(os.Stdout, colorOut())
	}
	if r.Failed() {
		return checkFailed
	}
	return nil
}
