package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/fatih/color"

	"mutexlab/runtime/check"
	"mutexlab/runtime/node"
	"mutexlab/runtime/scenario"
	"mutexlab/runtime/sim"
	"mutexlab/runtime/trace"
)

// compare runs every algorithm on the same load (the scenario with every
// group's lightweight algorithm replaced) over the same seeds and prints
// the measured cost side by side with the textbook's.

const defaultCompareRuns = 200

func init() {
	c := &command{
		name:    "compare",
		usage:   "compare [SCENARIO]",
		summary: "every algorithm on the same load, measured side by side",
	}
	c.run = func(args []string) error { return runCompare(c, os.Stdout, args) }
	register(c)
}

// compareFlags are compare's own flags.
type compareFlags struct {
	runs       int
	seed       int64
	seedSet    bool
	algorithms string
	asJSON     bool
}

// compareReport is the --json document.
type compareReport struct {
	Scenario   string          `json:"scenario"`
	Rounds     int             `json:"rounds"`
	Runs       int             `json:"runs"`
	Seed       int64           `json:"seed"`
	Algorithms []*compareStats `json:"algorithms"`
}

// compareStats is one algorithm's row. Times are milliseconds of virtual
// time; a mean with nothing to average is null.
type compareStats struct {
	Algorithm string `json:"algorithm"`
	Runs      int    `json:"runs"`
	Passed    int    `json:"passed"`
	Failed    int    `json:"failed"`
	// FirstFailure names the first failing schedule, if any.
	FirstFailure *compareFailure `json:"first_failure,omitempty"`
	// Entries counts the critical-section entries over every run.
	Entries int `json:"entries"`
	// Messages counts the messages lightweights sent to the lightweights
	// of their own group (the algorithm's messages).
	Messages         int      `json:"messages"`
	MessagesPerEntry *float64 `json:"messages_per_entry"`
	// Textbook is the formula ("3(N-1)") and its value for the scenario's
	// group sizes (weighted by entries when the groups differ), or empty
	// for an algorithm without one.
	Textbook      string   `json:"textbook,omitempty"`
	TextbookValue *float64 `json:"textbook_per_entry,omitempty"`
	SyncDelayMS   *float64 `json:"sync_delay_ms"`
	WaitingMS     *float64 `json:"waiting_ms"`
	RunTimeMS     *float64 `json:"run_time_ms"`

	syncSum, waitSum, runSum float64
	syncN, waitN, runN       int
}

type compareFailure struct {
	Seed    int64    `json:"seed"`
	Outcome string   `json:"outcome"`
	Checks  []string `json:"checks,omitempty"`
	Detail  string   `json:"detail,omitempty"`
}

// textbooks are the messages per entry of the algorithms the lab ships,
// as a function of the group size.
var textbooks = map[string]struct {
	formula string
	per     func(n int) int
}{
	"lamport":         {"3(N-1)", func(n int) int { return 3 * (n - 1) }},
	"ricart_agrawala": {"2(N-1)", func(n int) int { return 2 * (n - 1) }},
}

func runCompare(c *command, w io.Writer, args []string) error {
	fs := newFlags(c)
	var sf scenarioFlags
	sf.register(fs)
	var cf compareFlags
	cf.runs = defaultCompareRuns
	intFlag(fs, &cf.runs, "runs", 1, 1_000_000, fmt.Sprintf("simulated schedules per algorithm (default %d)", defaultCompareRuns))
	seedFlag(fs, &cf.seed, &cf.seedSet)
	fs.StringVar(&cf.algorithms, "algorithms", "lamport,ricart_agrawala", "comma-separated lightweight algorithms to compare")
	fs.BoolVar(&cf.asJSON, "json", false, "print the result as JSON")
	arg, err := parseScenarioArgs(fs, args)
	if err != nil {
		return err
	}
	if cf.runs < 1 {
		return usageErr("--runs takes a number >= 1")
	}
	var algs []string
	seen := map[string]bool{}
	for _, a := range strings.Split(cf.algorithms, ",") {
		a = strings.TrimSpace(a)
		if a == "" || seen[a] {
			continue
		}
		seen[a] = true
		algs = append(algs, a)
	}
	if len(algs) == 0 {
		return usageErr("--algorithms: expected a comma-separated list of algorithm names")
	}
	s, err := sf.load(arg)
	if err != nil {
		return classify(err)
	}
	if s.Rounds == 0 {
		s.Rounds = 1 // a schedule has to end
	}
	if !cf.seedSet {
		cf.seed = s.Seed
	}
	lib := node.NewLibrary(append(sf.dirs(), s.Dir)...)
	for _, a := range algs {
		if _, _, err := lib.Find(a); err != nil {
			return usageErr("--algorithms: %v", err)
		}
	}
	doc := compareReport{Scenario: s.Name, Rounds: s.Rounds, Runs: cf.runs, Seed: cf.seed}
	for _, a := range algs {
		st, err := compareOne(s, lib, a, cf.runs, cf.seed)
		if err != nil {
			return classify(err)
		}
		doc.Algorithms = append(doc.Algorithms, st)
	}
	if cf.asJSON {
		b, _ := json.MarshalIndent(doc, "", "  ")
		fmt.Fprintln(w, string(b))
	} else {
		printCompare(w, s, &doc, colorOut())
	}
	for _, st := range doc.Algorithms {
		if st.Failed > 0 {
			return checkFailed
		}
	}
	return nil
}

