package repl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/fatih/color"

	"mutexlab/runtime/check"
	"mutexlab/runtime/diagram"
	"mutexlab/runtime/runview"
	"mutexlab/runtime/sim"
	"mutexlab/runtime/trace"
)

// Command groups of the debug mode, in help order (groupOrder).
const (
	groupMove   = "Moving through the run"
	groupStep   = "Looking at the step"
	groupBranch = "Branching"
)

// debugCommands are the debug mode's rows of the command table.
func debugCommands() []*replCommand {
	return []*replCommand{
		{name: "step", aliases: []string{"s"}, args: "[N]", group: groupMove, modes: modeDebug,
			summary: "take the next N (1) steps, one delivery or timer each, and show their events",
			help: `The branch's own steps first; past them the seeded scheduler picks,
as explore does for the seed. After choose, the scheduler goes on
from the step chosen.`,
			run: cmdStep},
		{name: "back", aliases: []string{"b"}, args: "[N]", group: groupMove, modes: modeDebug,
			summary: "go back N (1) steps; the nodes are as they were then",
			help: `The run is taken again from the start up to there: the simulator is
deterministic, so every node's Lua state is exactly what it was.`,
			run: cmdBack},
		{name: "goto", args: "EVENT|step K|cs N|violation [N]|end", group: groupMove, modes: modeDebug,
			summary: "go to the step that recorded trace line EVENT, step K, the Nth CS entry, a violation, or the end",
			help: `goto 57          the step that recorded the event on trace line 57
                 (the lines check cites, and the lines of save's trace)
goto step 12     step 12 (0 is the start: every node started)
goto cs 3        the step of the 3rd critical-section entry
goto violation   the step where the checker's first violation (or the Nth)
                 happens: the branch is run to its end and checked; for
                 overlapping critical sections, the later entry
goto end         the end of the run`,
			run: cmdGoto},

		{name: "where", aliases: []string{"w"}, group: groupStep, modes: modeDebug,
			summary: "the step, each node's last event and what it is doing or waits for",
			run:     cmdWhere},
		{name: "inspect", args: "NODE [EXPR]", group: groupStep, modes: modeDebug, complete: []argKind{argNode},
			summary: "a node's algorithm state at this step, or a Lua expression evaluated in it",
			help: `Without EXPR: the algorithm module's table, without its functions.
Names are looked up in the algorithm module first, then in the node
module, then in the globals. An expression that changes the node does
not change the run: it is taken again before it goes on.`,
			run: cmdDebugInspect},
		{name: "next", aliases: []string{"n"}, group: groupStep, modes: modeDebug,
			summary: "the deliveries and timers that can be taken now, and those due later",
			run:     cmdNext},
		{name: "trace", args: "[N|all] [NODE...]", group: groupStep, modes: modeDebug, complete: []argKind{argNode},
			summary: "the last N (20) events up to this step, with their trace lines; with NODEs, only theirs",
			run:     cmdDebugTrace},
		{name: "check", group: groupStep, modes: modeDebug,
			summary: "check the run up to this step, as if it ended here",
			run:     cmdDebugCheck},
		{name: "diagram", args: "[FILE]", group: groupStep, modes: modeDebug, complete: []argKind{argFile},
			summary: "write the run up to this step as an HTML diagram, the step marked",
			help:    `The default FILE is mutexlab-SCENARIO-stepK.html.`,
			run:     cmdDebugDiagram},
		{name: "timeline", args: "[N|all]", group: groupStep, modes: modeDebug,
			summary: "the run up to this step as a terminal lane view, the last N (40) rows",
			run:     cmdDebugTimeline},

		{name: "choose", aliases: []string{"c"}, args: "LINK|timer NODE", group: groupBranch, modes: modeDebug, complete: []argKind{argLink},
			summary: "take this pending delivery or timer now instead: a branch, from which step goes on",
			help: `LINK is FROM->TO: the next message on the link (FROM->TO#SEQ where
channels may reorder); timer NODE fires the node's timer. One due later
than now (next lists them) is taken by letting time pass to it while
the others wait, as if the network had delayed them. The steps after
this one are dropped; step and goto go on with the seeded scheduler.`,
			run: cmdChoose},
		{name: "save", args: "FILE", group: groupBranch, modes: modeDebug, complete: []argKind{argFile},
			summary: "write the branch, run to its end, as a trace that replay and debug take",
			help: `The trace is the branch's whole run, as explore writes a schedule's:
mutexlab replay FILE repeats it byte for byte, mutexlab debug FILE opens
it at its start. A branch without choose is the seed's schedule, and
explore --runs 1 --seed S writes the same trace.`,
			run: cmdSave},
	}
}

