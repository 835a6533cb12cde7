package repl

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"mutexlab/runtime/cluster"
	"mutexlab/runtime/driver"
)

// The steering commands parse their arguments into the cluster's types
// and call its steering API (runtime/cluster steer.go), which applies them
// at the nodes and keeps the record of what is in force; they print what
// the cluster answers.

// nodeIDs are the nodes of the current run, or of the loaded scenario.
func (r *repl) nodeIDs() []string {
	if r.cur != nil {
		return r.cur.ids
	}
	return r.base.NodeIDs()
}

// checkNode refuses a name that is not a node.
func (r *repl) checkNode(id string) error {
	if slices.Contains(r.nodeIDs(), id) {
		return nil
	}
	return fmt.Errorf("unknown node %q (nodes: %s)", id, strings.Join(r.nodeIDs(), " "))
}

// parseLink reads FROM->TO.
func (r *repl) parseLink(s string) (cluster.Link, error) {
	from, to, ok := strings.Cut(s, "->")
	if !ok || from == "" || to == "" {
		return cluster.Link{}, fmt.Errorf("bad link %q: want FROM->TO, e.g. A1->A2", s)
	}
	if err := r.checkNode(from); err != nil {
		return cluster.Link{}, err
	}
	if err := r.checkNode(to); err != nil {
		return cluster.Link{}, err
	}
	if from == to {
		return cluster.Link{}, fmt.Errorf("bad link %q: a link joins two different nodes", s)
	}
	return cluster.Link{From: from, To: to}, nil
}

