package diagram

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"html/template"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"

	"mutexlab/runtime/trace"
)

// Options tunes HTML.
type Options struct {
	// Title heads the page; empty means "mutexlab: SCENARIO".
	Title string
	// Violations are drawn in red with their explanation.
	Violations []Violation
	// Mark lists the trace lines (Event.Line) of the events of one step
	// to mark, such as the debug mode's current step (state.go).
	Mark []int
}

// Geometry shared by the Go template (the static frame) and the script
// (everything placed in time).
const (
	geomLeft  = 84 // width of the lane-name column
	geomTop   = 34 // height of the time axis
	geomLaneH = 44 // height of one lane, at most
)

// laneHeight is the height of a lane for n lanes: 44 pixels up to nine,
// then less, down to 32, so that twelve lanes, the failure panel and the
// header still fit a 1366×768 screen.
func laneHeight(n int) int { return min(geomLaneH, max(32, 430/max(n, 1))) }

var (
	//go:embed assets/diagram.html
	pageHTML string
	//go:embed assets/diagram.css
	pageCSS string
	//go:embed assets/diagram.js
	pageJS string

	pageTmpl = template.Must(template.New("diagram").Funcs(template.FuncMap{
		"laneY":   func(i, h int) int { return geomTop + i*h },
		"laneMid": func(i, h int) int { return geomTop + i*h + h/2 },
		"inc":     func(i int) int { return i + 1 },
	}).Parse(pageHTML))
)

