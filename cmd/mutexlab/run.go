package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fatih/color"

	"mutexlab/runtime/cluster"
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
		arg, err := parseScenarioArgs(fs, args)
		if err != nil {
			return err
		}
		s, err := sf.load(arg)
		if err != nil {
			return classify(err)
		}
		return runBatch(s, arg, sf.dirs(), *tracePath, *htmlPath, *asJSON)
	}
	register(c)
}

// roundsText is "2 rounds", or "rounds forever".
func roundsText(n int) string {
	if n == 0 {
		return "rounds forever"
	}
	return plural(n, "round")
}

// palette colors each node's screen lines.
var palette = []color.Attribute{color.FgCyan, color.FgGreen, color.FgYellow, color.FgMagenta,
	color.FgBlue, color.FgRed, color.FgHiCyan, color.FgHiGreen, color.FgHiYellow, color.FgHiMagenta, color.FgHiBlue}

// screen prints node lines, one whole line at a time, colored per node.
type screen struct {
	mu     sync.Mutex
	w      io.Writer
	colors map[string]*color.Color
}

func newScreen(w io.Writer, ids []string, useColor bool) *screen {
	s := &screen{w: w, colors: map[string]*color.Color{}}
	for i, id := range ids {
		c := color.New(palette[i%len(palette)])
		if useColor {
			c.EnableColor()
		} else {
			c.DisableColor()
		}
		s.colors[id] = c
	}
	return s
}

func (s *screen) line(id, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.colors[id]; c != nil {
		c.Fprintln(s.w, text)
		return
	}
	fmt.Fprintln(s.w, text)
}

// traceFile is where a run's trace goes: the --trace file or, without
// one, a temporary file. The end-of-run check and the REPL's views read
// the trace back from it; nothing keeps the run's events in memory.
type traceFile struct {
	path string
	temp bool // made up for the run: removed at its end unless kept
	f    *os.File
}

// createTrace creates path, or a temporary file named after the scenario
// when path is "".
func createTrace(path, scenarioName string) (*traceFile, error) {
	if path == "" {
		name := strings.Map(func(r rune) rune {
			if r == '/' || r == os.PathSeparator || r == '*' {
				return '-'
			}
			return r
		}, scenarioName)
		f, err := os.CreateTemp("", "mutexlab-"+name+"-*.jsonl")
		if err != nil {
			return nil, fmt.Errorf("a temporary trace file: %w", err)
		}
		return &traceFile{path: f.Name(), temp: true, f: f}, nil
	}
	f, err := createLocked(path)
	if err != nil {
		return nil, err
	}
	return &traceFile{path: path, f: f}, nil
}

// close closes the file; the trace stays.
func (t *traceFile) close() error {
	if t.f == nil {
		return nil
	}
	err := t.f.Close()
	t.f = nil
	return err
}

// discard closes the file and removes it if it is temporary.
func (t *traceFile) discard() {
	t.close()
	if t.temp {
		os.Remove(t.path)
	}
}

// writeError is the one line for a trace that could not be written.
func (t *traceFile) writeError(msg string) error {
	return runtimeErr("writing the trace %s: %s", t.path, msg)
}

// tally counts what the summary reports, event by event.
type tally struct {
	mu       sync.Mutex
	entries  map[string]int
	messages map[string]int
}

func newTally() *tally { return &tally{entries: map[string]int{}, messages: map[string]int{}} }

func (t *tally) observe(e trace.Event) {
	switch e.Ev {
	case trace.CSEnter:
		t.mu.Lock()
		t.entries[e.Node]++
		t.mu.Unlock()
	case trace.Send:
		t.mu.Lock()
		t.messages[e.Type]++
		t.mu.Unlock()
	}
}

// summary is the short account printed at the end of a run.
type summary struct {
	Scenario  string         `json:"scenario"`
	Outcome   string         `json:"outcome"`
	Detail    string         `json:"detail,omitempty"`
	Processes int            `json:"processes"`
	Entries   map[string]int `json:"cs_entries"`
	Messages  map[string]int `json:"messages"`
	WallTime  float64        `json:"wall_seconds"`
	Trace     string         `json:"trace,omitempty"`
	// File and Scripts say what ran (the trace's header has the same).
	File    string         `json:"file,omitempty"`
	Scripts []trace.Script `json:"scripts,omitempty"`
}

func summarize(meta trace.Meta, tl *tally, out cluster.Outcome, wall time.Duration) summary {
	tl.mu.Lock()
	s := summary{Scenario: meta.Scenario, Processes: len(meta.Nodes), Entries: maps.Clone(tl.entries),
		Messages: maps.Clone(tl.messages), WallTime: wall.Seconds(), File: meta.File, Scripts: meta.Scripts}
	tl.mu.Unlock()
	switch {
	case out.Failed != "":
		s.Outcome, s.Detail = "failed", out.Err
	case out.Stalled:
		s.Outcome, s.Detail = "stalled", out.WaitFor
	case out.Interrupted:
		s.Outcome = "interrupted"
	default:
		s.Outcome = "complete"
	}
	return s
}