// Steps are shown one line each, with their events.

// stepLine is a step's header: "step 12  0.105s  deliver A3->A1 REQUEST (ts 3, #1)".
func stepLine(st sim.Step) string {
	s := fmt.Sprintf("step %d  %.3fs  %s", st.Index, float64(st.T)/1e9, choiceText(st.Choice, st.Drop))
	if st.Chosen {
		s += "  (chosen)"
	}
	return s
}

// choiceText says what a step does: "deliver A3->A1 REQUEST (ts 3, #1)".
func choiceText(c sim.Choice, drop bool) string {
	switch c.Kind {
	case "deliver":
		verb := "deliver"
		if drop {
			verb = "drop"
		}
		link, _, _ := strings.Cut(c.Name, "#")
		return fmt.Sprintf("%s %s %s (ts %d, #%d)", verb, link, c.Type, c.TS, c.Seq)
	case "timer":
		return "timer " + c.Node
	}
	return c.Name
}

// eventRow is one event with its trace line: "line 45  A1  lc 4  recv ...".
func eventRow(e trace.Event, width int) string {
	return fmt.Sprintf("line %-4d %-*s  lc %-4d  %s", e.Line, width, e.Node, e.LC, eventWhat(e))
}

func (r *repl) idWidth() int {
	w := 0
	for _, id := range r.dbg.s.Nodes() {
		w = max(w, len(id))
	}
	return w
}

// showStep prints a step and its events.
func (r *repl) showStep(st sim.Step) {
	fmt.Fprintln(r.out, stepLine(st))
	w := r.idWidth()
	for _, e := range st.Events {
		fmt.Fprintln(r.out, "  "+r.con.paint(e.Node, eventRow(e, w)))
	}
}

// showEnd says how the run ended, once at its end.
func (r *repl) showEnd() {
	out, ended := r.dbg.s.AtEnd()
	if !ended {
		return
	}
	what := out.String()
	if err := r.dbg.s.Err(); err != nil && out == sim.Failed {
		what += ": " + err.Error()
	}
	fmt.Fprintf(r.out, "the run ends at step %d: %s\n", r.dbg.s.Pos(), what)
}

// count reads an optional count argument.
func count(a cmdArgs) (int, error) {
	switch len(a.args) {
	case 0:
		return 1, nil
	case 1:
		n, err := strconv.Atoi(a.args[0])
		if err != nil || n < 1 {
			return 0, a.cmd.usageErr("N %q: want 1 or more", a.args[0])
		}
		return n, nil
	}
	return 0, a.cmd.usageErr("want at most one count")
}

// maxShown is the most steps step prints in full; more are summed up.
const maxShown = 10

func cmdStep(r *repl, ctx context.Context, a cmdArgs) error {
	n, err := count(a)
	if err != nil {
		return err
	}
	d := r.dbg
	if _, ended := d.s.AtEnd(); ended {
		return errors.New("the run has ended; `back` or `goto` to go elsewhere")
	}
	steps, err := d.s.Forward(n)
	if err != nil {
		return err
	}
	if len(steps) > maxShown {
		events := 0
		for _, st := range steps[:len(steps)-1] {
			events += len(st.Events)
		}
		fmt.Fprintf(r.out, "steps %d-%d: %d events; the last:\n", steps[0].Index, steps[len(steps)-2].Index, events)
		steps = steps[len(steps)-1:]
	}
	for _, st := range steps {
		r.showStep(st)
	}
	r.showEnd()
	return nil
}

func cmdBack(r *repl, _ context.Context, a cmdArgs) error {
	n, err := count(a)
	if err != nil {
		return err
	}
	d := r.dbg
	if d.s.Pos() == 0 {
		return errors.New("already at the start")
	}
	if err := d.s.Back(n); err != nil {
		return err
	}
	return r.showHere()
}

// showHere says where the session is: the step that led here, or the
// start.
func (r *repl) showHere() error {
	d := r.dbg
	k := d.s.Pos()
	if k == 0 {
		fmt.Fprintf(r.out, "at step 0: every node started, %d events, nothing delivered yet\n", len(d.s.Events()))
		return nil
	}
	st, ok := d.s.Last()
	if !ok {
		return nil
	}
	fmt.Fprintf(r.out, "at step %d, after:\n", k)
	r.showStep(st)
	r.showEnd()
	return nil
}

