package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Link commands are applied at the receiving node, which shapes its
// incoming links, and name the sending side: `hold A1->A2` is "hold A1"
// at A2, and `hold all` is "hold all" at every node.

// link is a parsed FROM->TO.
type link struct{ from, to string }

func (l link) String() string { return l.from + "->" + l.to }

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
func (r *repl) parseLink(s string) (link, error) {
	from, to, ok := strings.Cut(s, "->")
	if !ok || from == "" || to == "" {
		return link{}, fmt.Errorf("bad link %q: want FROM->TO, e.g. A1->A2", s)
	}
	if err := r.checkNode(from); err != nil {
		return link{}, err
	}
	if err := r.checkNode(to); err != nil {
		return link{}, err
	}
	if from == to {
		return link{}, fmt.Errorf("bad link %q: a link joins two different nodes", s)
	}
	return link{from, to}, nil
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
	if _, err := lr.tell(ctx, ids, name); err != nil {
		return err
	}
	lr.update(func(s *steering) {
		for _, id := range ids {
			if name == "pause" {
				s.paused[id] = true
			} else {
				delete(s.paused, id)
			}
		}
	})
	verb := "paused"
	if name == "resume" {
		verb = "resumed"
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
	lr.update(func(s *steering) { s.killed[id] = true })
	// The launcher records the death once the process is gone.
	dead := lr.tr.waitExit(ctx, id, 5*time.Second)
	if !dead {
		return fmt.Errorf("sent SIGKILL to %s (pid %d), but its death was not reported within 5 s", id, pid)
	}
	fmt.Fprintf(r.out, "%s (pid %d) killed; the others go on without it\n", id, pid)
	if w := lr.c.WaitFor(); w != "" {
		fmt.Fprintf(r.out, "now waiting: %s\n", w)
	} else {
		fmt.Fprintln(r.out, "nobody waits yet")
	}
	return nil
}

// linkTargets turns LINK|all into the receivers to tell and the sender
// argument they get.
func (r *repl) linkTargets(arg string) (to []string, from string, pairs map[[2]string]bool, err error) {
	lr := r.cur
	if arg == "all" {
		return lr.live(lr.ids), "all", allLinks(lr.ids), nil
	}
	l, err := r.parseLink(arg)
	if err != nil {
		return nil, "", nil, err
	}
	if lr.tr.exited(l.to) {
		return nil, "", nil, fmt.Errorf("%s has exited: nothing arrives on %s", l.to, l)
	}
	return []string{l.to}, l.from, map[[2]string]bool{{l.from, l.to}: true}, nil
}

func (r *repl) holdRelease(ctx context.Context, a cmdArgs, name string) error {
	c := lookup(name)
	if len(a.args) != 1 {
		return c.usageErr("want one link (A1->A2), or all")
	}
	to, from, pairs, err := r.linkTargets(a.args[0])
	if err != nil {
		return err
	}
	lr := r.cur
	if _, err := lr.tell(ctx, to, name, from); err != nil {
		return err
	}
	lr.update(func(s *steering) {
		for p := range pairs {
			if name == "hold" {
				s.held[p] = true
			} else {
				delete(s.held, p)
			}
		}
	})
	what := a.args[0]
	if what == "all" {
		what = "every link"
	}
	if name == "hold" {
		fmt.Fprintf(r.out, "holding %s\n", what)
	} else {
		fmt.Fprintf(r.out, "released %s\n", what)
	}
	return nil
}

// linkAndCount reads the arguments of deliver and drop: a link to a live
// node and an optional count (1).
func (r *repl) linkAndCount(name string, a cmdArgs) (link, int, error) {
	c := lookup(name)
	if len(a.args) < 1 || len(a.args) > 2 {
		return link{}, 0, c.usageErr("want a link and an optional count")
	}
	l, err := r.parseLink(a.args[0])
	if err != nil {
		return link{}, 0, err
	}
	n, err := parseCount(c, a.args, 1)
	if err != nil {
		return link{}, 0, err
	}
	if err := r.liveNode(l.to); err != nil {
		return link{}, 0, err
	}
	return l, n, nil
}

func cmdDeliver(r *repl, ctx context.Context, a cmdArgs) error {
	l, n, err := r.linkAndCount("deliver", a)
	if err != nil {
		return err
	}
	lr := r.cur
	lr.mu.Lock()
	held := lr.steer.held[[2]string{l.from, l.to}]
	lr.mu.Unlock()
	if !held {
		return fmt.Errorf("%s is not held: its messages flow anyway (`hold %s` first)", l, l)
	}
	res, err := lr.tell(ctx, []string{l.to}, "deliver", l.from, strconv.Itoa(n))
	if err != nil {
		return err
	}
	moved := 0
	fmt.Sscanf(res[0].Text, "%d", &moved)
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
	if _, err := r.cur.tell(ctx, []string{l.to}, "drop", l.from, strconv.Itoa(n)); err != nil {
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
	if d != "off" {
		if _, err := parseDuration(d); err != nil {
			return c.usageErr("%v", err)
		}
	}
	to, from, _, err := r.linkTargets(a.args[0])
	if err != nil {
		return err
	}
	if _, err := r.cur.tell(ctx, to, "delay", from, d); err != nil {
		return err
	}
	what := a.args[0]
	if what == "all" {
		what = "every link"
	}
	if d == "off" {
		fmt.Fprintf(r.out, "%s has the scenario's delay again\n", what)
	} else {
		fmt.Fprintf(r.out, "%s delays its messages by %s (divided by the speed)\n", what, d)
	}
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
	// Each node cuts what comes from the other side.
	cut := func(to, from []string) error {
		for _, id := range lr.live(to) {
			if _, err := lr.tell(ctx, []string{id}, "cut", strings.Join(from, ",")); err != nil {
				return err
			}
		}
		return nil
	}
	if err := cut(right, left); err != nil {
		return err
	}
	if err := cut(left, right); err != nil {
		return err
	}
	lr.update(func(s *steering) {
		for _, x := range left {
			for _, y := range right {
				s.cut[[2]string{x, y}] = true
				s.cut[[2]string{y, x}] = true
			}
		}
	})
	fmt.Fprintf(r.out, "partitioned %s | %s: %d links cut; messages across are lost until heal\n",
		strings.Join(left, ","), strings.Join(right, ","), 2*len(left)*len(right))
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
	to, from, pairs, err := r.linkTargets(arg)
	if err != nil {
		return err
	}
	lr := r.cur
	if _, err := lr.tell(ctx, to, "heal", from); err != nil {
		return err
	}
	lr.update(func(s *steering) {
		for p := range pairs {
			delete(s.cut, p)
		}
	})
	if arg == "all" {
		fmt.Fprintln(r.out, "healed every link")
	} else {
		fmt.Fprintf(r.out, "healed %s\n", arg)
	}
	return nil
}

func cmdPending(r *repl, ctx context.Context, a cmdArgs) error {
	if len(a.args) > 0 {
		return lookup("pending").usageErr("pending takes no arguments")
	}
	lr := r.cur
	ids := lr.live(lr.ids)
	res, err := lr.tell(ctx, ids, "pending")
	if err != nil {
		return err
	}
	// Rows read "A1->A2 (held): 2 [REQUEST REPLY]"; held links with
	// nothing waiting are left out.
	n := 0
	for _, x := range res {
		for _, row := range strings.Split(x.Text, "\n") {
			_, count, ok := strings.Cut(row, ": ")
			if !ok || strings.HasPrefix(count, "0 ") {
				continue
			}
			n++
			from, _, _ := strings.Cut(row, "->")
			fmt.Fprintln(r.out, r.con.paint(from, row))
		}
	}
	if n == 0 {
		fmt.Fprintln(r.out, "no message is waiting")
	}
	return nil
}
