package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mutexlab/runtime/check"
	"mutexlab/runtime/node"
	"mutexlab/runtime/scenario"
	"mutexlab/runtime/sim"
)

// The fault table of docs/faults.md: which algorithm survives which
// fault, each cell an exploration of the fault plans in examples/faults
// (or of explore's own faults) that a reader can run again. TestFaultTable
// builds it and fails if the doc says otherwise; go generate (or
// `go test ./cmd/mutexlab -run TestFaultTable -args -update-fault-table`)
// writes it.

var updateFaultTable = flag.Bool("update-fault-table", false, "rewrite the fault table of docs/faults.md")

// faultTableRuns is how many schedules a cell explores before it says
// the algorithm survives.
const faultTableRuns = 30

// faultColumn is a fault of the table: the plan explored for the
// lightweights' algorithms, the plan for the heavyweights' token ring,
// and the kind of fault explore chooses itself (--faults 1), if any.
type faultColumn struct {
	title, plan, ringPlan, kind string
}

// Where explore's own faults fall: the algorithm's links, those between
// group A's lightweights, or the ring's.
var (
	groupNodes = []string{"A1", "A2", "A3"}
	ringNodes  = []string{"A", "B"}
)

var faultColumns = []faultColumn{
	{"crash of a lightweight", "faults/crash", "faults/crash", ""},
	{"crash of the token holder", "faults/crash_in_cs", "faults/ring_crash", ""},
	{"a lost message", "faults/calm", "faults/calm", sim.PointLoss},
	{"a duplicated message", "faults/calm", "faults/calm", sim.PointDuplicate},
	{"a cut link", "faults/cut", "faults/ring_cut", ""},
	{"a pause", "faults/pause", "faults/ring_pause", ""},
	{"reordered channels", "faults/reorder", "faults/ring_reorder", ""},
}

// faultRows are the algorithms: the heavyweights' token ring (over the
// lightweights of the plans, lamport and ricart_agrawala), then the
// lightweights' family, every group running it.
func faultRows() []string { return append([]string{"token"}, check.Family()...) }

// faultCell is what one exploration found.
type faultCell struct {
	survived bool
	what     string // the failure: "stall", "mutual exclusion", ...
	seed     int64
	detail   string // the failing schedule's first root cause
	command  string
}

func exploreCell(t *testing.T, row string, col faultColumn) faultCell {
	t.Helper()
	plan, alg := col.plan, row
	if row == "token" {
		plan, alg = col.ringPlan, ""
	}
	s, err := scenario.Resolve(plan)
	if err != nil {
		t.Fatal(err)
	}
	if alg != "" {
		s = withAlgorithm(s, alg)
	}
	opts := sim.ExploreOptions{Scenario: s, Lib: node.NewLibrary(s.Dir), Version: "test", Runs: faultTableRuns, Seed: 1}
	only := groupNodes
	if row == "token" {
		only = ringNodes
	}
	if col.kind != "" {
		opts.Faults, opts.FaultKinds, opts.FaultNodes = 1, []string{col.kind}, only
	}
	faultArgs := []string{"--faults", "1", "--fault-kind", col.kind, "--fault-nodes", strings.Join(only, ",")}
	res, err := sim.Explore(context.Background(), opts)
	if err != nil {
		t.Fatalf("%s, %s: %v", row, col.title, err)
	}
	args := []string{"mutexlab", "explore", plan}
	if alg != "" {
		args = append(args, "--algorithm", alg)
	}
	f := res.Failure
	if f == nil {
		args = append(args, "--runs", fmt.Sprint(faultTableRuns))
		if col.kind != "" {
			args = append(args, faultArgs...)
		}
		return faultCell{survived: true, command: strings.Join(args, " ")}
	}
	args = append(args, "--runs", "1", "--seed", fmt.Sprint(f.Seed))
	if col.kind != "" {
		args = append(args, faultArgs...)
	}
	c := faultCell{seed: f.Seed, command: strings.Join(args, " ")}
	roots := f.Report.Roots()
	switch {
	case f.Outcome == sim.Stalled && len(roots) > 0 && strings.Contains(roots[0].Evidence.Text, "deadlock"):
		c.what = "deadlock"
	case f.Outcome == sim.Stalled:
		c.what = "stall"
	case f.Outcome != sim.Complete:
		c.what = f.Outcome.String()
	case len(roots) > 0:
		c.what = roots[0].Check
	default:
		c.what = "fails"
	}
	if len(roots) > 0 {
		c.detail = roots[0].Check + ": " + roots[0].Evidence.Text
	} else {
		c.detail = f.Detail
	}
	if len(f.Faults) > 0 {
		c.detail = sim.PointsText(f.Faults) + ": " + c.detail
	}
	if len(c.detail) > 300 {
		c.detail = c.detail[:297] + "..."
	}
	return c
}