// withAlgorithm is a copy of s whose every group runs alg.
func withAlgorithm(s *scenario.Scenario, alg string) *scenario.Scenario {
	sc := *s
	sc.Groups = append([]scenario.Group(nil), s.Groups...)
	for i := range sc.Groups {
		sc.Groups[i].Algorithm = alg
	}
	return &sc
}

// compareRun is what one schedule measured.
type compareRun struct {
	err       error
	failed    bool
	failure   compareFailure
	entries   int
	messages  int
	textbook  float64 // sum over entries of the textbook cost
	syncSum   float64 // ns
	syncN     int
	waitSum   float64 // ns
	waitN     int
	totalTime int64 // ns
}

func compareOne(base *scenario.Scenario, lib *node.Library, alg string, runs int, seed int64) (*compareStats, error) {
	s := withAlgorithm(base, alg)
	out := make([]compareRun, runs)
	workers := min(runtime.GOMAXPROCS(0), runs)
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i] = compareSchedule(s, lib, alg, seed+int64(i))
			}
		}()
	}
	for i := range runs {
		next <- i
	}
	close(next)
	wg.Wait()

	st := &compareStats{Algorithm: alg, Runs: runs}
	var textbookSum float64
	for i := range out {
		r := &out[i]
		if r.err != nil {
			return nil, r.err
		}
		if r.failed {
			st.Failed++
			if st.FirstFailure == nil {
				f := r.failure
				st.FirstFailure = &f
			}
		} else {
			st.Passed++
		}
		st.Entries += r.entries
		st.Messages += r.messages
		textbookSum += r.textbook
		st.syncSum += r.syncSum
		st.syncN += r.syncN
		st.waitSum += r.waitSum
		st.waitN += r.waitN
		st.runSum += float64(r.totalTime)
		st.runN++
	}
	if st.Entries > 0 {
		st.MessagesPerEntry = ptr(float64(st.Messages) / float64(st.Entries))
	}
	if tb, ok := textbooks[alg]; ok {
		st.Textbook = tb.formula
		if st.Entries > 0 {
			st.TextbookValue = ptr(textbookSum / float64(st.Entries))
		} else {
			// No entry measured: the value for the first group's size.
			st.TextbookValue = ptr(float64(tb.per(base.Groups[0].Lightweights)))
		}
	}
	if st.syncN > 0 {
		st.SyncDelayMS = ptr(st.syncSum / float64(st.syncN) / 1e6)
	}
	if st.waitN > 0 {
		st.WaitingMS = ptr(st.waitSum / float64(st.waitN) / 1e6)
	}
	if st.runN > 0 {
		st.RunTimeMS = ptr(st.runSum / float64(st.runN) / 1e6)
	}
	return st, nil
}

func ptr(f float64) *float64 { return &f }

// compareSchedule runs and measures the schedule of one seed.
func compareSchedule(s *scenario.Scenario, lib *node.Library, alg string, seed int64) compareRun {
	res, err := sim.Run(s, lib, Version, sim.Options{Seed: seed})
	if err != nil {
		return compareRun{err: err}
	}
	rep := check.Run(res.Trace, check.Options{})
	var r compareRun
	if res.Outcome != sim.Complete || rep.Failed() {
		r.failed = true
		r.failure = compareFailure{Seed: seed, Outcome: res.Outcome.String(), Detail: res.Detail()}
		for _, c := range rep.Results {
			if c.Status == check.Fail {
				r.failure.Checks = append(r.failure.Checks, c.Check)
			}
		}
	}
	measureTrace(&r, res.Trace, alg)
	return r
}

