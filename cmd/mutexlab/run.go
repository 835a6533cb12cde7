package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
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

// recorder keeps a run's events in memory and, with --trace, on disk.
type recorder struct {
	meta   trace.Meta
	events []trace.Event
	file   *os.File
	w      *trace.Writer
}

func newRecorder(path string) (*recorder, error) {
	r := &recorder{}
	if path != "" {
		f, err := os.Create(path)
		if err != nil {
			return nil, usageErr("--trace: %v", err)
		}
		r.file = f
		r.w = trace.NewWriter(f)
	}
	return r, nil
}

func (r *recorder) start(m trace.Meta) {
	r.meta = m
	if r.w != nil {
		r.w.WriteMeta(m)
	}
}

func (r *recorder) Record(e trace.Event) {
	e.Line = len(r.events) + 2
	r.events = append(r.events, e)
	if r.w != nil {
		r.w.Record(e)
	}
}

func (r *recorder) close() error {
	if r.file == nil {
		return nil
	}
	if err := r.w.Err(); err != nil {
		r.file.Close()
		return err
	}
	return r.file.Close()
}

func (r *recorder) trace() *trace.Trace {
	return &trace.Trace{Meta: r.meta, Events: r.events}
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
}

func summarize(t *trace.Trace, out cluster.Outcome, wall time.Duration) summary {
	s := summary{Scenario: t.Meta.Scenario, Processes: len(t.Meta.Nodes), Entries: map[string]int{},
		Messages: map[string]int{}, WallTime: wall.Seconds()}
	for _, e := range t.Events {
		switch e.Ev {
		case trace.CSEnter:
			s.Entries[e.Node]++
		case trace.Send:
			s.Messages[e.Type]++
		}
	}
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
// the summary and the check report.
func runBatch(s *scenario.Scenario, arg string, dirs []string, tracePath, htmlPath string, asJSON bool) error {
	rec, err := newRecorder(tracePath)
	if err != nil {
		return err
	}
	out := io.Writer(os.Stdout)
	if asJSON {
		out = io.Discard // the JSON document is the only output
	}
	scr := newScreen(out, s.NodeIDs(), colorOut() && !asJSON)
	mon := newMonitor(out, colorOut() && !asJSON)
	var started sync.WaitGroup
	started.Add(1)
	begin := time.Now()
	c, err := cluster.Start(cluster.Options{
		Scenario: s, ScenarioArg: arg, ScriptDirs: dirs, Version: Version,
		OnEvent: func(e trace.Event) {
			started.Wait()
			rec.Record(e)
			mon.observe(e)
		},
		OnScreen: scr.line,
		OnStderr: func(id, line string) { fmt.Fprintln(os.Stderr, line) },
	})
	if err != nil {
		rec.close()
		return classify(&cluster.RuntimeError{Err: err})
	}
	mon.start(c.Meta())
	rec.start(c.Meta())
	started.Done()

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		select {
		case <-sigs:
			c.Stop("interrupted")
		case <-c.Done():
		}
	}()
	<-c.Done()
	outcome := c.Outcome()
	if err := rec.close(); err != nil {
		fmt.Fprintf(os.Stderr, "mutexlab run: writing %s: %v\n", tracePath, err)
	}
	t := rec.trace()
	sum := summarize(t, outcome, time.Since(begin))
	sum.Trace = tracePath
	report := checkRun(t, outcome.Interrupted)
	if htmlPath != "" {
		if err := writeDiagram(t, report, htmlPath); err != nil {
			fmt.Fprintf(os.Stderr, "mutexlab run: --html: %v\n", err)
		}
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