func cmdGoto(r *repl, _ context.Context, a cmdArgs) error {
	d := r.dbg
	if len(a.args) == 0 {
		return a.cmd.usageErr("where to?")
	}
	target := -1
	switch a.args[0] {
	case "end":
		if len(a.args) > 1 {
			return a.cmd.usageErr("goto end takes nothing more")
		}
		run, err := d.finish()
		if err != nil {
			return err
		}
		target = run.Steps
	case "step":
		if len(a.args) != 2 {
			return a.cmd.usageErr("goto step K")
		}
		k, err := strconv.Atoi(a.args[1])
		if err != nil || k < 0 {
			return a.cmd.usageErr("step %q: want 0 or more", a.args[1])
		}
		run, err := d.finish()
		if err != nil {
			return err
		}
		if k > run.Steps {
			return fmt.Errorf("the run has %d steps", run.Steps)
		}
		target = k
	case "cs":
		if len(a.args) != 2 {
			return a.cmd.usageErr("goto cs N")
		}
		n, err := strconv.Atoi(a.args[1])
		if err != nil || n < 1 {
			return a.cmd.usageErr("N %q: want 1 or more", a.args[1])
		}
		run, err := d.finish()
		if err != nil {
			return err
		}
		seen := 0
		for i, e := range run.Trace.Events {
			if e.Ev == trace.CSEnter {
				if seen++; seen == n {
					target = run.StepOf(i)
					fmt.Fprintf(r.out, "critical section %d: %s enters, round %d (line %d)\n", n, e.Node, e.Round, e.Line)
					break
				}
			}
		}
		if target < 0 {
			return fmt.Errorf("the run has %d critical-section entries", seen)
		}
	case "violation":
		n := 1
		if len(a.args) > 2 {
			return a.cmd.usageErr("goto violation [N]")
		}
		if len(a.args) == 2 {
			v, err := strconv.Atoi(a.args[1])
			if err != nil || v < 1 {
				return a.cmd.usageErr("N %q: want 1 or more", a.args[1])
			}
			n = v
		}
		run, rep, err := d.report()
		if err != nil {
			return err
		}
		viols := runview.Violations(rep)
		if len(viols) == 0 {
			return errors.New("no violation: the branch, run to its end, passes every check")
		}
		if n > len(viols) {
			return fmt.Errorf("the branch has %d violations", len(viols))
		}
		v := viols[n-1]
		idx := violationEvent(run.Trace, v.Lines)
		if idx < 0 {
			return fmt.Errorf("violation %d cites no event of the run", n)
		}
		target = run.StepOf(idx)
		e := run.Trace.Events[idx]
		fmt.Fprintf(r.out, "violation %d of %d: %s\n", n, len(viols), v.Text)
		fmt.Fprintf(r.out, "it happens at line %d (%s %s), recorded by step %d\n", e.Line, e.Node, eventWhat(e), target)
	default:
		if len(a.args) > 1 {
			return a.cmd.usageErr("want one trace line")
		}
		line, err := strconv.Atoi(a.args[0])
		if err != nil {
			return a.cmd.usageErr("%q: want a trace line, step K, cs N, violation [N] or end", a.args[0])
		}
		run, err := d.finish()
		if err != nil {
			return err
		}
		idx := lineIndex(run.Trace, line)
		if idx < 0 {
			return fmt.Errorf("line %d: the run's events are on lines 2 to %d", line, len(run.Trace.Events)+1)
		}
		target = run.StepOf(idx)
	}
	if err := d.s.Goto(target); err != nil {
		return err
	}
	return r.showHere()
}

// violationEvent is the index of the event where a violation happens,
// among the events it cites: the later entry of critical sections that
// overlap, otherwise the last event cited. -1 if it cites none.
func violationEvent(t *trace.Trace, lines []int) int {
	best, bestEnter := -1, -1
	for _, l := range lines {
		i := lineIndex(t, l)
		if i < 0 {
			continue
		}
		best = max(best, i)
		if t.Events[i].Ev == trace.CSEnter {
			bestEnter = max(bestEnter, i)
		}
	}
	if bestEnter >= 0 {
		return bestEnter
	}
	return best
}

// lineIndex is the index in t.Events of the event on trace line line.
func lineIndex(t *trace.Trace, line int) int {
	for i, e := range t.Events {
		if e.Line == line {
			return i
		}
	}
	return -1
}

