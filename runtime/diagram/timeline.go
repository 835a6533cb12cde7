package diagram

import (
	"bufio"
	"cmp"
	"fmt"
	"hash/fnv"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/fatih/color"

	"mutexlab/runtime/trace"
)

// TimelineOptions tunes Timeline.
type TimelineOptions struct {
	// Last shows only the last N rows; 0 shows all.
	Last int
	// Color writes ANSI colors. The caller decides (a terminal, no NO_COLOR).
	Color bool
	// Width is the line width in columns; 0 means 100.
	Width int
	// Violations are marked with "!N" on their events' rows and listed at
	// the end.
	Violations []Violation
}

// Lane glyphs of the timeline.
const (
	gIdle    = '│'
	gCS      = '┃'
	gBlocked = '┆'
	gSend    = '●'
	gRecvR   = '▶' // received, the message came from the left
	gRecvL   = '◀'
	gFlightR = '▷' // sent, on its way to the right
	gFlightL = '◁'
	gDrop    = '×'
	gWire    = '─'
	gStart   = '○'
	gExit    = '■'
	gEnter   = '┳'
	gLeave   = '┻'
	gWait    = '◇'
	gResume  = '◆'
	gLog     = '*'
	gError   = '!'
	gTick    = '·'
)

const timelineLegend = "● send ▷ on its way ▶ received × dropped ┳┃┻ critical section ┆ waiting ○ start ■ exit"

// paint is a cell's color role.
type paint uint8

const (
	pNone paint = iota
	pDim
	pBold
	pCS
	pBad
	pType // the message type's color, see row.typ
)

type cell struct {
	r rune
	p paint
}

// tlRow is one line of the timeline.
type tlRow struct {
	t     int64
	lc    int64
	cells []cell
	typ   string // message type, for pType
	desc  string
	dp    paint // the description's color
	mark  string
}

// Timeline writes t as a compact lane view that fits opts.Width columns:
// one row per event with time running down, one column per process (each
// heavyweight before its lightweights), messages drawn across the row as
// ●──▷ when sent and ──▶ when received, critical sections as thick lanes.
// The screen output of a critical section (print events) is folded into
// its cs_exit row.
func Timeline(w io.Writer, t *trace.Trace, opts TimelineOptions) error {
	in := tlInput{meta: t.Meta, lanes: buildLanes(t.Meta, t.Events)}
	var events []trace.Event
	received, dropped, bars := 0, 0, 0
	for _, e := range t.Events {
		if e.Node == "" {
			continue
		}
		if len(events) == 0 {
			in.t0, in.t1 = e.T, e.T
		}
		in.t0, in.t1, in.maxLC = min(in.t0, e.T), max(in.t1, e.T), max(in.maxLC, e.LC)
		switch e.Ev {
		case trace.Recv:
			received++
		case trace.Drop:
			dropped++
		case trace.CSEnter:
			bars++
		}
		events = append(events, e)
	}
	// In the order of t, file order breaking ties (newModel).
	slices.SortStableFunc(events, func(a, b trace.Event) int { return cmp.Compare(a.T, b.T) })
	in.summary = summaryText(len(in.lanes), len(events), received, dropped, bars)
	walk := func(fn func(e *trace.Event) error) error {
		for i := range events {
			if err := fn(&events[i]); err != nil {
				return err
			}
		}
		return nil
	}
	return drawTimeline(w, in, walk, func() *trace.Stall { return trace.End(t.Meta.Nodes, t.Events, nil).Stall }, opts)
}

// TimelineIndex writes the trace ix indexes as Timeline does, walking it
// in time order: what it holds is a row per process and, with Last, the
// last rows drawn, not the trace. A trace not in causal order is read
// whole.
func TimelineIndex(w io.Writer, ix *trace.Index, opts TimelineOptions) error {
	if ix.Disorder != "" {
		t, err := ix.Read()
		if err != nil {
			return err
		}
		return Timeline(w, t, opts)
	}
	in := tlInput{meta: ix.Meta, lanes: lanesOf(ix.Meta, ix.Named), t0: ix.First, t1: ix.Last, maxLC: ix.MaxLC}
	events, received, dropped, bars := 0, 0, 0, 0
	for _, c := range ix.Nodes {
		events, received, dropped, bars = events+c.Events, received+c.Recvs, dropped+c.Drops, bars+c.Enters
	}
	in.summary = summaryText(len(in.lanes), events, received, dropped, bars)
	end := trace.NewEnder(ix.Meta.Nodes)
	k := 0
	walk := func(fn func(e *trace.Event) error) error {
		return ix.Walk(func(e *trace.Event) error {
			end.Apply(k, e)
			k++
			return fn(e)
		})
	}
	return drawTimeline(w, in, walk, func() *trace.Stall { return end.Ending(ix.Meta.Nodes).Stall }, opts)
}

