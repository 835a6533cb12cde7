package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

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
	// Textbook is the formula ("3(N-1)", "0 or N"); TextbookLow and
	// TextbookHigh its range per entry for the scenario's group sizes
	// (weighted by entries when the groups differ), TextbookValue the
	// figure when the textbook gives one. Empty for an algorithm without
	// a textbook.
	Textbook      string   `json:"textbook,omitempty"`
	TextbookValue *float64 `json:"textbook_per_entry,omitempty"`
	TextbookLow   *float64 `json:"textbook_low,omitempty"`
	TextbookHigh  *float64 `json:"textbook_high,omitempty"`
	// WithinTextbook says whether MessagesPerEntry lies in the range.
	WithinTextbook *bool `json:"within_textbook,omitempty"`
	// SyncHops is the mean synchronization delay in messages on the causal
	// chain from an exit to the next entry (check.Sync), SyncHopsMax the
	// longest; SyncHopsTextbook the textbook's ("1", "1..D = 1..3").
	SyncHops         *float64 `json:"sync_hops"`
	SyncHopsMax      *int     `json:"sync_hops_max"`
	SyncHopsTextbook string   `json:"sync_hops_textbook,omitempty"`
	SyncDelayMS      *float64 `json:"sync_delay_ms"`
	// WaitingMS is the mean time from a lightweight's CS_GRANT to its
	// entry; WaitingSDMS its standard deviation and WaitingMaxMS the
	// longest (fairness: how unequal the waits are).
	WaitingMS    *float64 `json:"waiting_ms"`
	WaitingSDMS  *float64 `json:"waiting_sd_ms"`
	WaitingMaxMS *float64 `json:"waiting_max_ms"`
	RunTimeMS    *float64 `json:"run_time_ms"`
	// Throughput is entries per second of virtual time.
	Throughput *float64 `json:"throughput_per_s"`
}

type compareFailure struct {
	Seed    int64    `json:"seed"`
	Outcome string   `json:"outcome"`
	Checks  []string `json:"checks,omitempty"`
	Detail  string   `json:"detail,omitempty"`
}

func runCompare(c *command, w io.Writer, args []string) error {
	fs := newFlags(c)
	var sf scenarioFlags
	sf.register(fs)
	var cf compareFlags
	cf.runs = defaultCompareRuns
	intFlag(fs, &cf.runs, "runs", 1, 1_000_000, fmt.Sprintf("simulated schedules per algorithm (default %d)", defaultCompareRuns))
	seedFlag(fs, &cf.seed, &cf.seedSet)
	fs.StringVar(&cf.algorithms, "algorithms", strings.Join(check.Family(), ","), "comma-separated lightweight algorithms to compare")
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
	for _, a := range algs { // every script compiles before anything runs
		if _, err := lib.Preflight(withAlgorithm(s, a)); err != nil {
			var se *scenario.Error
			if errors.As(err, &se) && strings.HasSuffix(se.Field, ".algorithm") {
				return usageErr("--algorithms: %s", se.Msg)
			}
			return classify(err)
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
	err      error
	failed   bool
	failure  compareFailure
	entries  int
	messages int
	// the textbook's range per entry, summed over the entries
	textbookLow, textbookHigh float64
	hopsSum, hopsN, hopsMax   int
	hopsLow, hopsHigh         float64 // the textbook's, summed over the handovers
	syncSum                   float64 // ns
	waits                     []int64 // ns
	totalTime                 int64   // ns
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
				out[i] = compareSchedule(s, lib, seed+int64(i))
			}
		}()
	}
	for i := range runs {
		next <- i
	}
	close(next)
	wg.Wait()

	st := &compareStats{Algorithm: alg, Runs: runs}
	var low, high, hopsLow, hopsHigh, syncSum, runSum float64
	var waits []int64
	hopsSum, hopsN := 0, 0
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
		low += r.textbookLow
		high += r.textbookHigh
		hopsSum += r.hopsSum
		hopsN += r.hopsN
		hopsLow += r.hopsLow
		hopsHigh += r.hopsHigh
		syncSum += r.syncSum
		if r.hopsN > 0 && (st.SyncHopsMax == nil || r.hopsMax > *st.SyncHopsMax) {
			st.SyncHopsMax = &r.hopsMax
		}
		waits = append(waits, r.waits...)
		runSum += float64(r.totalTime)
	}
	if st.Entries > 0 {
		st.MessagesPerEntry = ptr(float64(st.Messages) / float64(st.Entries))
	}
	if tb, ok := check.TextbookOf(alg); ok {
		st.Textbook = tb.Messages
		var rg check.Range
		if st.Entries > 0 {
			rg = check.Range{Low: low / float64(st.Entries), High: high / float64(st.Entries)}
		} else {
			// No entry measured: the range for the first group's size.
			rg = tb.PerEntry(base.Groups[0].Lightweights)
		}
		st.TextbookLow, st.TextbookHigh = ptr(rg.Low), ptr(rg.High)
		if tb.PerEntry(base.Groups[0].Lightweights).Exact() {
			st.TextbookValue = ptr(rg.Low)
		}
		if st.MessagesPerEntry != nil {
			in := rg.Contains(*st.MessagesPerEntry)
			st.WithinTextbook = &in
		}
		hr := tb.Hops(base.Groups[0].Lightweights)
		if hopsN > 0 {
			hr = check.Range{Low: hopsLow / float64(hopsN), High: hopsHigh / float64(hopsN)}
		}
		st.SyncHopsTextbook = tb.SyncDelay
		if tb.SyncDelay != hr.String() {
			st.SyncHopsTextbook += " = " + hr.String()
		}
	}
	if hopsN > 0 {
		st.SyncHops = ptr(float64(hopsSum) / float64(hopsN))
		st.SyncDelayMS = ptr(syncSum / float64(hopsN) / 1e6)
	}
	if len(waits) > 0 {
		var sum, sq, most float64
		for _, w := range waits {
			sum += float64(w)
			most = max(most, float64(w))
		}
		mean := sum / float64(len(waits))
		for _, w := range waits {
			sq += (float64(w) - mean) * (float64(w) - mean)
		}
		st.WaitingMS = ptr(mean / 1e6)
		st.WaitingSDMS = ptr(math.Sqrt(sq/float64(len(waits))) / 1e6)
		st.WaitingMaxMS = ptr(most / 1e6)
	}
	if runs > 0 {
		st.RunTimeMS = ptr(runSum / float64(runs) / 1e6)
	}
	if runSum > 0 {
		st.Throughput = ptr(float64(st.Entries) / (runSum / 1e9))
	}
	return st, nil
}

