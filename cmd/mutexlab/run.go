package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"mutexlab/runtime/cluster"
	"mutexlab/runtime/netns"
	"mutexlab/runtime/runview"
	"mutexlab/runtime/scenario"
	"mutexlab/runtime/trace"
)

func init() {
	c := &command{
		name:    "run",
		usage:   "run [SCENARIO]",
		summary: "run the system as real OS processes over TCP, then check the run",
	}
	c.run = func(args []string) error {
		fs := newFlags(c)
		var sf scenarioFlags
		sf.register(fs)
		tracePath := fs.String("trace", "", "write the run's trace (JSON lines) to FILE as it goes")
		htmlPath := fs.String("html", "", "write the space-time diagram of the run to FILE at the end")
		asJSON := fs.Bool("json", false, "print the summary and the check report as JSON instead of text")
		useNetns := fs.Bool("netns", false, "put each group on a host of its own: a Linux network namespace on a bridge (root and iproute2)")
		arg, err := parseScenarioArgs(fs, args)
		if err != nil {
			return err
		}
		s, err := sf.load(arg)
		if err != nil {
			return classify(err)
		}
		return runBatch(s, arg, sf.dirs(), *tracePath, *htmlPath, *asJSON, *useNetns)
	}
	register(c)
}

// makeHosts puts each group of s on a network namespace of its own, after
// sweeping away what a killed launcher left. The scenario's network delay
// and jitter become netem's where the kernel has it.
func makeHosts(s *scenario.Scenario) (*netns.Net, error) {
	if k := netns.Sweep(); k > 0 {
		fmt.Fprintf(os.Stderr, "mutexlab run: --netns: removed %d namespaces and bridges an earlier run left behind\n", k)
	}
	var groups []string
	for _, g := range s.Groups {
		groups = append(groups, g.ID)
	}
	sh := netns.Shaping{Delay: time.Duration(scenario.Nanos(s.Network.Delay, s.Speed)),
		Jitter: time.Duration(scenario.Nanos(s.Network.Jitter, s.Speed))}
	if len(s.Network.Links) > 0 {
		sh = netns.Shaping{} // per-link delays stay the runtime's
	}
	n, err := netns.Create(groups, sh)
	if err != nil {
		return nil, err
	}
	if len(s.Network.Links) > 0 {
		n.NoNetem = "the scenario shapes links one by one"
	}
	return n, nil
}

// traceWriteError is the one line for a trace that could not be written.
func traceWriteError(t *runview.TraceFile, msg string) error {
	return runtimeErr("writing the trace %s: %s", t.Path, msg)
}

// printFaultPlan names the scenario's faults and its network's loss and
// duplicate under the header, when it has any.
func printFaultPlan(w io.Writer, s *scenario.Scenario) {
	var parts []string
	for _, f := range s.Faults {
		parts = append(parts, f.String())
	}
	if s.Network.Loss > 0 {
		parts = append(parts, "loss "+strconv.FormatFloat(s.Network.Loss, 'g', -1, 64))
	}
	if s.Network.Duplicate > 0 {
		parts = append(parts, "duplicate "+strconv.FormatFloat(s.Network.Duplicate, 'g', -1, 64))
	}
	lossy := 0
	for _, l := range s.Network.Links {
		if l.Loss > 0 || l.Duplicate > 0 {
			lossy++
		}
	}
	if lossy > 0 && s.Network.Loss == 0 && s.Network.Duplicate == 0 {
		parts = append(parts, plural(lossy, "link")+" with loss or duplicate")
	}
	if len(parts) > 0 {
		fmt.Fprintf(w, "  faults    %s\n", strings.Join(parts, "; "))
	}
}

// roundsText is "2 rounds", or "rounds forever".
func roundsText(n int) string {
	if n == 0 {
		return "rounds forever"
	}
	return plural(n, "round")
}

