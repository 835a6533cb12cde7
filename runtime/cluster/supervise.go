package cluster

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"mutexlab/runtime/driver"
	"mutexlab/runtime/trace"
)

// Process supervision: the node processes, their ends, stopping and
// killing them.

type proc struct {
	id      string
	cmd     *exec.Cmd
	exited  chan struct{}
	status  error
	lastErr string
	killed  bool          // by Kill: the run goes on without it
	settled chan struct{} // closed once its end is settled (exited)
}

func (c *Cluster) relay(id string, r io.Reader, fn func(string, string), p *proc) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if p != nil && strings.TrimSpace(line) != "" {
			c.mu.Lock()
			p.lastErr = line
			c.mu.Unlock()
		}
		if fn != nil {
			fn(id, line)
		}
	}
}

// exited is called when a node's process has ended. The node's own last
// events (its error, its exit) may still be on their way: wait until its
// control connection has been read to the end (a node that never
// connected has nothing to send), then settle its end behind them.
func (c *Cluster) exited(p *proc) {
	// What the process sent is buffered now, and its end follows. The
	// deadline, pushed back on every read from now on, only ends a reader
	// that gets nothing more for drainTimeout (the socket held open by
	// something else): a safety net, not a limit on data.
	c.watch[p.id].gone.Store(true)
	c.mu.Lock()
	if cc := c.conns[p.id]; cc != nil {
		cc.conn.SetReadDeadline(time.Now().Add(drainTimeout))
	}
	closed := c.ctlClosed[p.id]
	c.mu.Unlock()
	select {
	case <-closed:
	case <-time.After(time.Second):
		c.mu.Lock()
		cc := c.conns[p.id]
		c.mu.Unlock()
		if cc != nil {
			cc.conn.SetReadDeadline(time.Now().Add(drainTimeout))
			<-closed
		}
	}
	// The news goes through the merger behind everything the node sent,
	// held back or not, so that the run's state learns of its last events
	// (its error) first; if the merge cuts the node off, it comes then.
	c.mergeMu.Lock()
	c.mergeAdd(&trace.Event{Ev: procExited, Node: p.id}, nil)
	if !c.sent[p.id].crash {
		// A node crashed by the plan keeps its stream open: the drops of
		// messages sent to it are recorded on its behalf, and a restart
		// goes on with it.
		c.merger.End(p.id)
		c.drainInjected()
	}
	c.mergeMu.Unlock()
	close(p.settled)
}

// procExited marks a process's end in the merge; it is not written to
// the trace.
const procExited = "process_exited"

// settleExit settles a process's end behind its events: the run's state,
// and the node's exit recorded on its behalf when it could not record one
// (not when the merge cut it off: its trace ends where the cut is). The
// caller holds mergeMu.
func (c *Cluster) settleExit(id string, inOrder bool) {
	c.mu.Lock()
	p := c.procs[id]
	c.mu.Unlock()
	sent := c.sent[id]
	c.processExited(p)
	if sent.exit || sent.crash || !inOrder {
		return
	}
	e := trace.Event{Ev: trace.Exit, T: c.now(), Node: id, LC: sent.lc, Text: describeExit(p.status)}
	if line, err := c.enc.Encode(e); err == nil {
		c.emit(&e, line)
	}
}

// processExited settles a process's end in the run's state.
func (c *Cluster) processExited(p *proc) {
	c.mu.Lock()
	st := c.state[p.id]
	stopping := c.stopping
	st.dead = true
	// A node killed on purpose (Kill) or crashed by the plan is not a
	// failure: the others go on without it until Stop, until the
	// survivors are done (observe) or stall, or until the last process is
	// gone.
	expected := p.killed || st.crashed
	endRun := !expected || (c.allExited() && c.restartsPending() == 0)
	if !stopping && !expected && c.outcome.Failed == "" {
		c.outcome.Failed = p.id
		// A process killed by a signal is reported as killed, whatever
		// it printed last (a stranger's refusal, say).
		msg := p.lastErr
		if msg == "" || signaled(p.status) {
			msg = describeExit(p.status)
		}
		if !strings.HasPrefix(msg, p.id+":") {
			msg = p.id + ": " + msg
		}
		c.outcome.Err = msg
		if ee, ok := p.status.(*exec.ExitError); ok && ee.ExitCode() == 2 {
			c.outcome.ScriptError = true
		}
	}
	c.mu.Unlock()
	if !stopping && endRun {
		go c.Stop("stopped")
	}
}