// HTML writes t as one self-contained HTML page: an inline SVG that a
// small script draws from the events embedded as compact JSON, so the
// file grows linearly with the trace and only the visible time window is
// drawn. The page loads nothing from the network (its Content Security
// Policy forbids it).
func HTML(w io.Writer, t *trace.Trace, opts Options) error {
	m := newModel(t)
	title := opts.Title
	if title == "" {
		title = "mutexlab: " + orDefault(t.Meta.Scenario, "trace")
	}
	viols := m.resolve(opts.Violations)
	types := m.messageTypes()
	badLane := make([]bool, len(m.lanes))
	for _, v := range viols {
		for _, l := range v.Lanes {
			badLane[l] = true
		}
	}
	type laneView struct {
		lane
		Index int
		Bad   bool
		Shade bool // alternate groups are shaded
	}
	var lanes []laneView
	shade, group := false, ""
	for i, l := range m.lanes {
		if i == 0 || l.Group != group {
			shade = i > 0 && !shade
			group = l.Group
		}
		lanes = append(lanes, laneView{lane: l, Index: i, Bad: badLane[i], Shade: shade})
	}
	roots, follows := 0, 0
	for _, v := range viols {
		if v.Follows < 0 {
			roots++
		} else {
			follows++
		}
	}
	stall := m.stall()
	data := struct {
		Title       string
		Summary     string
		Lanes       []laneView
		Types       []msgType
		Violations  []violation
		RootCount   int
		FollowCount int
		Stall       bool
		Notes       []string
		Height      int
		Left        int
		LaneH       int
		CSS         template.CSS
		JS          template.JS
		Data        template.JS
		Steps       stepPanel
	}{
		Title:       title,
		Summary:     m.summary(),
		Lanes:       lanes,
		Types:       types,
		Violations:  viols,
		RootCount:   roots,
		FollowCount: follows,
		Stall:       stall != nil,
		Notes:       m.notes,
		Height:      geomTop + len(m.lanes)*laneHeight(len(m.lanes)) + 8,
		Left:        geomLeft,
		LaneH:       laneHeight(len(m.lanes)),
		CSS:         template.CSS(pageCSS),
		JS:          template.JS(pageJS),
		Data:        template.JS(m.dataJSON(title, types, viols, stall)),
		Steps:       m.stepPanel(opts.Mark),
	}
	var buf bytes.Buffer
	if err := pageTmpl.Execute(&buf, data); err != nil {
		return fmt.Errorf("diagram: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// MaxEvents is the most events a space-time diagram draws: one of this
// size takes about 300 MB to build and is a 17 MB page. A longer trace is
// refused (`mutexlab diagram`, the REPL's diagram) or drawn as a page
// that says so (TooLong: `run --html`); the timeline shows any stretch of
// any trace (docs/trace.md, Reading).
const MaxEvents = 200_000

// TooLong says why a trace of so many events is not drawn ("2,097,979
// events, more than the 200,000 a diagram draws"), or "" when it is.
func TooLong(events int) string {
	if events <= MaxEvents {
		return ""
	}
	return Count(events) + " events, more than the " + Count(MaxEvents) + " a diagram draws"
}

// TooLongPage writes, in place of a diagram, a page that says why there
// is none and what to look at instead.
func TooLongPage(w io.Writer, title string, events int, instead string) error {
	_, err := fmt.Fprintf(w, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>%s</title></head>\n<body><p>%s: %s.</p>\n<p>%s</p></body></html>\n",
		template.HTMLEscapeString(title), template.HTMLEscapeString(title), template.HTMLEscapeString(TooLong(events)), template.HTMLEscapeString(capitalize(instead)))
	return err
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// Count writes n with its thousands grouped: "2,097,979".
func Count(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (m *model) summary() string {
	received, dropped := 0, 0
	for _, msg := range m.msgs {
		if msg.Recv >= 0 {
			received++
		}
		if msg.Drop >= 0 {
			dropped++
		}
	}
	return summaryText(len(m.lanes), len(m.events), received, dropped, len(m.bars))
}

// summaryText is a trace in one line: "8 processes · 520 events · 96
// messages · 18 critical sections".
func summaryText(lanes, events, received, dropped, bars int) string {
	s := fmt.Sprintf("%d processes · %d events · %d messages", lanes, events, received)
	if dropped > 0 {
		s += fmt.Sprintf(" (+%d dropped)", dropped)
	}
	return s + fmt.Sprintf(" · %d critical sections", bars)
}

// msgType is a message type and its color.
type msgType struct {
	Name  string
	Color string
}

// typeColors are the seed's types; others get a color from extraColors by
// hash, so a type keeps its color from run to run. Red is kept for
// violations.
var (
	seedTypes   = []string{"REQUEST", "REPLY", "RELEASE", "TOKEN", "CS_GRANT", "DONE", "HELLO"}
	typeColors  = []string{"#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#17becf", "#8c564b", "#7f7f7f"}
	extraColors = []string{"#e377c2", "#bcbd22", "#393b79", "#b35806", "#a6006a", "#006d6d", "#5f6b7a", "#c49c00"}
)

func colorOf(typ string) string {
	if i := slices.Index(seedTypes, typ); i >= 0 {
		return typeColors[i]
	}
	h := fnv.New32a()
	h.Write([]byte(typ))
	return extraColors[h.Sum32()%uint32(len(extraColors))]
}

// messageTypes lists the types of the trace's messages: the seed's in
// their usual order, then the others sorted.
func (m *model) messageTypes() []msgType {
	seen := map[string]bool{}
	for _, msg := range m.msgs {
		seen[m.events[msg.any()].Type] = true
	}
	var names []string
	for _, s := range seedTypes {
		if seen[s] {
			names = append(names, s)
			delete(seen, s)
		}
	}
	var rest []string
	for s := range seen {
		rest = append(rest, s)
	}
	sort.Strings(rest)
	var out []msgType
	for _, s := range append(names, rest...) {
		out = append(out, msgType{Name: s, Color: colorOf(s)})
	}
	return out
}

// ends returns the lanes of the message's sender and receiver, -1 if
// unknown.
func (m *model) ends(msg message) (from, to int) {
	lookup := func(id string) int {
		if l, ok := m.index[id]; ok {
			return l
		}
		return -1
	}
	if msg.Send >= 0 {
		e := m.events[msg.Send]
		return m.laneOf[msg.Send], lookup(e.To)
	}
	e := m.events[msg.any()]
	id := e.To
	if id == "" {
		id = e.Node
	}
	return lookup(e.From), lookup(id)
}

// any returns one event of the message.
func (msg message) any() int {
	switch {
	case msg.Send >= 0:
		return msg.Send
	case msg.Recv >= 0:
		return msg.Recv
	}
	return msg.Drop
}

// knownKinds fixes the kind numbers of the embedded data; other kinds are
// appended in order of appearance.
var knownKinds = []string{trace.Start, trace.Exit, trace.Send, trace.Recv, trace.Drop,
	trace.CSEnter, trace.Print, trace.CSExit, trace.Block, trace.Unblock, trace.Log,
	trace.Error, trace.Tick}

// dataJSON is the compact description the script draws from. Numbers go in
// flat arrays with a fixed stride and strings in a table, so an event costs
// a few dozen bytes:
//
//	lanes  [id, heavy 0/1, group]...
//	ev     lane, kind, t-t0, lc, line, str  (stride 6; str -1 for none)
//	vc     one entry per lane per event     (stride len(lanes))
//	msgs   send, recv, drop, type, ts, seq, from lane, to lane
//	       (stride 8; -1 for none)
//	pay    {"msg index": payload} for non-empty payloads
//	bars   lane, enter, exit, round         (stride 4)
//	viol   {text, follows (root index, -1), num, ev, lanes}
//	stall  {text, cycle, edges: [from lane, to lane, what, block event, on cycle]}
//	       when the trace ends stalled
//
// json.Marshal escapes <, > and &, so the result is safe inside <script>.
func (m *model) dataJSON(title string, types []msgType, viols []violation, stall *stallView) string {
	var b bytes.Buffer
	str := func(s string) {
		q, _ := json.Marshal(s)
		b.Write(q)
	}
	num := func(n int64) { b.WriteString(strconv.FormatInt(n, 10)) }
	strs := map[string]int{}
	var strList []string
	intern := func(s string) int64 {
		if s == "" {
			return -1
		}
		i, ok := strs[s]
		if !ok {
			i = len(strList)
			strs[s] = i
			strList = append(strList, s)
		}
		return int64(i)
	}
	kinds := slices.Clone(knownKinds)
	kindOf := map[string]int{}
	for i, k := range kinds {
		kindOf[k] = i
	}
	typeOf := map[string]int{}
	for i, t := range types {
		typeOf[t.Name] = i
	}

	b.WriteString(`{"title":`)
	str(title)
	b.WriteString(`,"scenario":`)
	str(m.meta.Scenario)
	fmt.Fprintf(&b, `,"geom":{"left":%d,"top":%d,"laneH":%d}`, geomLeft, geomTop, laneHeight(len(m.lanes)))
	b.WriteString(`,"t0":`)
	num(m.t0)
	b.WriteString(`,"lanes":[`)
	for i, l := range m.lanes {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('[')
		str(l.ID)
		if l.Heavy {
			b.WriteString(",1,")
		} else {
			b.WriteString(",0,")
		}
		str(l.Group)
		b.WriteByte(']')
	}
	b.WriteString(`],"types":[`)
	for i, t := range types {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('[')
		str(t.Name)
		b.WriteByte(',')
		str(t.Color)
		b.WriteByte(']')
	}
	b.WriteString(`],"ev":[`)
	for i, e := range m.events {
		k, ok := kindOf[e.Ev]
		if !ok {
			k = len(kinds)
			kindOf[e.Ev] = k
			kinds = append(kinds, e.Ev)
		}
		if i > 0 {
			b.WriteByte(',')
		}
		num(int64(m.laneOf[i]))
		b.WriteByte(',')
		num(int64(k))
		b.WriteByte(',')
		num(e.T - m.t0)
		b.WriteByte(',')
		num(e.LC)
		b.WriteByte(',')
		num(int64(e.Line))
		b.WriteByte(',')
		num(intern(eventText(e)))
	}
	b.WriteString(`],"vc":[`)
	for i, v := range m.vc {
		if i > 0 {
			b.WriteByte(',')
		}
		num(int64(v))
	}
	b.WriteString(`],"msgs":[`)
	pay := map[int]json.RawMessage{}
	for i, msg := range m.msgs {
		e := m.events[msg.any()]
		if i > 0 {
			b.WriteByte(',')
		}
		from, to := m.ends(msg)
		for _, n := range []int64{int64(msg.Send), int64(msg.Recv), int64(msg.Drop), int64(typeOf[e.Type]), e.TS, e.Seq, int64(from), int64(to)} {
			num(n)
			b.WriteByte(',')
		}
		b.Truncate(b.Len() - 1)
		if msg.Send >= 0 {
			if p := m.events[msg.Send].Payload; len(p) > 0 && !bytes.Equal(p, []byte("{}")) {
				pay[i] = p
			}
		}
	}
	b.WriteString(`],"pay":`)
	pj, err := json.Marshal(pay)
	if err != nil { // a payload that is not JSON: leave them all out
		pj = []byte("{}")
	}
	b.Write(pj)
	b.WriteString(`,"bars":[`)
	for i, bar := range m.bars {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%d,%d,%d,%d", bar.Lane, bar.Enter, bar.Exit, bar.Round)
	}
	b.WriteString(`],"viol":[`)
	for i, v := range viols {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"text":`)
		str(v.Text)
		fmt.Fprintf(&b, `,"follows":%d,"num":%d`, v.Follows, v.Num)
		b.WriteString(`,"ev":`)
		writeInts(&b, v.Events)
		b.WriteString(`,"lanes":`)
		writeInts(&b, v.Lanes)
		b.WriteByte('}')
	}
	b.WriteString(`]`)
	if stall != nil {
		b.WriteString(`,"stall":{"text":`)
		str(stall.Text)
		fmt.Fprintf(&b, `,"cycle":%t,"edges":[`, stall.Cycle)
		for i, e := range stall.Edges {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "[%d,%d,", e.From, e.To)
			str(e.What)
			fmt.Fprintf(&b, ",%d,%t]", e.Block, e.OnCycle)
		}
		b.WriteString(`]}`)
	}
	b.WriteString(`,"kinds":`)
	kj, _ := json.Marshal(kinds)
	b.Write(kj)
	b.WriteString(`,"strs":`)
	sj, _ := json.Marshal(strList)
	if strList == nil {
		sj = []byte("[]")
	}
	b.Write(sj)
	b.WriteString("}")
	return b.String()
}

func writeInts(b *bytes.Buffer, xs []int) {
	b.WriteByte('[')
	for i, x := range xs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(x))
	}
	b.WriteByte(']')
}

// eventText is the free text of an event: what it printed, logged or waits
// on, why it exited.
func eventText(e trace.Event) string {
	switch {
	case e.Text != "":
		return e.Text
	case e.Ev == trace.Block:
		return trace.WaitOf(&e).On()
	case e.PID != 0:
		return "pid " + strconv.Itoa(e.PID)
	}
	return ""
}