// parseNodes reads a comma-separated list of nodes: A1,A2.
func (r *repl) parseNodes(s string) ([]string, error) {
	var ids []string
	for _, id := range strings.Split(s, ",") {
		if err := r.checkNode(id); err != nil {
			return nil, err
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// parseCount reads an optional count N ≥ 1 at args[i], default 1.
func parseCount(c *replCommand, args []string, i int) (int, error) {
	if len(args) <= i {
		return 1, nil
	}
	n, err := strconv.Atoi(args[i])
	if err != nil || n < 1 {
		return 0, c.usageErr("count %q: want a whole number ≥ 1", args[i])
	}
	return n, nil
}

// liveNode refuses a node whose process has exited.
func (r *repl) liveNode(id string) error {
	if err := r.checkNode(id); err != nil {
		return err
	}
	if r.cur.tr.exited(id) {
		return fmt.Errorf("%s has exited", id)
	}
	return nil
}

func (r *repl) pauseResume(ctx context.Context, a cmdArgs, name string) error {
	c := lookup(name)
	if len(a.args) != 1 {
		return c.usageErr("want one node, or all")
	}
	lr := r.cur
	ids := lr.live(lr.ids)
	if a.args[0] != "all" {
		if err := r.liveNode(a.args[0]); err != nil {
			return err
		}
		ids = []string{a.args[0]}
	}
	verb, do := "paused", lr.c.Pause
	if name == "resume" {
		verb, do = "resumed", lr.c.Resume
	}
	if err := do(ctx, ids...); err != nil {
		return err
	}
	fmt.Fprintf(r.out, "%s %s\n", verb, strings.Join(ids, " "))
	return nil
}

func cmdKill(r *repl, ctx context.Context, a cmdArgs) error {
	c := lookup("kill")
	if len(a.args) != 1 {
		return c.usageErr("want one node")
	}
	id := a.args[0]
	if err := r.liveNode(id); err != nil {
		return err
	}
	lr := r.cur
	pid := lr.c.PIDs()[id]
	if err := lr.c.Kill(id); err != nil {
		return err
	}
	// The launcher records the death once the process is gone.
	dead := lr.tr.waitExit(ctx, id, 5*time.Second)
	if !dead {
		return fmt.Errorf("sent SIGKILL to %s (pid %d), but its death was not reported within 5 s", id, pid)
	}
	fmt.Fprintf(r.out, "%s (pid %d) killed; the others go on without it\n", id, pid)
	if w := lr.c.Waits(); len(w.Nodes()) > 0 {
		fmt.Fprintf(r.out, "now waiting: %s\n", w)
	} else {
		fmt.Fprintln(r.out, "nobody waits yet")
	}
	return nil
}

// linkTargets reads LINK|all: the links a command acts on, and how to
// name them to the user.
func (r *repl) linkTargets(arg string) ([]cluster.Link, string, error) {
	lr := r.cur
	if arg == "all" {
		return lr.c.Links(), "every link", nil
	}
	l, err := r.parseLink(arg)
	if err != nil {
		return nil, "", err
	}
	if lr.tr.exited(l.To) {
		return nil, "", fmt.Errorf("%s has exited: nothing arrives on %s", l.To, l)
	}
	return []cluster.Link{l}, arg, nil
}

func (r *repl) holdRelease(ctx context.Context, a cmdArgs, name string) error {
	c := lookup(name)
	if len(a.args) != 1 {
		return c.usageErr("want one link (A1->A2), or all")
	}
	links, what, err := r.linkTargets(a.args[0])
	if err != nil {
		return err
	}
	if name == "hold" {
		if err := r.cur.c.Hold(ctx, links...); err != nil {
			return err
		}
		fmt.Fprintf(r.out, "holding %s\n", what)
		return nil
	}
	if err := r.cur.c.Release(ctx, links...); err != nil {
		return err
	}
	fmt.Fprintf(r.out, "released %s\n", what)
	return nil
}

// linkAndCount reads the arguments of deliver and drop: a link to a live
// node and an optional count (1).
func (r *repl) linkAndCount(name string, a cmdArgs) (cluster.Link, int, error) {
	c := lookup(name)
	if len(a.args) < 1 || len(a.args) > 2 {
		return cluster.Link{}, 0, c.usageErr("want a link and an optional count")
	}
	l, err := r.parseLink(a.args[0])
	if err != nil {
		return cluster.Link{}, 0, err
	}
	n, err := parseCount(c, a.args, 1)
	if err != nil {
		return cluster.Link{}, 0, err
	}
	if err := r.liveNode(l.To); err != nil {
		return cluster.Link{}, 0, err
	}
	return l, n, nil
}

func cmdDeliver(r *repl, ctx context.Context, a cmdArgs) error {
	l, n, err := r.linkAndCount("deliver", a)
	if err != nil {
		return err
	}
	moved, err := r.cur.c.Deliver(ctx, l, n)
	if errors.Is(err, cluster.ErrNotHeld) {
		return fmt.Errorf("%v (`hold %s` first)", err, l)
	}
	if err != nil {
		return err
	}
	if moved == 0 {
		fmt.Fprintf(r.out, "nothing waits on %s\n", l)
		return nil
	}
	fmt.Fprintf(r.out, "delivered %d message(s) on %s\n", moved, l)
	return nil
}

func cmdDrop(r *repl, ctx context.Context, a cmdArgs) error {
	l, n, err := r.linkAndCount("drop", a)
	if err != nil {
		return err
	}
	if err := r.cur.c.Drop(ctx, l, n); err != nil {
		return err
	}
	fmt.Fprintf(r.out, "the next %d message(s) on %s will be lost\n", n, l)
	return nil
}

func cmdDelay(r *repl, ctx context.Context, a cmdArgs) error {
	c := lookup("delay")
	if len(a.args) != 2 {
		return c.usageErr("want a link (or all) and a duration (or off)")
	}
	d := a.args[1]
	secs := 0.0
	if d != "off" {
		var err error
		if secs, err = parseDuration(d); err != nil {
			return c.usageErr("%v", err)
		}
	}
	links, what, err := r.linkTargets(a.args[0])
	if err != nil {
		return err
	}
	if d == "off" {
		if err := r.cur.c.ClearDelay(ctx, links...); err != nil {
			return err
		}
		fmt.Fprintf(r.out, "%s has the scenario's delay again\n", what)
		return nil
	}
	if err := r.cur.c.Delay(ctx, secs, links...); err != nil {
		return err
	}
	fmt.Fprintf(r.out, "%s delays its messages by %s (divided by the speed)\n", what, d)
	return nil
}

func cmdPartition(r *repl, ctx context.Context, a cmdArgs) error {
	c := lookup("partition")
	if len(a.args) < 1 || len(a.args) > 2 {
		return c.usageErr("want one or two sides, each a comma-separated list of nodes")
	}
	lr := r.cur
	left, err := r.parseNodes(a.args[0])
	if err != nil {
		return err
	}
	var right []string
	if len(a.args) == 2 {
		if right, err = r.parseNodes(a.args[1]); err != nil {
			return err
		}
	} else {
		for _, id := range lr.ids {
			if !slices.Contains(left, id) {
				right = append(right, id)
			}
		}
	}
	for _, id := range left {
		if slices.Contains(right, id) {
			return fmt.Errorf("%s is on both sides", id)
		}
	}
	if len(right) == 0 {
		return errors.New("the other side is empty")
	}
	cut, err := lr.c.Partition(ctx, left, right)
	if err != nil {
		return err
	}
	fmt.Fprintf(r.out, "partitioned %s | %s: %d links cut; messages across are lost until heal\n",
		strings.Join(left, ","), strings.Join(right, ","), len(cut))
	return nil
}

func cmdHeal(r *repl, ctx context.Context, a cmdArgs) error {
	c := lookup("heal")
	if len(a.args) > 1 {
		return c.usageErr("want nothing (every link) or one link")
	}
	arg := "all"
	if len(a.args) == 1 {
		arg = a.args[0]
	}
	links, what, err := r.linkTargets(arg)
	if err != nil {
		return err
	}
	if err := r.cur.c.Heal(ctx, links...); err != nil {
		return err
	}
	fmt.Fprintf(r.out, "healed %s\n", what)
	return nil
}

func cmdPending(r *repl, ctx context.Context, a cmdArgs) error {
	if len(a.args) > 0 {
		return lookup("pending").usageErr("pending takes no arguments")
	}
	rows, err := r.cur.c.Pending(ctx)
	if err != nil {
		return err
	}
	for _, p := range rows {
		fmt.Fprintln(r.out, r.con.paint(p.From, formatPending(p)))
	}
	if len(rows) == 0 {
		fmt.Fprintln(r.out, "no message is waiting")
	}
	return nil
}

// formatPending is one row of pending: "A1->A2 (held): 2 [REQUEST REPLY]".
func formatPending(p driver.PendingLink) string {
	held := ""
	if p.Held {
		held = " (held)"
	}
	return fmt.Sprintf("%s->%s%s: %d [%s]", p.From, p.To, held, len(p.Types), strings.Join(p.Types, " "))
}