// tlInput is what the timeline knows of a trace before it walks it.
type tlInput struct {
	meta          trace.Meta
	lanes         []lane
	summary       string
	t0, t1, maxLC int64
}

// drawTimeline draws the rows of the events walk hands out in time order,
// and how the trace ends (stall, called after the walk).
func drawTimeline(w io.Writer, in tlInput, walk func(func(e *trace.Event) error) error, stall func() *trace.Stall, opts TimelineOptions) error {
	width := opts.Width
	if width <= 0 {
		width = 100
	}
	index := make(map[string]int, len(in.lanes))
	for i, l := range in.lanes {
		index[l.ID] = i
	}
	laneIndex := func(id string) int {
		if l, ok := index[id]; ok {
			return l
		}
		return -1
	}
	n := len(in.lanes)
	// Violations are marked on the rows of their events (by line).
	marks := map[int]string{}
	for vi, v := range opts.Violations {
		for _, ln := range v.Lines {
			marks[ln] += "!" + strconv.Itoa(vi+1)
		}
	}

	// Layout: time, lanes, Lamport clock, description.
	timeW := max(len(fmtSeconds(in.t1-in.t0)), len("time"))
	lcW := max(len(strconv.FormatInt(in.maxLC, 10)), 2)
	laneW := 4
	if n > 0 {
		laneW = min(4, max(2, (width-timeW-lcW-3-30)/n))
	}
	descW := max(10, width-timeW-1-n*laneW-1-lcW-1)

	const (
		absent = iota
		idle
		inCS
		blocked
		gone
	)
	state := make([]int, n)
	prints := make([]int, n)
	glyph := func(s int) cell {
		switch s {
		case idle:
			return cell{gIdle, pDim}
		case inCS:
			return cell{gCS, pCS}
		case blocked:
			return cell{gBlocked, pDim}
		}
		return cell{' ', pNone}
	}
	bw := bufio.NewWriter(w)
	pt := newPainter(opts.Color)
	// Rows are drawn as they are made; with --last only the last ones are
	// kept, and drawn at the end, so the memory is that of the rows shown.
	printHeader := func(total, skipped int) {
		head := fmt.Sprintf("%s: %s", orDefault(in.meta.Scenario, "trace"), in.summary)
		if opts.Last > 0 && total > opts.Last {
			head += fmt.Sprintf("; the last %d rows", opts.Last)
		}
		fmt.Fprintln(bw, pt.paint(pBold, "", clip(head, width)))

		// Column header: lane names at their lane's column.
		hdr := []rune(fmt.Sprintf("%*s ", timeW, "time"))
		names := make([]rune, n*laneW)
		for k := range names {
			names[k] = ' '
		}
		for q, ln := range in.lanes {
			id := []rune(ln.ID)
			if len(id) > laneW-1 && laneW > 1 {
				id = id[:laneW-1]
			}
			copy(names[q*laneW:], id)
		}
		hdr = append(hdr, names...)
		hdr = append(hdr, []rune(fmt.Sprintf(" %*s event", lcW, "lc"))...)
		fmt.Fprintln(bw, pt.paint(pBold, "", clip(string(hdr), width)))
		if skipped > 0 {
			fmt.Fprintln(bw, pt.paint(pDim, "", clip(fmt.Sprintf("%*s (%d earlier rows not shown)", timeW, "…", skipped), width)))
		}

	}
	render := func(r tlRow) string {
		var sb strings.Builder
		sb.WriteString(pt.paint(pDim, "", fmt.Sprintf("%*s ", timeW, fmtSeconds(r.t))))
		// Runs of cells with the same paint become one colored string.
		for k := 0; k < len(r.cells); {
			j := k
			var run []rune
			for j < len(r.cells) && (r.cells[j].p == r.cells[k].p || r.cells[j].r == ' ') {
				run = append(run, r.cells[j].r)
				j++
			}
			sb.WriteString(pt.paint(r.cells[k].p, r.typ, string(run)))
			k = j
		}
		fmt.Fprintf(&sb, " %*d ", lcW, r.lc)
		desc := r.desc
		if r.mark != "" {
			desc = r.mark + " " + desc
		}
		sb.WriteString(pt.paint(r.dp, r.typ, clip(desc, descW)))
		return strings.TrimRight(sb.String(), " ")

	}
	total := 0
	var ring []tlRow // with Last: the last rows, drawn at the end
	if opts.Last == 0 {
		printHeader(0, 0)
	}
	emit := func(r tlRow) {
		total++
		switch {
		case opts.Last == 0:
			fmt.Fprintln(bw, render(r))
		case len(ring) < opts.Last:
			ring = append(ring, r)
		default:
			ring[(total-1)%opts.Last] = r
		}
	}
	err := walk(func(ep *trace.Event) error { // in order of t
		e := *ep
		l := index[e.Node]
		if state[l] == absent {
			state[l] = idle
		}
		if e.Ev == trace.Print && state[l] == inCS {
			prints[l]++
			return nil
		}
		row := tlRow{t: e.T - in.t0, lc: e.LC, mark: marks[e.Line]}
		// The lanes as they are before this event, then the event drawn on them.
		row.cells = make([]cell, n*laneW)
		for k := range row.cells {
			row.cells[k] = cell{' ', pNone}
		}
		for q := range n {
			row.cells[q*laneW] = glyph(state[q])
		}
		wire := func(from, to int, head rune) {
			if from < 0 || to < 0 || from == to {
				row.cells[l*laneW] = cell{head, pType}
				return
			}
			a, b := from*laneW, to*laneW
			step := 1
			if b < a {
				step = -1
			}
			for k := a + step; k != b; k += step {
				row.cells[k] = cell{gWire, pType}
			}
			row.cells[b] = cell{head, pType}
		}
		set := func(r rune, p paint) { row.cells[l*laneW] = cell{r, p} }
		row.dp = pNone
		switch e.Ev {
		case trace.Send:
			row.typ = e.Type
			row.dp = pType
			to := laneIndex(e.To)
			head := gFlightR
			if to >= 0 && to < l {
				head = gFlightL
			}
			wire(l, to, head)
			set(gSend, pType)
			row.desc = fmt.Sprintf("%s → %s %s ts=%d%s%s", e.Node, e.To, e.Type, e.TS, seqText(e.Seq), payloadText(e.Payload))
		case trace.Recv, trace.Drop:
			row.typ = e.Type
			row.dp = pType
			from := laneIndex(e.From)
			head := gRecvR
			if from > l {
				head = gRecvL
			}
			verb := "←"
			if e.Ev == trace.Drop {
				head = gDrop
				row.dp = pBad
				verb = "dropped, from"
			}
			wire(from, l, head)
			if from >= 0 && from != l {
				row.cells[from*laneW] = glyph(state[from])
			}
			row.desc = fmt.Sprintf("%s %s %s %s ts=%d%s", e.Node, verb, e.From, e.Type, e.TS, seqText(e.Seq))
		case trace.CSEnter:
			state[l] = inCS
			prints[l] = 0
			set(gEnter, pCS)
			row.dp = pCS
			row.desc = fmt.Sprintf("%s enters the CS%s", e.Node, roundText(e.Round))
		case trace.CSExit:
			state[l] = idle
			set(gLeave, pCS)
			row.dp = pCS
			row.desc = fmt.Sprintf("%s leaves the CS%s, %d line%s printed", e.Node, roundText(e.Round), prints[l], plural(prints[l]))
		case trace.Block:
			state[l] = blocked
			set(gWait, pDim)
			row.desc = fmt.Sprintf("%s waits for %s", e.Node, trace.WaitOf(&e).What())
		case trace.Unblock:
			if state[l] == blocked {
				state[l] = idle
			}
			set(gResume, pDim)
			row.desc = e.Node + " runs again"
		case trace.Start:
			set(gStart, pBold)
			row.desc = e.Node + " starts"
			if e.PID != 0 {
				row.desc += fmt.Sprintf(" (pid %d)", e.PID)
			}
		case trace.Exit:
			state[l] = gone
			set(gExit, pBold)
			row.desc = e.Node + " exits"
			if e.Text != "" {
				row.desc += ": " + e.Text
			}
		case trace.Print:
			set(gLog, pNone)
			row.desc = fmt.Sprintf("%s prints %q", e.Node, e.Text)
		case trace.Log:
			set(gLog, pNone)
			row.desc = e.Node + " log: " + e.Text
		case trace.Error:
			set(gError, pBad)
			row.dp = pBad
			row.desc = e.Node + " error: " + e.Text
		case trace.Tick:
			set(gTick, pNone)
			row.desc = e.Node + " tick"
		case "finish":
			set(gTick, pNone)
			row.desc = e.Node + " has finished its rounds"
		default:
			set(gTick, pNone)
			row.desc = strings.TrimSpace(e.Node + " " + e.Ev + " " + eventText(e))
		}
		if row.mark != "" {
			row.dp = pBad
		}
		emit(row)
		return nil
	})
	if err != nil {
		return err
	}
	if opts.Last > 0 {
		skipped := max(0, total-opts.Last)
		printHeader(total, skipped)
		start := 0
		if total > opts.Last {
			start = total % opts.Last
		}
		for k := range ring {
			fmt.Fprintln(bw, render(ring[(start+k)%len(ring)]))
		}
	}
	fmt.Fprintln(bw, pt.paint(pDim, "", clip(timelineLegend, width)))
	// How the trace ends, in the liveness check's words (trace.End is the
	// one fold both use).
	// Footers wrap rather than clip: they are the story.
	if st := stall(); st != nil {
		for _, l := range wrap("at the end, stall: "+st.String(), width) {
			fmt.Fprintln(bw, pt.paint(pBad, "", l))
		}
	}
	for vi, v := range opts.Violations {
		for _, l := range wrap(fmt.Sprintf("!%d %s", vi+1, oneLine(v.Text)), width) {
			fmt.Fprintln(bw, pt.paint(pBad, "", l))
		}
	}
	return bw.Flush()
}