// describeCut is the warning for events left out of a trace to keep it
// consistent, or "".
func describeCut(cut map[string]int, ids []string) string {
	if len(cut) == 0 {
		return ""
	}
	total := 0
	var parts []string
	for _, id := range ids {
		if n := cut[id]; n > 0 {
			total += n
			parts = append(parts, fmt.Sprintf("%s %d", id, n))
		}
	}
	return fmt.Sprintf("%d events left out of the trace to keep it consistent (%s): they follow a receive whose send never reached the launcher", total, strings.Join(parts, ", "))
}

func (s summary) print(w io.Writer, nodes []string) {
	total := 0
	for _, n := range s.Entries {
		total += n
	}
	fmt.Fprintf(w, "\nrun %s: %s, %d processes, %d CS entries in %.1fs\n", s.Scenario, s.Outcome, s.Processes, total, s.WallTime)
	if s.Detail != "" && s.Outcome != "failed" { // a failure is the last line, once
		fmt.Fprintf(w, "  %s\n", s.Detail)
	}
	var parts []string
	for _, id := range nodes {
		if n, ok := s.Entries[id]; ok {
			parts = append(parts, fmt.Sprintf("%s %d", id, n))
		}
	}
	if len(parts) == 0 {
		parts = append(parts, "none")
	}
	fmt.Fprintf(w, "  CS entries  %s\n", strings.Join(parts, "  "))
	types := make([]string, 0, len(s.Messages))
	for t := range s.Messages {
		types = append(types, t)
	}
	sort.Strings(types)
	parts = parts[:0]
	for _, t := range types {
		parts = append(parts, fmt.Sprintf("%s %d", t, s.Messages[t]))
	}
	fmt.Fprintf(w, "  messages    %s\n", strings.Join(parts, "  "))
	if s.Trace != "" {
		fmt.Fprintf(w, "  trace       %s\n", s.Trace)
	}
}

// runBatch launches s, relays the screen until the run ends, then prints
// the summary and the check report, judged on the trace read back.
func runBatch(s *scenario.Scenario, arg string, dirs []string, tracePath, htmlPath string, asJSON bool) error {
	// Nothing starts unless every script compiles and the scenario is one
	// TCP can run.
	if s.Network.Reorder {
		return classify(cluster.ReorderError(s))
	}
	_, scripts, err := preflight(s, dirs)
	if err != nil {
		return err
	}
	tf, err := createTrace(tracePath, s.Name)
	if err != nil {
		return runtimeErr("--trace: %v", err)
	}
	// The diagram is written at the end, into a file locked from the start.
	var hf *os.File
	if htmlPath != "" {
		if hf, err = createLocked(htmlPath); err != nil {
			tf.discard()
			return runtimeErr("--html: %v", err)
		}
		defer hf.Close()
	}
	keep := !tf.temp
	defer func() {
		if !keep {
			tf.discard()
		}
	}()
	out := io.Writer(os.Stdout)
	if asJSON {
		out = io.Discard // the JSON document is the only output
	}
	fmt.Fprintf(out, "run %s: %d processes, %s, speed %s\n", s.Name, len(s.NodeIDs()), roundsText(s.Rounds),
		strconv.FormatFloat(s.Speed, 'g', -1, 64))
	printOrigins(out, s, scripts, "run")
	fmt.Fprintln(out)
	scr := newScreen(out, s.NodeIDs(), colorOut() && !asJSON)
	mon := newMonitor(out, colorOut() && !asJSON)
	mon.start(s.Meta(nil, "tcp", Version))
	tl := newTally()
	// Listen before the launch: a signal that comes while the nodes start
	// stops the run as soon as it is up, and still gives a trace.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	begin := time.Now()
	c, err := cluster.Start(cluster.Options{
		Scenario: s, ScenarioArg: arg, ScriptDirs: dirs, Version: Version, Trace: tf.f,
		OnEvent: func(e trace.Event) {
			tl.observe(e)
			mon.observe(e)
		},
		OnScreen: scr.line,
		OnStderr: func(id, line string) { fmt.Fprintln(os.Stderr, line) },
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
	if err := tf.close(); err != nil && outcome.TraceErr == "" {
		outcome.TraceErr = err.Error()
	}
	if outcome.TraceErr != "" {
		return tf.writeError(outcome.TraceErr)
	}
	if w := describeCut(outcome.Cut, s.NodeIDs()); w != "" {
		fmt.Fprintln(os.Stderr, "mutexlab run: warning: "+w)
	}
	t, err := trace.ReadFile(tf.path)
	if err != nil {
		return runtimeErr("reading the trace back: %v", err)
	}
	sum := summarize(c.Meta(), tl, outcome, time.Since(begin))
	report := checkRun(t, outcome.Interrupted)
	if tf.temp && (report.Failed() || outcome.Stalled) {
		keep = true // the evidence cites its lines
	}
	if keep {
		sum.Trace = tf.path
		report.TraceFile = tf.path // the evidence cites its lines
	}
	var htmlErr error
	if hf != nil {
		htmlErr = writeDiagramTo(hf, t, report)
	}
	if asJSON {
		doc := map[string]any{"summary": sum}
		if report != nil {
			doc["checks"] = report
		}
		b, _ := json.MarshalIndent(doc, "", "  ")
		fmt.Println(string(b))
	} else {
		sum.print(os.Stdout, s.NodeIDs())
		if report != nil {
			fmt.Println()
			printReport(os.Stdout, report, colorOut())
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