func ptr[T any](v T) *T { return &v }

// compareSchedule runs and measures the schedule of one seed.
func compareSchedule(s *scenario.Scenario, lib *node.Library, seed int64) compareRun {
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
	measureTrace(&r, res.Trace)
	return r
}

// measureTrace fills r's figures from t (check.Measure), and the
// textbook's for the same entries and handovers.
func measureTrace(r *compareRun, t *trace.Trace) {
	m := check.Measure(t)
	r.totalTime = m.Duration
	for _, g := range m.Groups {
		r.entries += g.Entries
		r.messages += g.Messages
		r.waits = append(r.waits, g.Waits...)
		tb, hasTB := check.TextbookOf(g.Algorithm)
		if hasTB {
			rg := tb.PerEntry(g.Size)
			r.textbookLow += float64(g.Entries) * rg.Low
			r.textbookHigh += float64(g.Entries) * rg.High
		}
		for _, sy := range g.Syncs {
			r.hopsSum += sy.Hops
			r.hopsN++
			r.hopsMax = max(r.hopsMax, sy.Hops)
			r.syncSum += float64(sy.T)
			if hasTB {
				hr := tb.Hops(g.Size)
				r.hopsLow += hr.Low
				r.hopsHigh += hr.High
			}
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

	head := []string{"algorithm", "passed", "msgs/entry", "textbook", "hops", "textbook", "waiting", "spread", "entries/s"}
	left := map[int]bool{0: true, 3: true, 5: true} // text columns; numbers are right-aligned
	rows := [][]string{head}
	for _, st := range doc.Algorithms {
		tb := "-"
		if st.TextbookLow != nil {
			tb = st.Textbook + " = " + check.Range{Low: *st.TextbookLow, High: *st.TextbookHigh}.String()
		}
		hops := optNum(st.SyncHops, "")
		if st.SyncHopsMax != nil && float64(*st.SyncHopsMax) != *st.SyncHops {
			hops += fmt.Sprintf(" (≤%d)", *st.SyncHopsMax)
		}
		rows = append(rows, []string{
			st.Algorithm,
			fmt.Sprintf("%d/%d", st.Passed, st.Runs),
			optNum(st.MessagesPerEntry, ""),
			tb,
			hops,
			orDash(st.SyncHopsTextbook),
			optNum(st.WaitingMS, " ms"),
			optNum(st.WaitingSDMS, " ms"),
			optNum(st.Throughput, ""),
		})
	}
	widths := make([]int, len(head))
	for _, row := range rows {
		for i, cell := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(cell))
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
			pad := widths[i] - utf8.RuneCountInString(cell)
			if i > 0 {
				b.WriteString("  ")
			}
			text := cell
			switch {
			case ri == 0:
				text = bold.Sprint(cell)
			case i == 1 && doc.Algorithms[ri-1].Failed == 0:
				text = green.Sprint(cell)
			case i == 1:
				text = red.Sprint(cell)
			case i == 2 && doc.Algorithms[ri-1].WithinTextbook != nil && !*doc.Algorithms[ri-1].WithinTextbook:
				text = red.Sprint(cell)
			}
			if left[i] {
				b.WriteString(text + strings.Repeat(" ", pad))
			} else {
				b.WriteString(strings.Repeat(" ", pad) + text)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "msgs/entry: messages between the lightweights of a group per critical-section entry, against the textbook")
	fmt.Fprintln(w, "            (N: the group's size; K: a quorum without its owner; D: the tree's diameter)")
	fmt.Fprintln(w, "hops:       synchronization delay, messages on the causal chain from a cs_exit to the group's next cs_enter")
	fmt.Fprintln(w, "            when that entrant was already waiting (mean, and the longest)")
	fmt.Fprintln(w, "waiting:    virtual time from a lightweight's CS_GRANT to its cs_enter, mean; spread: its standard deviation")
	fmt.Fprintln(w, "entries/s:  critical-section entries per second of virtual time")
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
	for _, st := range doc.Algorithms {
		if st.WithinTextbook != nil && !*st.WithinTextbook {
			fmt.Fprintf(w, "%s %s: %s messages per entry, outside the textbook's %s\n", red.Sprint("OUTSIDE"), st.Algorithm,
				fmtNum(*st.MessagesPerEntry), check.Range{Low: *st.TextbookLow, High: *st.TextbookHigh})
		}
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
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