// allExited reports whether every process has exited.
func (c *Cluster) allExited() bool {
	for _, p := range c.procs {
		select {
		case <-p.exited:
		default:
			return false
		}
	}
	return true
}

// signaled reports whether a process ended by a signal.
func signaled(err error) bool {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		ws, ok := ee.Sys().(syscall.WaitStatus)
		return ok && ws.Signaled()
	}
	return false
}

func describeExit(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			if ws.Signal() == syscall.SIGKILL {
				return "killed"
			}
			return "killed by " + ws.Signal().String()
		}
		return fmt.Sprintf("exited with status %d", ee.ExitCode())
	}
	if err != nil {
		return err.Error()
	}
	return "exited"
}

// Stop asks every node to stop (recording reason in its exit event),
// waits for the processes to send what they recorded and exit, kills any
// that hangs (neither exits nor sends anything for three seconds), and
// returns when the run is over and its trace written. Safe to call more
// than once.
func (c *Cluster) Stop(reason string) {
	c.mu.Lock()
	if c.stopping {
		c.mu.Unlock()
		<-c.done
		return
	}
	c.stopping = true
	if reason == "interrupted" {
		c.outcome.Interrupted = true
	}
	// A node stopped by a pause of the plan must run to stop.
	for id := range c.sigstopped {
		if p := c.procs[id]; p != nil {
			p.cmd.Process.Signal(syscall.SIGCONT)
		}
	}
	c.sigstopped = map[string]time.Time{}
	conns := map[string]*ctlConn{}
	for id, cc := range c.conns {
		conns[id] = cc
	}
	c.mu.Unlock()
	for _, cc := range conns {
		c.write(cc, 0, driver.Command{Op: driver.OpStop, Reason: reason})
	}
	c.waitExited(time.Now())
	// Every process is gone: each connection is read to its end (exited).
	c.ctl.Close()
	c.ctlWG.Wait()
	c.wg.Wait() // every process's end settled in the merger
	c.mergeMu.Lock()
	c.merger.Finish()
	cut := c.cut
	c.flushTrace()
	c.mergeMu.Unlock()
	c.mu.Lock()
	c.outcome.Cut = cut
	for _, ch := range c.waiting {
		close(ch)
	}
	c.waiting = map[int64]chan driver.Result{}
	c.mu.Unlock()
	close(c.done)
}

// waitExited waits until every process has exited. A stopped node sends
// everything it recorded before it exits, however long that takes; only
// one that neither exits nor sends anything for hungAfter is killed.
func (c *Cluster) waitExited(since time.Time) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		all := true
		for _, p := range c.procs {
			select {
			case <-p.exited:
				continue
			default:
			}
			all = false
			last := time.Unix(0, c.watch[p.id].last.Load())
			if last.Before(since) {
				last = since
			}
			if time.Since(last) > hungAfter {
				p.cmd.Process.Kill()
			}
		}
		if all {
			return
		}
		<-tick.C
	}
}

func (c *Cluster) killAll() {
	for _, p := range c.procs {
		select {
		case <-p.exited:
		default:
			p.cmd.Process.Kill()
		}
	}
}

// Kill sends SIGKILL to one node, as a crash would. The run goes on
// without it (the others wait on it; the stall detector stays off) until
// Stop, or until every process is gone.
func (c *Cluster) Kill(id string) error {
	c.mu.Lock()
	p, ok := c.procs[id] // a restart of the plan replaces it
	c.mu.Unlock()
	if !ok {
		return fmt.Errorf("no node %q", id)
	}
	select {
	case <-p.exited:
		return fmt.Errorf("%s has already exited", id)
	default:
	}
	c.mu.Lock()
	c.steer.killed[id] = true // the others will wait on it: no stall verdict
	p.killed = true
	c.mu.Unlock()
	return p.cmd.Process.Kill()
}