func cmdWhere(r *repl, _ context.Context, a cmdArgs) error {
	if len(a.args) > 0 {
		return a.cmd.usageErr("where takes no arguments")
	}
	d := r.dbg
	k := d.s.Pos()
	head := fmt.Sprintf("step %d at %.3fs", k, float64(d.s.Now())/1e9)
	if out, ended := d.s.AtEnd(); ended {
		head += ", the end of the run (" + out.String() + ")"
	}
	if ok, n := d.s.FromRecording(); ok && k <= n {
		head += fmt.Sprintf(", step %d of the recording's %d", k, n)
	}
	if b := d.s.Branch(); len(b) > 0 {
		var parts []string
		for _, p := range b {
			parts = append(parts, fmt.Sprintf("%s at step %d", p.Name, p.Step))
		}
		head += "; chosen: " + strings.Join(parts, ", ")
	}
	fmt.Fprintln(r.out, head)
	// The one fold of a node's state (trace.NodeState), as status shows
	// it once a live run is over.
	events := d.s.Events()
	known := newLastKnown(d.s.Scenario())
	last := map[string]trace.Event{}
	for _, e := range events {
		known.observe(e)
		last[e.Node] = e
	}
	tw := tabwriter.NewWriter(r.out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tLC\tCS\tSTATE\tLAST EVENT")
	for _, row := range known.rows() {
		e, ok := last[row.id]
		lastText := "-"
		if ok {
			lastText = fmt.Sprintf("line %d  %s", e.Line, eventWhat(e))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", row.id, row.lc, row.cs, row.state, lastText)
	}
	return tw.Flush()
}

func cmdDebugInspect(r *repl, _ context.Context, a cmdArgs) error {
	if len(a.args) < 1 {
		return a.cmd.usageErr("want a node")
	}
	id := a.args[0]
	expr := strings.TrimSpace(strings.TrimPrefix(a.rest, id))
	var v string
	var err error
	if expr == "" {
		v, err = r.dbg.s.State(id)
	} else {
		v, err = r.dbg.s.Eval(id, expr)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(r.out, v)
	return nil
}

func cmdNext(r *repl, _ context.Context, a cmdArgs) error {
	if len(a.args) > 0 {
		return a.cmd.usageErr("next takes no arguments")
	}
	d := r.dbg
	en, err := d.s.Enabled()
	if err != nil {
		return err
	}
	if len(en) == 0 {
		out, _ := d.s.AtEnd()
		fmt.Fprintf(r.out, "nothing: the run has ended (%s)\n", out)
		return nil
	}
	ahead := ""
	if st, ok := d.s.Ahead(); ok {
		ahead = st.Name
	}
	now := d.s.Now()
	due := 0
	for _, c := range en {
		if c.Due {
			due++
		}
	}
	fmt.Fprintf(r.out, "at step %d (%.3fs): %d due now, %d later\n", d.s.Pos(), float64(now)/1e9, due, len(en)-due)
	tw := tabwriter.NewWriter(r.out, 0, 0, 2, ' ', 0)
	for _, c := range en {
		when := "now"
		if !c.Due {
			when = fmt.Sprintf("in %.3fs", float64(c.At-now)/1e9)
		}
		what := ""
		switch c.Kind {
		case "deliver":
			what = fmt.Sprintf("%s (ts %d, #%d)", c.Type, c.TS, c.Seq)
		case "timer":
			if st, err := d.s.Status(c.Node); err == nil {
				what = st.State
			}
		}
		note := ""
		if c.Name == ahead {
			note = "← the branch's next step"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", c.Name, what, when, note)
	}
	return tw.Flush()
}

func cmdDebugTrace(r *repl, _ context.Context, a cmdArgs) error {
	d := r.dbg
	n := 20
	args := a.args
	if len(args) > 0 {
		if args[0] == "all" {
			n, args = 0, args[1:]
		} else if v, err := strconv.Atoi(args[0]); err == nil {
			if v < 1 {
				return a.cmd.usageErr("N %d: want 1 or more, or all", v)
			}
			n, args = v, args[1:]
		}
	}
	only := map[string]bool{}
	for _, id := range args {
		if err := r.checkNode(id); err != nil {
			return err
		}
		only[id] = true
	}
	var shown []trace.Event
	for _, e := range d.s.Events() {
		if len(only) == 0 || only[e.Node] {
			shown = append(shown, e)
		}
	}
	if n > 0 && len(shown) > n {
		shown = shown[len(shown)-n:]
	}
	w := r.idWidth()
	for _, e := range shown {
		fmt.Fprintln(r.out, r.con.paint(e.Node, fmt.Sprintf("%9.3fs  %s", float64(e.T)/1e9, eventRow(e, w))))
	}
	if len(shown) == 0 {
		fmt.Fprintln(r.out, "no events")
	}
	return nil
}

func cmdDebugCheck(r *repl, _ context.Context, a cmdArgs) error {
	if len(a.args) > 0 {
		return a.cmd.usageErr("check takes no arguments")
	}
	d := r.dbg
	_, ended := d.s.AtEnd()
	if !ended {
		fmt.Fprintf(r.out, "%s\n", r.con.style(fmt.Sprintf("judged on the run up to step %d, as if it ended there", d.s.Pos()), color.Faint))
	}
	rep := check.Run(d.s.Trace(), check.Options{Interrupted: !ended})
	rep.Print(r.out, r.con.color)
	if rep.Failed() {
		return errQuiet{"a check failed"}
	}
	return nil
}

func cmdDebugDiagram(r *repl, _ context.Context, a cmdArgs) error {
	if len(a.args) > 1 {
		return a.cmd.usageErr("want at most one file")
	}
	d := r.dbg
	t := d.s.Trace()
	path := fmt.Sprintf("mutexlab-%s-step%d.html", t.Meta.Scenario, d.s.Pos())
	if len(a.args) == 1 {
		path = a.args[0]
	}
	var mark []int
	if st, ok := d.s.Last(); ok {
		for _, e := range st.Events {
			mark = append(mark, e.Line)
		}
	}
	var buf bytes.Buffer
	opts := diagram.Options{Violations: runview.Violations(runview.Check(t, false)), Mark: mark,
		Title: fmt.Sprintf("mutexlab: %s up to step %d", t.Meta.Scenario, d.s.Pos())}
	if err := diagram.HTML(&buf, t, opts); err != nil {
		return err
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(r.out, "wrote %s (%d events up to step %d, the step marked); open it in a browser\n", path, len(t.Events), d.s.Pos())
	return nil
}

func cmdDebugTimeline(r *repl, _ context.Context, a cmdArgs) error {
	n := 40
	switch {
	case len(a.args) > 1:
		return a.cmd.usageErr("want at most one count")
	case len(a.args) == 1 && a.args[0] == "all":
		n = 0
	case len(a.args) == 1:
		v, err := strconv.Atoi(a.args[0])
		if err != nil || v < 1 {
			return a.cmd.usageErr("N %q: want 1 or more, or all", a.args[0])
		}
		n = v
	}
	t := r.dbg.s.Trace()
	return diagram.Timeline(r.out, t, diagram.TimelineOptions{Last: n, Color: r.con.color,
		Violations: runview.Violations(runview.Check(t, false))})
}

func cmdChoose(r *repl, _ context.Context, a cmdArgs) error {
	if len(a.args) == 0 {
		return a.cmd.usageErr("want a link or timer NODE")
	}
	name := strings.Join(a.args, " ")
	d := r.dbg
	st, err := d.s.Choose(name)
	if err != nil {
		return err
	}
	d.whole = nil
	r.showStep(st)
	r.showEnd()
	return nil
}

func cmdSave(r *repl, _ context.Context, a cmdArgs) error {
	if len(a.args) != 1 {
		return a.cmd.usageErr("want one file")
	}
	d := r.dbg
	run, err := d.finish()
	if err != nil {
		return err
	}
	path := a.args[0]
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := sim.WriteTrace(f, run.Trace); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	what := run.Outcome.String()
	if rep := check.Run(run.Trace, check.Options{}); rep.Failed() {
		what += ", a check fails"
	} else {
		what += ", every check passes"
	}
	fmt.Fprintf(r.out, "saved %s: the branch run to its end, %d steps, %d events (%s)\n", path, run.Steps, len(run.Trace.Events), what)
	fmt.Fprintf(r.out, "  replay it:  %s\n", d.command("replay", path))
	fmt.Fprintf(r.out, "  step it:    %s\n", d.command("debug", path))
	if rec, _ := d.s.FromRecording(); !rec && len(d.s.Branch()) == 0 {
		fmt.Fprintf(r.out, "  or, the seed's schedule:  mutexlab explore %s --runs 1 --seed %d --rounds %d --trace %s\n",
			shellWord(d.scenarioArg()), d.s.Seed(), d.s.Scenario().Rounds, shellWord(path))
	}
	return nil
}

// command is the command line that runs sub on a saved trace, naming the
// scenario and scripts the session runs.
func (d *debugger) command(sub, path string) string {
	args := []string{"mutexlab", sub, shellWord(path)}
	if arg := d.scenarioArg(); arg != "" && !strings.HasPrefix(arg, "trace") {
		args = append(args, "--scenario", shellWord(arg))
	}
	for _, dir := range d.scripts {
		args = append(args, "--scripts", shellWord(dir))
	}
	return strings.Join(args, " ")
}

// shellWord quotes s for a shell when it needs it.
func shellWord(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '.' || r == '-' || r == '_' || r == ':' || r == '=' || r == ',' || r == '+' ||
			(r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