// measureTrace fills r's message, entry and timing figures from t.
//
//   - messages: sends from a lightweight to a lightweight of its group;
//   - waiting: from a lightweight's first REQUEST after its last exit (or
//     its start) to its next cs_enter;
//   - synchronization delay: from a cs_exit to the group's next cs_enter,
//     counted only when the next one in had its request out before that
//     exit (so the token's trip around the ring is not counted).
func measureTrace(r *compareRun, t *trace.Trace, alg string) {
	group := map[string]string{} // lightweight -> group
	size := map[string]int{}     // group -> lightweights
	for g, kids := range t.Meta.Groups {
		for _, k := range kids {
			group[k] = g
		}
		size[g] = len(kids)
	}
	tb, hasTB := textbooks[alg]
	requested := map[string]int64{} // lightweight -> time of its pending request
	lastExit := map[string]int64{}  // group -> time of its last cs_exit
	hasExit := map[string]bool{}
	for _, e := range t.Events {
		if e.T > r.totalTime {
			r.totalTime = e.T
		}
		g, light := group[e.Node]
		if !light {
			continue
		}
		switch e.Ev {
		case trace.Send:
			if group[e.To] != g {
				continue
			}
			r.messages++
			if e.Type == "REQUEST" {
				if _, ok := requested[e.Node]; !ok {
					requested[e.Node] = e.T
				}
			}
		case trace.CSEnter:
			r.entries++
			if hasTB {
				r.textbook += float64(tb.per(size[g]))
			}
			req, ok := requested[e.Node]
			if ok {
				r.waitSum += float64(e.T - req)
				r.waitN++
			}
			if hasExit[g] && ok && req <= lastExit[g] {
				r.syncSum += float64(e.T - lastExit[g])
				r.syncN++
			}
			delete(requested, e.Node)
		case trace.CSExit:
			lastExit[g], hasExit[g] = e.T, true
		}
	}
}

func printCompare(w io.Writer, s *scenario.Scenario, doc *compareReport, useColor bool) {
	groups := make([]string, len(s.Groups))
	for i, g := range s.Groups {
		groups[i] = fmt.Sprintf("%s: %d", g.ID, g.Lightweights)
	}
	fmt.Fprintf(w, "compare %s: %s (lightweights %s), %s per schedule, %d schedules from seed %d\n\n",
		s.Name, plural(len(s.Groups), "group"), strings.Join(groups, ", "), plural(s.Rounds, "round"), doc.Runs, doc.Seed)

	head := []string{"algorithm", "passed", "failed", "msgs/entry", "textbook", "sync delay", "waiting", "run time"}
	rows := [][]string{head}
	for _, st := range doc.Algorithms {
		tb := "-"
		if st.TextbookValue != nil {
			tb = fmt.Sprintf("%s = %s", st.Textbook, fmtNum(*st.TextbookValue))
		}
		rows = append(rows, []string{
			st.Algorithm,
			fmt.Sprintf("%d/%d", st.Passed, st.Runs),
			strconv.Itoa(st.Failed),
			optNum(st.MessagesPerEntry, ""),
			tb,
			optNum(st.SyncDelayMS, " ms"),
			optNum(st.WaitingMS, " ms"),
			optNum(st.RunTimeMS, " ms"),
		})
	}
	widths := make([]int, len(head))
	for _, row := range rows {
		for i, cell := range row {
			widths[i] = max(widths[i], len(cell))
		}
	}
	bold := color.New(color.Bold)
	red := color.New(color.FgRed, color.Bold)
	green := color.New(color.FgGreen)
	for _, c := range []*color.Color{bold, red, green} {
		if useColor {
			c.EnableColor()
		} else {
			c.DisableColor()
		}
	}
	for ri, row := range rows {
		var b strings.Builder
		for i, cell := range row {
			pad := widths[i] - len(cell)
			// Text columns are left-aligned, numbers right-aligned.
			left := i == 0 || i == 4
			if i > 0 {
				b.WriteString("  ")
			}
			text := cell
			switch {
			case ri == 0:
				text = bold.Sprint(cell)
			case i == 2 && cell != "0":
				text = red.Sprint(cell)
			case i == 1 && doc.Algorithms[ri-1].Failed == 0:
				text = green.Sprint(cell)
			}
			if left {
				b.WriteString(text + strings.Repeat(" ", pad))
			} else {
				b.WriteString(strings.Repeat(" ", pad) + text)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "msgs/entry: messages between the lightweights of a group per critical-section entry (N: the group's size)")
	fmt.Fprintln(w, "sync delay: virtual time from a cs_exit to the group's next cs_enter, when that entrant was already waiting")
	fmt.Fprintln(w, "waiting:    virtual time from a lightweight's REQUEST to its cs_enter; run time: the whole schedule")
	for _, st := range doc.Algorithms {
		f := st.FirstFailure
		if f == nil {
			continue
		}
		what := strings.Join(f.Checks, ", ")
		if f.Outcome != sim.Complete.String() {
			if what != "" {
				what = f.Outcome + "; " + what
			} else {
				what = f.Outcome
			}
		}
		fmt.Fprintf(w, "%s %s: %s failed, first seed %d (%s)\n", red.Sprint("FAILED"), st.Algorithm,
			plural(st.Failed, "schedule"), f.Seed, what)
	}
}

func optNum(f *float64, unit string) string {
	if f == nil {
		return "-"
	}
	return fmtNum(*f) + unit
}

// fmtNum prints a figure with at most two decimals, none when whole.
func fmtNum(f float64) string {
	s := strconv.FormatFloat(f, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		s = "0"
	}
	return s
}
