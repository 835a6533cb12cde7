package repl

import (
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/fatih/color"

	"mutexlab/runtime/runview"
)

// console is the REPL's one way to the screen. Command output goes
// straight through. What the running system prints arrives at any moment,
// so it must not land in the middle of the line being typed: node lines go
// straight out only while a command follows the screen (follow mode owns
// the screen until Ctrl-C) and are otherwise counted and dropped, but for
// the last few, which following shows first, as tail -f does; and
// notices (a death, a failure, the end of the run, a checker alert) wait
// until the current command ends and are printed before the next prompt.
type console struct {
	mu        sync.Mutex
	w         io.Writer
	color     bool
	scr       *runview.Screen // the run's per-node colors
	following bool
	notices   []string
	hidden    int         // node lines not shown since the last prompt
	backlog   [][2]string // the last node lines not shown: id, text
}

// backlogLines is how many unseen node lines follow shows first.
const backlogLines = 10

func newConsole(w io.Writer, useColor bool) *console {
	return &console{w: w, color: useColor, scr: runview.NewScreen(w, nil, useColor)}
}

// Write prints command output.
func (c *console) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.w.Write(p)
}

// setNodes gives each node of a new run its color.
func (c *console) setNodes(ids []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.scr = runview.NewScreen(c.w, ids, c.color)
}

// paint colors s with node id's color (when colors are on).
func (c *console) paint(id, s string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if col := c.scr.Color(id); col != nil {
		return col.Sprint(s)
	}
	return s
}

// style colors s with attrs (when colors are on).
func (c *console) style(s string, attrs ...color.Attribute) string {
	if !c.color {
		return s
	}
	col := color.New(attrs...)
	col.EnableColor()
	return col.Sprint(s)
}

// nodeLine is one line a node printed: shown while following, counted
// otherwise.
func (c *console) nodeLine(id, text string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.following {
		c.scr.Line(id, text)
		return
	}
	c.hidden++
	if len(c.backlog) == backlogLines {
		c.backlog = c.backlog[1:]
	}
	c.backlog = append(c.backlog, [2]string{id, text})
}

// notice is news about the system, shown at once while following, else
// when the current command ends.
func (c *console) notice(text string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	text = strings.TrimRight(text, "\n")
	if c.following {
		fmt.Fprintln(c.w, text)
		return
	}
	c.notices = append(c.notices, text)
}

// follow switches follow mode; entering it prints the notices waiting
// and the last node lines not shown.
func (c *console) follow(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.following = on
	if on {
		c.printNotices()
		for _, l := range c.backlog {
			c.scr.Line(l[0], l[1])
		}
		c.hidden, c.backlog = 0, nil
	}
}

// flush prints what waited for the command to end. With countHidden it
// also says how many node lines were not shown.
func (c *console) flush(countHidden bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.printNotices()
	if countHidden && c.hidden > 0 {
		fmt.Fprintln(c.w, c.style(fmt.Sprintf("(%d lines of node output not shown; `follow` shows the screen)", c.hidden), color.Faint))
	}
	c.hidden = 0
}

func (c *console) printNotices() {
	for _, n := range c.notices {
		fmt.Fprintln(c.w, n)
	}
	c.notices = nil
}
