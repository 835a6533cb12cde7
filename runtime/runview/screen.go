// Package runview is what the run subcommand and the REPL share of a
// real run: the screen relay that colors each node's lines, the file the
// run's trace goes to, the summary's counts and its printing, the live
// mutual exclusion monitor, and the check report and the space-time
// diagram drawn with the report's failures (docs/trace.md, README.md).
// It sits below both, so that the REPL, a package of its own, does not
// import the command back.
package runview

import (
	"fmt"
	"io"
	"sync"

	"github.com/fatih/color"
)

// palette colors each node's screen lines.
var palette = []color.Attribute{color.FgCyan, color.FgGreen, color.FgYellow, color.FgMagenta,
	color.FgBlue, color.FgRed, color.FgHiCyan, color.FgHiGreen, color.FgHiYellow, color.FgHiMagenta, color.FgHiBlue}

// Screen prints node lines, one whole line at a time, colored per node.
type Screen struct {
	mu     sync.Mutex
	w      io.Writer
	colors map[string]*color.Color
}

// NewScreen returns a screen writing to w that gives each of ids a color
// of its own (when useColor).
func NewScreen(w io.Writer, ids []string, useColor bool) *Screen {
	s := &Screen{w: w, colors: map[string]*color.Color{}}
	for i, id := range ids {
		c := color.New(palette[i%len(palette)])
		if useColor {
			c.EnableColor()
		} else {
			c.DisableColor()
		}
		s.colors[id] = c
	}
	return s
}

// Line prints one line of node id.
func (s *Screen) Line(id, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.colors[id]; c != nil {
		c.Fprintln(s.w, text)
		return
	}
	fmt.Fprintln(s.w, text)
}

// Color is node id's color, or nil for a node the screen does not know.
func (s *Screen) Color(id string) *color.Color { return s.colors[id] }