// fmtSeconds writes ns as seconds with microseconds.
func fmtSeconds(ns int64) string {
	return strconv.FormatFloat(float64(ns)/1e9, 'f', 6, 64)
}

func seqText(seq int64) string {
	if seq == 0 {
		return ""
	}
	return " #" + strconv.FormatInt(seq, 10)
}

func roundText(r int) string {
	if r == 0 {
		return ""
	}
	return " (round " + strconv.Itoa(r) + ")"
}

func payloadText(p []byte) string {
	if len(p) == 0 || string(p) == "{}" {
		return ""
	}
	return " " + oneLine(string(p))
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// clip cuts s to at most w runes, ending with … when cut.
// wrap breaks s into lines of at most w columns at spaces, the lines
// after the first indented.
func wrap(s string, w int) []string {
	const indent = "   "
	var out []string
	line := []rune(s)
	for len(line) > w {
		cut := -1
		for i := w; i > len(indent); i-- {
			if line[i] == ' ' {
				cut = i
				break
			}
		}
		if cut < 0 {
			break // one long word: leave it whole
		}
		out = append(out, string(line[:cut]))
		line = []rune(indent + strings.TrimLeft(string(line[cut:]), " "))
	}
	return append(out, string(line))
}

func clip(s string, w int) string {
	if utf8.RuneCountInString(s) <= w {
		return s
	}
	r := []rune(s)
	if w < 1 {
		return ""
	}
	return string(r[:w-1]) + "…"
}

// painter colors text by role, or not at all.
type painter struct {
	on        bool
	roles     map[paint]*color.Color
	types     map[string]*color.Color
	typeColor func(typ string) *color.Color
}

var (
	ansiSeedTypes = map[string]color.Attribute{
		"REQUEST": color.FgBlue, "REPLY": color.FgGreen, "RELEASE": color.FgYellow,
		"TOKEN": color.FgMagenta, "CS_GRANT": color.FgCyan, "DONE": color.FgHiBlack, "HELLO": color.FgWhite,
	}
	ansiExtra = []color.Attribute{color.FgHiBlue, color.FgHiYellow, color.FgHiMagenta, color.FgHiCyan}
)

func newPainter(on bool) *painter {
	p := &painter{on: on, types: map[string]*color.Color{}}
	if !on {
		return p
	}
	mk := func(a ...color.Attribute) *color.Color {
		c := color.New(a...)
		c.EnableColor() // the caller has decided; ignore color.NoColor
		return c
	}
	p.roles = map[paint]*color.Color{
		pDim:  mk(color.Faint),
		pBold: mk(color.Bold),
		pCS:   mk(color.FgHiGreen, color.Bold),
		pBad:  mk(color.FgRed, color.Bold),
	}
	for typ, a := range ansiSeedTypes {
		p.types[typ] = mk(a)
	}
	p.typeColor = func(typ string) *color.Color {
		h := fnv.New32a()
		h.Write([]byte(typ))
		return mk(ansiExtra[h.Sum32()%uint32(len(ansiExtra))])
	}
	return p
}

func (p *painter) paint(role paint, typ, s string) string {
	if !p.on || role == pNone || strings.TrimSpace(s) == "" {
		return s
	}
	if role == pType {
		c, ok := p.types[typ]
		if !ok {
			c = p.typeColor(typ)
			p.types[typ] = c
		}
		return c.Sprint(s)
	}
	return p.roles[role].Sprint(s)
}
