package cluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"mutexlab/runtime/driver"
	"mutexlab/runtime/scenario"
	"mutexlab/runtime/trace"
)

// The launcher's share of the plan: cuts, partitions and their heals,
// restarts, at their times after the run's origin; and the end of a pause.

// planStep is something the launcher does at a time.
type planStep struct {
	at    int64 // run ns after the origin
	op    string
	node  string
	links []Link
}

// launcherSteps lists the plan's steps the launcher carries out, by time
// (ties in the plan's order).
func launcherSteps(s *scenario.Scenario) []planStep {
	var out []planStep
	for _, ft := range s.Faults {
		at := scenario.Nanos(ft.At, s.Speed)
		switch ft.Kind {
		case scenario.Cut, scenario.Partition:
			var links []Link
			for _, l := range s.FaultLinks(ft) {
				links = append(links, Link{l[0], l[1]})
			}
			out = append(out, planStep{at: at, op: trace.Cut, links: links})
			if ft.Duration > 0 {
				out = append(out, planStep{at: at + scenario.Nanos(ft.Duration, s.Speed), op: trace.Heal, links: links})
			}
		case scenario.Restart:
			out = append(out, planStep{at: at, op: trace.Restart, node: ft.Node})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].at < out[j].at })
	return out
}

// planHorizon is when the last timed fault of the plan is over: until
// then a still system may yet be moved by it, and is not a stall.
func planHorizon(s *scenario.Scenario) int64 {
	var end int64
	for _, ft := range s.Faults {
		if ft.After == "" {
			end = max(end, scenario.Nanos(ft.At+ft.Duration, s.Speed))
		}
	}
	return end
}

// runPlan carries out the launcher's steps at their times.
func (c *Cluster) runPlan(steps []planStep) {
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for _, st := range steps {
		wait := time.Duration(c.origin + st.at - c.now())
		if wait > 0 {
			t.Reset(wait)
			select {
			case <-c.done:
				return
			case <-t.C:
			}
		}
		c.mu.Lock()
		stopping := c.stopping
		c.mu.Unlock()
		if stopping {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		var err error
		switch st.op {
		case trace.Cut:
			_, err = c.linkCommand(ctx, driver.Command{Op: driver.OpCut, Fault: true}, st.links,
				func(s *steering, l Link) { c.planCut[l] = true })
		case trace.Heal:
			_, err = c.linkCommand(ctx, driver.Command{Op: driver.OpHeal, Fault: true}, st.links,
				func(s *steering, l Link) { delete(c.planCut, l) })
		case trace.Restart:
			err = c.restart(ctx, st.node)
			c.mu.Lock()
			c.restartsDue[st.node]--
			c.mu.Unlock()
		}
		cancel()
		if err != nil {
			fmt.Fprintf(os.Stderr, "mutexlab: fault plan: %s: %v\n", st.op, err)
		}
	}
}

// pausedByPlan marks a node stopped by a pause of the plan (it stopped
// itself) and continues it after d.
func (c *Cluster) pausedByPlan(id string, d time.Duration) {
	c.mu.Lock()
	c.sigstopped[id] = time.Now().Add(d)
	c.steer.paused[id] = true // a still system is the plan's doing
	p := c.procs[id]
	c.mu.Unlock()
	time.AfterFunc(d, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if _, ok := c.sigstopped[id]; !ok || c.procs[id] != p {
			return // Stop continued it already
		}
		delete(c.sigstopped, id)
		delete(c.steer.paused, id)
		p.cmd.Process.Signal(syscall.SIGCONT)
	})
}

