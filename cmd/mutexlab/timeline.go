package main

import (
	"bufio"
	"os"

	"mutexlab/runtime/check"
	"mutexlab/runtime/diagram"
	"mutexlab/runtime/runview"
)

func init() {
	register(&command{
		name:    "timeline",
		usage:   "timeline TRACE... [--last N] [--width COLUMNS]",
		summary: "show a trace as a lane view in the terminal (100 columns)",
		run:     runTimeline,
	})
}

func runTimeline(args []string) error {
	c := commands["timeline"]
	fs := newFlags(c)
	last, width := new(int), new(int)
	*width = 100
	intFlag(fs, last, "last", 0, 1<<31-1, "show only the last `N` rows (0: all)")
	intFlag(fs, width, "width", 60, 10000, "fit lines in `COLUMNS`, from 60 to 10000 (default 100)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usageErr("missing TRACE; usage: mutexlab %s", c.usage)
	}
	if *last < 0 {
		return usageErr("--last %d: want 0 or more", *last)
	}
	if *width < 60 {
		return usageErr("--width %d: want 60 or more", *width)
	}
	// Walked twice in time order, to check it and to draw it: the memory
	// is what is concurrent in the run and the rows shown, not the trace
	// (docs/trace.md, Reading). Several traces (one per node started by
	// hand) are merged first.
	ix, ta, err := openTraces("timeline", pos)
	if err != nil {
		return err
	}
	defer func() { ix.Close(); ta.done(false) }()
	report, err := check.RunIndex(ix, check.Options{})
	if err != nil {
		return usageErr("%s: %v", pos[0], err)
	}
	opts := diagram.TimelineOptions{Last: *last, Width: *width, Color: colorOut(), Violations: runview.Violations(report)}
	w := bufio.NewWriter(os.Stdout)
	if err := diagram.TimelineIndex(w, ix, opts); err != nil {
		return err
	}
	return w.Flush()
}
