package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"mutexlab/runtime/check"
	"mutexlab/runtime/node"
	"mutexlab/runtime/runview"
	"mutexlab/runtime/scenario"
	"mutexlab/runtime/sim"
	"mutexlab/runtime/trace"
)

func init() {
	c := &command{
		name:    "replay",
		usage:   "replay TRACE",
		summary: "re-run a recorded run's delivery order in the simulator, then check and draw it",
	}
	c.run = func(args []string) error { return runReplay(c, args) }
	register(c)
}

// replayReport is the --json document.
type replayReport struct {
	Recorded    string          `json:"recorded"`
	Outcome     sim.Outcome     `json:"outcome"`
	Detail      string          `json:"detail,omitempty"`
	Divergence  *sim.Divergence `json:"divergence,omitempty"`
	SameCSOrder bool            `json:"same_cs_order"`
	RecordedCS  []sim.CSEntry   `json:"recorded_cs"`
	ReplayedCS  []sim.CSEntry   `json:"replayed_cs"`
	Trace       string          `json:"trace"`
	HTML        string          `json:"html,omitempty"`
	Checks      *check.Report   `json:"checks"`
	// Scripts lists the recorded scripts that changed since or are gone.
	Scripts []sim.ScriptChange `json:"scripts,omitempty"`
}

func runReplay(c *command, args []string) error {
	fs := newFlags(c)
	scen := fs.String("scenario", "", "the scenario to run (default: rebuilt from the trace's header)")
	scripts := fs.String("scripts", "", "folder searched first for algorithm and role scripts (an edited copy shows where the run would differ)")
	tracePath := fs.String("trace", "", "write the replayed trace to `FILE` (default: TRACE with .replay.jsonl)")
	htmlPath := fs.String("html", "", "write the replay's space-time diagram to `FILE`")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	state := fs.Bool("state", false, "record each node's algorithm state on every event, for the diagram's state panel")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErr("want one TRACE, got %d arguments", len(pos))
	}
	rec, err := trace.ReadFile(pos[0])
	if err != nil {
		return usageErr("%v", err)
	}
	for _, w := range rec.Warnings {
		fmt.Fprintf(os.Stderr, "mutexlab replay: %s: warning: %s\n", pos[0], w)
	}
	if *scripts != "" {
		if st, err := os.Stat(*scripts); err != nil || !st.IsDir() {
			return usageErr("--scripts %s: expected a folder of Lua scripts", *scripts)
		}
	}
	var s *scenario.Scenario
	if *scen != "" {
		if s, err = scenario.Resolve(*scen); err != nil {
			return classify(err)
		}
		// The recorded run's rounds and speed, whatever the file says.
		s.Rounds = rec.Meta.Rounds
		if rec.Meta.Speed > 0 {
			s.Speed = rec.Meta.Speed
		}
	} else if s, err = sim.ScenarioFromMeta(rec.Meta); err != nil {
		return usageErr("%s: %v", pos[0], err)
	} else if f := rec.Meta.File; f != "" && !strings.HasPrefix(f, trace.EmbeddedPrefix) {
		s.Dir = filepath.Dir(f) // the recorded scenario's folder, for a trace that names no scripts
	}
	lib := node.NewLibrary(*scripts, s.Dir)
	var changes []sim.ScriptChange
	if *scripts == "" {
		// The scripts the recorded run ran, wherever replay is started
		// from; --scripts says to run others.
		changes = sim.PinRecorded(lib, rec.Meta)
	}
	res, err := sim.Replay(rec, sim.ReplayOptions{Lib: lib, Scenario: s, Version: Version, State: *state})
	if err != nil {
		return classify(err)
	}
	out := *tracePath
	if out == "" {
		out = strings.TrimSuffix(pos[0], filepath.Ext(pos[0])) + ".replay.jsonl"
	}
	if err := writeTraceFile(out, res.Trace); err != nil {
		return runtimeErr("%v", err)
	}
	report := check.Run(res.Trace, check.Options{Interrupted: res.Outcome == sim.Ended && interruptedRun(rec)})
	report.TraceFile = out
	if *htmlPath != "" {
		if err := runview.WriteDiagram(res.Trace, report, *htmlPath); err != nil {
			return runtimeErr("--html: %v", err)
		}
	}
	doc := replayReport{Recorded: pos[0], Outcome: res.Outcome, Divergence: res.Divergence,
		SameCSOrder: res.SameCSOrder(), RecordedCS: res.Recorded, ReplayedCS: res.Replayed,
		Trace: out, HTML: *htmlPath, Checks: report, Scripts: changes}
	if res.Outcome == sim.Failed && res.Err != nil {
		doc.Detail = res.Err.Error()
	}
	if *asJSON {
		b, _ := json.MarshalIndent(doc, "", "  ")
		fmt.Println(string(b))
	} else {
		printReplay(os.Stdout, rec, res, doc, report)
	}
	if report.Failed() {
		return checkFailed
	}
	return nil
}

// interruptedRun reports whether a recorded run was stopped by the user,
// so that the replay is judged on what completed.
func interruptedRun(t *trace.Trace) bool {
	for _, e := range t.Events {
		if e.Ev == trace.Exit && e.Text == "interrupted" {
			return true
		}
	}
	return false
}

func printReplay(w io.Writer, rec *trace.Trace, res *sim.ReplayResult, doc replayReport, report *check.Report) {
	mode := rec.Meta.Mode
	if mode == "" {
		mode = "recorded"
	}
	fmt.Fprintf(w, "replay of %s (%s, %s run, %d processes, %d events): ", doc.Recorded, rec.Meta.Scenario, mode,
		len(rec.Meta.Nodes), len(rec.Events))
	if d := res.Divergence; d != nil {
		fmt.Fprintf(w, "DIVERGES at %s\n", d)
	} else {
		fmt.Fprintln(w, "followed the recording to the end")
	}
	for _, c := range doc.Scripts {
		fmt.Fprintf(w, "  script    %s\n", c)
	}
	if res.Divergence != nil {
		fmt.Fprintln(w, "  the scripts no longer do what the recorded ones did; from there on each node still gets its messages\n  in the recorded order where it can")
	}
	if doc.Detail != "" {
		fmt.Fprintf(w, "  %s\n", doc.Detail)
	}
	cs := func(list []sim.CSEntry) string {
		parts := make([]string, len(list))
		for i, e := range list {
			parts[i] = e.String()
		}
		if len(parts) == 0 {
			return "(none)"
		}
		return strings.Join(parts, " ")
	}
	if doc.SameCSOrder {
		fmt.Fprintf(w, "  CS order  %s (as recorded)\n", cs(res.Replayed))
	} else {
		fmt.Fprintf(w, "  CS order  recorded %s\n            replayed %s\n", cs(res.Recorded), cs(res.Replayed))
	}
	fmt.Fprintf(w, "  trace     %s\n", doc.Trace)
	if doc.HTML != "" {
		fmt.Fprintf(w, "  diagram   %s\n", doc.HTML)
	}
	fmt.Fprintln(w)
	report.Print(w, colorOut())
}