// runBatch launches s, relays the screen until the run ends, then prints
// the summary and the check report, judged on the trace read back.
func runBatch(s *scenario.Scenario, arg string, dirs []string, tracePath, htmlPath string, asJSON, useNetns bool) error {
	// Nothing starts unless every script compiles and the scenario is one
	// TCP can run.
	if s.Network.Reorder {
		return classify(cluster.ReorderError(s))
	}
	_, scripts, err := preflight(s, dirs)
	if err != nil {
		return err
	}
	// A run the machine cannot hold is refused rather than left to thrash.
	if err := cluster.Fits(s); err != nil {
		return classify(err)
	}
	if useNetns {
		if err := netns.Usable(); err != nil {
			return usageErr("%v", err)
		}
	}
	tf, err := runview.CreateTrace(tracePath, s.Name)
	if err != nil {
		return runtimeErr("--trace: %v", err)
	}
	// The diagram is written at the end, into a file locked from the start.
	var hf *os.File
	if htmlPath != "" {
		if hf, err = runview.CreateLocked(htmlPath); err != nil {
			tf.Discard()
			return runtimeErr("--html: %v", err)
		}
		defer hf.Close()
	}
	keep := !tf.Temp
	defer func() {
		if !keep {
			tf.Discard()
		}
	}()
	out := io.Writer(os.Stdout)
	if asJSON {
		out = io.Discard // the JSON document is the only output
	}
	fmt.Fprintf(out, "run %s: %d processes, %s, speed %s\n", s.Name, len(s.NodeIDs()), roundsText(s.Rounds),
		strconv.FormatFloat(s.Speed, 'g', -1, 64))
	printOrigins(out, s, scripts, "run")
	printFaultPlan(out, s)
	scr := runview.NewScreen(out, s.NodeIDs(), colorOut() && !asJSON)
	mon := runview.NewMonitor(out, colorOut() && !asJSON)
	mon.Start(s.Meta(nil, "tcp", Version))
	tl := runview.NewTally()
	// Listen before the launch: a signal that comes while the nodes start
	// stops the run as soon as it is up, and still gives a trace.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	var hosts cluster.Hosts
	if useNetns {
		n, err := makeHosts(s)
		if err != nil {
			return runtimeErr("--netns: %v", err)
		}
		defer func() {
			if err := n.Close(); err != nil {
				fmt.Fprintf(os.Stderr, "mutexlab run: --netns: cleaning up: %v\n", err)
			}
		}()
		fmt.Fprintf(out, "  network   %s\n", n.Describe())
		hosts = n
	}
	fmt.Fprintln(out)
	begin := time.Now()
	c, err := cluster.Start(cluster.Options{Hosts: hosts,
		Scenario: s, ScenarioArg: arg, ScriptDirs: dirs, Version: Version, Trace: tf.File,
		OnEvent: func(e trace.Event) {
			tl.Observe(e)
			mon.Observe(e)
		},
		OnScreen: scr.Line,
		OnStderr: func(id, line string) { fmt.Fprintln(os.Stderr, line) },
		OnStall: func(c *cluster.Cluster, st *trace.Stall) {
			runview.PrintStallStates(out, c, st)
		},
	})
	if err != nil {
		return classify(&cluster.RuntimeError{Err: err})
	}
	go func() {
		select {
		case <-sigs:
			c.Stop("interrupted")
		case <-c.Done():
		}
	}()
	<-c.Done()
	outcome := c.Outcome()
	if err := tf.Close(); err != nil && outcome.TraceErr == "" {
		outcome.TraceErr = err.Error()
	}
	if outcome.TraceErr != "" {
		return traceWriteError(tf, outcome.TraceErr)
	}
	if w := runview.DescribeCut(outcome.Cut, s.NodeIDs()); w != "" {
		fmt.Fprintln(os.Stderr, "mutexlab run: warning: "+w)
	}
	// The trace is read back in time order, not held: the check's memory
	// is what is concurrent in the run (docs/trace.md, Reading).
	ix, err := trace.OpenIndex(tf.Path)
	if err != nil {
		return runtimeErr("reading the trace back: %v", err)
	}
	defer ix.Close()
	sum := runview.Summarize(c.Meta(), tl, outcome, time.Since(begin))
	report, err := runview.CheckIndex(ix, outcome.Interrupted)
	if err != nil {
		return runtimeErr("reading the trace back: %v", err)
	}
	if tf.Temp && (report.Failed() || outcome.Stalled) {
		keep = true // the evidence cites its lines
	}
	var htmlErr error
	if hf != nil {
		instead := fmt.Sprintf("its end: mutexlab timeline %s --last 60; all of it judged: mutexlab check %s", tf.Path, tf.Path)
		var tooLong string
		tooLong, htmlErr = runview.WriteDiagramIndex(hf, ix, report, instead)
		if tooLong != "" {
			keep = true // what the page points at
			fmt.Fprintf(os.Stderr, "mutexlab run: --html: no diagram, the run has %s; %s\n", tooLong, instead)
		}
	}
	if keep {
		sum.Trace = tf.Path
		report.TraceFile = tf.Path // the evidence cites its lines
	}
	if asJSON {
		doc := map[string]any{"summary": sum}
		if report != nil {
			doc["checks"] = report
		}
		b, _ := json.MarshalIndent(doc, "", "  ")
		fmt.Println(string(b))
	} else {
		sum.Print(os.Stdout, s.NodeIDs())
		if report != nil {
			fmt.Println()
			runview.PrintReport(os.Stdout, report, colorOut())
		}
	}
	switch {
	case htmlErr != nil:
		return runtimeErr("--html: %v", htmlErr)
	case outcome.Failed != "" && outcome.ScriptError:
		return &exitError{code: exitUsage, msg: outcome.Err}
	case outcome.Failed != "":
		return &exitError{code: exitRuntime, msg: outcome.Err}
	case outcome.Stalled:
		return &exitError{code: exitCheck, msg: "the run stalled: " + outcome.WaitFor}
	case report.Failed():
		return checkFailed
	}
	return nil
}