// rowTitle names a row in the table.
func rowTitle(row string) string {
	if row == "token" {
		return "token ring (heavyweights)"
	}
	return row
}

// faultTable renders the rows: the table, then each cell's command and,
// for a failure, what failed.
func faultTable(t *testing.T, rows []string) []string {
	head := "| algorithm |"
	rule := "| --- |"
	for _, c := range faultColumns {
		head += " " + c.title + " |"
		rule += " --- |"
	}
	lines := []string{head, rule}
	var notes []string
	for _, row := range rows {
		line := "| " + rowTitle(row) + " |"
		notes = append(notes, "", "**"+rowTitle(row)+"**", "")
		for k, col := range faultColumns {
			c := exploreCell(t, row, col)
			anchor := fmt.Sprintf("%s-%d", row, k+1)
			if c.survived {
				line += fmt.Sprintf(" [survives](#%s) |", anchor)
				notes = append(notes, fmt.Sprintf(`- <a id="%s"></a>%s: survives %d schedules: `+"`%s`", anchor, col.title, faultTableRuns, c.command))
			} else {
				line += fmt.Sprintf(" [**%s**, seed %d](#%s) |", c.what, c.seed, anchor)
				notes = append(notes, fmt.Sprintf(`- <a id="%s"></a>%s: %s: `+"`%s`", anchor, col.title, c.detail, c.command))
			}
		}
		lines = append(lines, line)
	}
	return append(lines, notes...)
}

const (
	faultTableBegin = "<!-- fault table: written by TestFaultTable (go generate ./cmd/mutexlab); do not edit by hand -->"
	faultTableEnd   = "<!-- end of the fault table -->"
)

// TestFaultTable explores every cell of the table again and fails if
// docs/faults.md says otherwise (-short: three rows).
func TestFaultTable(t *testing.T) {
	docPath := filepath.Join("..", "..", "docs", "faults.md")
	doc, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	i, j := strings.Index(text, faultTableBegin), strings.Index(text, faultTableEnd)
	if i < 0 || j < i {
		t.Fatalf("%s has no fault table between %q and %q", docPath, faultTableBegin, faultTableEnd)
	}
	rows := faultRows()
	if testing.Short() && !*updateFaultTable {
		rows = []string{"token", "lamport", "maekawa"}
	}
	lines := faultTable(t, rows)
	if *updateFaultTable {
		text = text[:i] + faultTableBegin + "\n\n" + strings.Join(lines, "\n") + "\n\n" + text[j:]
		if err := os.WriteFile(docPath, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	table := text[i:j]
	have := map[string]bool{}
	for _, l := range strings.Split(table, "\n") {
		have[l] = true
	}
	stale := 0
	for _, l := range lines {
		if l != "" && !have[l] {
			stale++
			if stale <= 5 {
				t.Errorf("docs/faults.md lacks: %s", l)
			}
		}
	}
	if stale > 0 {
		t.Fatalf("the fault table is stale (%d lines): go generate ./cmd/mutexlab", stale)
	}
	if !testing.Short() && strings.Count(table, "\n| ") != len(rows)+2 {
		t.Errorf("the table has rows that are no longer explored")
	}
}