// tellDown tells every live peer of a node that it crashed, so that
// none queues messages for a process that is gone (OpPeerDown); a
// restart waits until they have all taken it in. Called under mergeMu,
// from the crash event: the commands go out from a goroutine.
func (c *Cluster) tellDown(id string) {
	told := c.downChan(id)
	go func() {
		defer close(told)
		select {
		case <-c.begun: // a node crashed at 0: the others are being started
		case <-c.done:
			return
		}
		var peers []string
		for _, other := range c.running(c.ids) {
			if other != id {
				peers = append(peers, other)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c.each(ctx, peers, func(string) driver.Command {
			return driver.Command{Op: driver.OpPeerDown, Links: driver.Links{From: []string{id}}}
		})
	}()
}

// downChan is closed once node id's peers have taken in its crash.
func (c *Cluster) downChan(id string) chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := c.downTold[id]
	if ch == nil {
		ch = make(chan struct{})
		c.downTold[id] = ch
	}
	return ch
}

// restartsPending counts the plan's restarts still to come. The caller
// holds mu.
func (c *Cluster) restartsPending() int {
	n := 0
	for _, k := range c.restartsDue {
		n += k
	}
	return n
}

// planAhead reports whether a timed fault of the plan may still move a
// still system. The caller holds mu.
func (c *Cluster) planAhead() bool {
	return c.faults.on && c.now() < c.origin+c.horizon
}

// restart starts a fresh process for a node crashed by the plan, on the
// same address, as its next incarnation. Every live peer first forgets
// what waits for the dead one and says what it had sent it (the numbering
// goes on from there); the new process is told, and every message to the
// dead incarnation that it did not receive is dropped on its behalf. A
// node that is not down is left alone, as in the simulator.
func (c *Cluster) restart(ctx context.Context, id string) error {
	c.mu.Lock()
	p := c.procs[id]
	st := c.state[id]
	down := st.crashed
	c.mu.Unlock()
	if !down {
		return nil
	}
	// Its end is settled (its stream read, its state dead), and its
	// peers have taken in its crash: none will take it back from now on
	// but by the restart.
	select {
	case <-p.settled:
	case <-ctx.Done():
		return fmt.Errorf("%s crashed but its process did not end", id)
	}
	select {
	case <-c.downChan(id):
	case <-ctx.Done():
		return fmt.Errorf("the peers of %s did not take in its crash", id)
	}
	c.mu.Lock()
	c.incarn[id]++
	k := c.incarn[id]
	c.mu.Unlock()
	var peers []string
	for _, other := range c.running(c.ids) {
		if other != id {
			peers = append(peers, other)
		}
	}
	res, errs := c.each(ctx, peers, func(string) driver.Command {
		return driver.Command{Op: driver.OpPeerRestart, Links: driver.Links{From: []string{id}}, N: k}
	})
	received := map[string]int64{}
	for i, peer := range peers {
		if errs[i] == nil {
			received[peer] = res[i].Seq
		}
	}
	c.mergeMu.Lock()
	counts := c.faults.counts[id]
	c.mergeMu.Unlock()
	c.mu.Lock()
	delete(c.downTold, id) // a later crash is news again
	c.mu.Unlock()
	return c.startIncarnation(id, k, received, counts)
}

// startIncarnation starts incarnation k of node id and lets it begin.
func (c *Cluster) startIncarnation(id string, k int, received map[string]int64, counts map[string]int) error {
	if c.opts.Hosts != nil {
		return fmt.Errorf("restart %s: a restart needs the node's address back, which a run on network namespaces (--netns) cannot promise", id)
	}
	ln, err := net.Listen("tcp", c.meta.Addresses[id])
	if err != nil {
		return fmt.Errorf("restart %s: listen on %s: %v", id, c.meta.Addresses[id], err)
	}
	f, err := ln.(*net.TCPListener).File()
	ln.Close()
	if err != nil {
		return fmt.Errorf("restart %s: %v", id, err)
	}
	defer f.Close()
	var rec, cnt []string
	for _, peer := range c.ids {
		if seq, ok := received[peer]; ok {
			rec = append(rec, peer+"="+strconv.FormatInt(seq, 10))
		}
	}
	for kind, n := range counts {
		cnt = append(cnt, kind+"="+strconv.Itoa(n))
	}
	slices.Sort(cnt)
	env := append(slices.Clone(c.env),
		envIncarnation+"="+strconv.Itoa(k),
		envReceived+"="+strings.Join(rec, ","),
		envCounts+"="+strings.Join(cnt, ","))
	w := c.watch[id]
	w.gone.Store(false)
	w.last.Store(0)
	c.mu.Lock()
	c.ctlClosed[id] = make(chan struct{})
	c.mu.Unlock()
	if err := c.spawn(id, env, f); err == errStopping {
		return nil
	} else if err != nil {
		return err
	}
	// Wait for it to dial back, then let it begin.
	timeout := time.After(15 * time.Second)
	for {
		select {
		case got := <-c.connected:
			if got != id {
				continue
			}
		case <-c.done:
			return nil
		case <-timeout:
			return fmt.Errorf("restarted %s did not connect to the launcher within 15 s", id)
		}
		break
	}
	c.mu.Lock()
	cc := c.conns[id]
	var cuts []string
	for l := range c.planCut {
		if l.To == id {
			cuts = append(cuts, l.From)
		}
	}
	c.mu.Unlock()
	if cc == nil {
		return nil
	}
	c.write(cc, 0, driver.Command{Op: driver.OpStart, Origin: c.origin})
	if len(cuts) > 0 {
		// The cuts of the plan into it are still in force.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		slices.Sort(cuts)
		_, err := c.command(ctx, id, driver.Command{Op: driver.OpCut, Links: driver.Links{From: cuts}})
		return err
	}
	return nil
}

var errStopping = errors.New("the run is stopping")

// spawn starts node id's process with env and its listener, and watches it.
func (c *Cluster) spawn(id string, env []string, listener *os.File) error {
	arg := c.opts.ScenarioArg
	if arg == "" {
		arg = c.opts.Scenario.Name
	}
	cmd := exec.Command(c.opts.Binary, "node", "--id", id, arg)
	if c.opts.Hosts != nil {
		cmd = c.opts.Hosts.NodeCommand(groupOf(c.opts.Scenario, id), c.opts.Binary, "node", "--id", id, arg)
	}
	cmd.Env = env
	cmd.ExtraFiles = []*os.File{listener}
	cmd.SysProcAttr = childAttr()
	stdout, _ := cmd.StdoutPipe()
	stderr, _ := cmd.StderrPipe()
	// Under mu: a run that is stopping starts nothing more (Stop waits for
	// the processes it knows), and a process that has exited already may
	// be settled meanwhile.
	c.mu.Lock()
	if c.stopping {
		c.mu.Unlock()
		return errStopping
	}
	if err := cmd.Start(); err != nil {
		c.mu.Unlock()
		return fmt.Errorf("start %s: %w", id, err)
	}
	p := &proc{id: id, cmd: cmd, exited: make(chan struct{}), settled: make(chan struct{})}
	c.procs[id] = p
	c.mu.Unlock()
	c.wg.Add(3)
	var pipes sync.WaitGroup
	pipes.Add(2)
	go func() { defer c.wg.Done(); defer pipes.Done(); c.relay(id, stdout, c.opts.OnScreen, nil) }()
	go func() { defer c.wg.Done(); defer pipes.Done(); c.relay(id, stderr, c.opts.OnStderr, p) }()
	go func() {
		defer c.wg.Done()
		pipes.Wait() // Wait closes the pipes: read them to the end first
		p.status = cmd.Wait()
		close(p.exited)
		c.exited(p)
	}()
	return nil
}
