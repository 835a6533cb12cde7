package repl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/fatih/color"

	"mutexlab/runtime/check"
	"mutexlab/runtime/diagram"
	"mutexlab/runtime/node"
	"mutexlab/runtime/runview"
	"mutexlab/runtime/scenario"
	"mutexlab/runtime/trace"
)

// statusRow is one node's line in the status table.
type statusRow struct {
	id, role, pid, state string
	lc, round, cs        string
	mailbox              string
}

func cmdStatus(r *repl, ctx context.Context, a cmdArgs) error {
	if len(a.args) > 0 {
		return lookup("status").usageErr("status takes no arguments")
	}
	lr := r.cur
	if lr == nil {
		return errors.New("no run yet; `run` starts the system")
	}
	running := lr.running()
	rows := lr.tr.rows()
	if running {
		// Ask every live node; one that does not answer keeps its last
		// known state.
		pids := lr.c.PIDs()
		paused := lr.c.Steering().Paused
		var wg sync.WaitGroup
		for i, row := range rows {
			rows[i].pid = strconv.Itoa(pids[row.id])
			if lr.tr.exited(row.id) {
				continue
			}
			wg.Go(func() {
				st, err := lr.c.Status(ctx, row.id)
				if err != nil {
					return
				}
				rows[i] = liveRow(rows[i], st, slices.Contains(paused, row.id))
			})
		}
		wg.Wait()
	} else {
		lr.mu.Lock()
		sum := lr.sum
		lr.mu.Unlock()
		fmt.Fprintf(r.out, "the run is over (%s); the last known state of each node, from the trace:\n", sum.Outcome)
	}
	tw := tabwriter.NewWriter(r.out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tROLE\tPID\tSTATE\tLC\tROUND\tCS\tMAILBOX")
	for _, row := range rows {
		line := strings.Join([]string{row.id, row.role, row.pid, row.state, row.lc, row.round, row.cs, row.mailbox}, "\t")
		fmt.Fprintln(tw, line)
	}
	tw.Flush()
	if running {
		for _, l := range lr.describeSteering() {
			fmt.Fprintln(r.out, l)
		}
	}
	return nil
}

// liveRow fills a row from a node's own answer.
func liveRow(row statusRow, s node.Status, paused bool) statusRow {
	row.state = s.State
	if paused {
		row.state = "paused (" + s.State + ")"
	}
	if s.Err != "" {
		row.state += ": " + s.Err
	}
	row.lc = strconv.FormatInt(s.LC, 10)
	row.round = strconv.Itoa(s.Round)
	row.cs = strconv.Itoa(s.CSEntries)
	row.mailbox = strconv.Itoa(s.Mailbox)
	return row
}

// lastKnown is each node's last known state, folded event by event as
// the trace goes (trace.NodeState, the fold the checks use too): what
// status shows once the processes are gone (or for a node that does not
// answer). It keeps one entry per node, however long the run.
type lastKnown struct {
	nodes []scenario.Node
	k     map[string]*trace.NodeState
}

func newLastKnown(s *scenario.Scenario) *lastKnown {
	l := &lastKnown{nodes: s.Nodes(), k: map[string]*trace.NodeState{}}
	for _, id := range s.NodeIDs() {
		st := trace.NewNodeState()
		l.k[id] = &st
	}
	return l
}

func (l *lastKnown) observe(e trace.Event) {
	if n := l.k[e.Node]; n != nil {
		n.Apply(-1, &e)
	}
}

func (l *lastKnown) rows() []statusRow {
	var rows []statusRow
	for _, spec := range l.nodes {
		n := l.k[spec.ID]
		row := statusRow{id: spec.ID, role: spec.Role, pid: "-", lc: strconv.FormatInt(n.LC, 10),
			round: strconv.Itoa(n.Round), cs: strconv.Itoa(n.Entries), mailbox: "-"}
		if n.PID != 0 {
			row.pid = strconv.Itoa(n.PID)
		}
		if spec.Role == scenario.Heavyweight {
			row.round = "-" // a heavyweight's rounds are not in the trace
		}
		switch {
		case n.Finished && n.Exit != "":
			row.state = "done, exited (" + n.Exit + ")"
		case n.Exit != "" && n.Before == trace.PhaseBlocked:
			row.state = "exited (" + n.Exit + ") " + node.StateText(n.Wait)
		case n.Exit != "":
			row.state = "exited (" + n.Exit + ")"
		case n.Crashed:
			row.state = n.Gone() // "crashed at 0.440s": a fault of the plan
		case n.Phase == trace.PhaseDead:
			row.state = "failed: " + n.Why
		case n.Finished:
			row.state = "done"
		case n.InCS:
			row.state = "in CS"
		case n.Phase == trace.PhaseBlocked:
			row.state = node.StateText(n.Wait)
		case n.Phase == trace.PhaseRunning:
			row.state = "running"
		default:
			row.state = "not started"
		}
		rows = append(rows, row)
	}
	return rows
}

func cmdInspect(r *repl, ctx context.Context, a cmdArgs) error {
	c := lookup("inspect")
	if len(a.args) < 2 {
		return c.usageErr("want a node and a Lua expression")
	}
	id := a.args[0]
	if err := r.liveNode(id); err != nil {
		return err
	}
	expr := strings.TrimSpace(strings.TrimPrefix(a.rest, id))
	v, err := r.cur.c.Eval(ctx, id, expr)
	if err != nil {
		return err
	}
	fmt.Fprintln(r.out, v)
	return nil
}

// formatEvent is one trace line: time, node, Lamport clock, what happened.
func formatEvent(e trace.Event, width int) string {
	return fmt.Sprintf("%9.3fs  %-*s  lc %-4d  %s", float64(e.T)/1e9, width, e.Node, e.LC, eventWhat(e))
}

// eventWhat says what an event is: "send REQUEST to A2 (ts 3, #1)".
func eventWhat(e trace.Event) string {
	var what string
	switch e.Ev {
	case trace.Send:
		what = fmt.Sprintf("send %s to %s (ts %d, #%d)", e.Type, e.To, e.TS, e.Seq)
	case trace.Recv:
		what = fmt.Sprintf("recv %s from %s (ts %d, #%d)", e.Type, e.From, e.TS, e.Seq)
		if e.Dup {
			what += " again: a duplicate"
		}
	case trace.Drop:
		what = fmt.Sprintf("drop %s from %s (ts %d, #%d)", e.Type, e.From, e.TS, e.Seq)
		if e.Reason != "" && e.Reason != trace.ReasonSteered {
			what += ": " + e.Reason
		}
	case trace.Cut, trace.Heal:
		what = fmt.Sprintf("%s %s->%s", e.Ev, e.From, e.To)
	case trace.CSEnter, trace.CSExit:
		what = fmt.Sprintf("%s round %d", e.Ev, e.Round)
	case trace.Block:
		what = "block " + trace.WaitOf(&e).On()
	case trace.Start:
		what = fmt.Sprintf("start pid %d", e.PID)
	default:
		what = strings.TrimSpace(e.Ev + " " + e.Text)
	}
	return what
}

func cmdTrace(r *repl, _ context.Context, a cmdArgs) error {
	c := lookup("trace")
	if r.cur == nil {
		return errors.New("no run yet; `run` starts the system")
	}
	n := 20
	args := a.args
	if len(args) > 0 {
		if args[0] == "all" {
			n, args = 0, args[1:]
		} else if v, err := strconv.Atoi(args[0]); err == nil {
			if v < 1 {
				return c.usageErr("N %d: want 1 or more, or all", v)
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
	width := 0
	for _, id := range r.cur.ids {
		width = max(width, len(id))
	}
	// Read through the trace file keeping only the last n lines (all of
	// them printed as they come with "all").
	show := func(e trace.Event) { fmt.Fprintln(r.out, r.con.paint(e.Node, formatEvent(e, width))) }
	var last []trace.Event
	next, shown := 0, 0
	err := r.cur.tr.scan(func(e *trace.Event) {
		if len(only) > 0 && !only[e.Node] {
			return
		}
		shown++
		ev := *e
		ev.Payload = nil // not shown, and only valid during the call
		switch {
		case n == 0:
			show(ev)
		case len(last) < n:
			last = append(last, ev)
		default:
			last[next] = ev
			next = (next + 1) % n
		}
	})
	if err != nil {
		return err
	}
	for i := range last {
		show(last[(next+i)%len(last)])
	}
	if shown == 0 {
		fmt.Fprintln(r.out, "no events yet")
	}
	return nil
}

func cmdCheck(r *repl, _ context.Context, a cmdArgs) error {
	if len(a.args) > 0 {
		return lookup("check").usageErr("check takes no arguments")
	}
	if r.cur == nil {
		return errors.New("no run yet; `run` starts the system")
	}
	// A run still going is judged like an interrupted one: a grant not
	// yet followed by an entry is not a failure.
	running := r.running()
	if running {
		fmt.Fprintln(r.out, r.con.style("the run is still going: judged on the trace so far, as if it ended now", color.Faint))
	}
	ix, done, err := r.cur.tr.index()
	if err != nil {
		return err
	}
	defer done()
	rep, err := check.RunIndex(ix, check.Options{Interrupted: running})
	if err != nil {
		return err
	}
	rep.Print(r.out, r.con.color)
	if rep.Failed() {
		fmt.Fprintf(r.out, "the lines cited are those of %s\n", r.cur.tr.file.Path)
		return errQuiet{"a check failed"}
	}
	return nil
}

func cmdDiagram(r *repl, _ context.Context, a cmdArgs) error {
	if len(a.args) > 1 {
		return lookup("diagram").usageErr("want at most one file")
	}
	if r.cur == nil {
		return errors.New("no run yet; `run` starts the system")
	}
	ix, done, err := r.cur.tr.index()
	if err != nil {
		return err
	}
	defer done()
	if why := diagram.TooLong(ix.Events); why != "" {
		return fmt.Errorf("no diagram: the run has %s; `timeline 60` shows its end, `check` judges all of it", why)
	}
	t, err := ix.Read()
	if err != nil {
		return err
	}
	path := "mutexlab-" + t.Meta.Scenario + ".html"
	if len(a.args) == 1 {
		path = a.args[0]
	}
	var buf bytes.Buffer
	if err := runview.RenderDiagram(&buf, t); err != nil {
		return err
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(r.out, "wrote %s (%d events); open it in a browser\n", path, len(t.Events))
	return nil
}

func cmdTimeline(r *repl, _ context.Context, a cmdArgs) error {
	c := lookup("timeline")
	if r.cur == nil {
		return errors.New("no run yet; `run` starts the system")
	}
	n := 40
	switch {
	case len(a.args) > 1:
		return c.usageErr("want at most one count")
	case len(a.args) == 1 && a.args[0] == "all":
		n = 0
	case len(a.args) == 1:
		v, err := strconv.Atoi(a.args[0])
		if err != nil || v < 1 {
			return c.usageErr("N %q: want 1 or more, or all", a.args[0])
		}
		n = v
	}
	ix, done, err := r.cur.tr.index()
	if err != nil {
		return err
	}
	defer done()
	rep, err := check.RunIndex(ix, check.Options{})
	if err != nil {
		return err
	}
	return diagram.TimelineIndex(r.out, ix, diagram.TimelineOptions{Last: n, Color: r.con.color,
		Violations: runview.Violations(rep)})
}

func cmdExplore(r *repl, ctx context.Context, a cmdArgs) error {
	if r.explore == nil {
		return errors.New("not available: this program gave the REPL no explorer")
	}
	s, err := r.effective(runOptions{rounds: -1})
	if err != nil {
		return err
	}
	return r.explore(ctx, r.out, s, r.scripts, a.args)
}
