package diagram

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"

	"mutexlab/runtime/trace"
)

// The diff page (mutexlab diff -o): two runs of the same system drawn one
// above the other on one Lamport-time axis, so that what they share lines
// up, each node's first difference marked in red and what follows it in
// orange. It is static SVG (hover titles, no script), self-contained like
// the diagram.

//go:embed assets/diff.html
var diffHTML string

var diffTmpl = template.Must(template.New("diff").Parse(diffHTML))

// DiffOptions tunes DiffHTML.
type DiffOptions struct {
	// Names name the two runs (their files).
	Names [2]string
	// Verdicts are the checks' results on each run.
	Verdicts []DiffVerdict
	// Violations are each run's checker failures, drawn in red.
	Violations [2][]Violation
}

// DiffVerdict is one check's result on the two runs.
type DiffVerdict struct {
	Check   string
	Status  [2]string // "pass", "fail", "skip"
	Summary [2]string
}

// diffGeom is the page's geometry.
const (
	diffLeft  = 70
	diffTop   = 26
	diffLaneH = 34
	diffRight = 30
)

// DiffHTML writes the page comparing a and b (d is trace.Compare(a, b)).
func DiffHTML(w io.Writer, a, b *trace.Trace, d *trace.Diff, opts DiffOptions) error {
	models := [2]*model{newModel(a), newModel(b)}
	lanes := models[0].lanes
	// One scale for both: Lamport clocks, events of a lane that share a
	// clock spread over 0.7.
	var xs [2][]float64
	maxX := 1.0
	for k, m := range models {
		xs[k] = lamportX(m)
		for _, x := range xs[k] {
			maxX = max(maxX, x)
		}
	}
	px := min(max(1150/(maxX+1), 5), 22)
	width := diffLeft + int((maxX+1)*px) + diffRight
	same := map[string]int{}
	first := map[string][2]*trace.Event{}
	for _, n := range d.Nodes {
		if !n.Equal() {
			same[n.Node] = n.Same
			first[n.Node] = n.Diff
		} else {
			same[n.Node] = -1
		}
	}
	var svgs [2]template.HTML
	for k, m := range models {
		svgs[k] = template.HTML(diffSVG(m, lanes, xs[k], px, width, same, first, k, opts.Violations[k]))
	}
	type verdictRow struct {
		Check, A, B, SumA, SumB string
		Differ                  bool
	}
	var rows []verdictRow
	for _, v := range opts.Verdicts {
		rows = append(rows, verdictRow{Check: v.Check, A: strings.ToUpper(v.Status[0]), B: strings.ToUpper(v.Status[1]),
			SumA: v.Summary[0], SumB: v.Summary[1], Differ: v.Status[0] != v.Status[1]})
	}
	data := struct {
		Title    string
		Names    [2]string
		Runs     [2]string
		Findings []template.HTML
		Same     bool
		SVG      [2]template.HTML
		Verdicts []verdictRow
		Messages []trace.TypeCount
		CSA, CSB string
		CSFirst  int
		Types    []msgType
		CSS      template.CSS
	}{
		Title: "mutexlab diff: " + orDefault(a.Meta.Scenario, "trace"), Names: opts.Names, Same: d.Same(),
		Runs:     [2]string{runSummary(a), runSummary(b)},
		Findings: diffFindings(d),
		SVG:      svgs, Verdicts: rows, Messages: d.Messages, CSFirst: d.CSFirst + 1,
		CSA: csList(d.CS[0]), CSB: csList(d.CS[1]),
		Types: typesOf(models),
	}
	var buf bytes.Buffer
	if err := diffTmpl.Execute(&buf, data); err != nil {
		return fmt.Errorf("diff page: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func typesOf(models [2]*model) []msgType {
	seen := map[string]bool{}
	var out []msgType
	for _, m := range models {
		for _, t := range m.messageTypes() {
			if !seen[t.Name] {
				seen[t.Name] = true
				out = append(out, t)
			}
		}
	}
	return out
}

func runSummary(t *trace.Trace) string {
	mode := orDefault(t.Meta.Mode, "recorded")
	return fmt.Sprintf("%s run, seed %d, %d events", mode, t.Meta.Seed, len(t.Events))
}

func csList(list []trace.CSRef) string {
	parts := make([]string, len(list))
	for i, c := range list {
		parts[i] = c.String()
	}
	return strings.Join(parts, " ")
}

// diffFindings are the text's findings, as HTML.
func diffFindings(d *trace.Diff) []template.HTML {
	esc := template.HTMLEscapeString
	at := func(e *trace.Event, none string) string {
		if e == nil {
			return "<i>" + none + "</i>"
		}
		return fmt.Sprintf("<code>%s</code> (line %d)", esc(trace.Describe(e)), e.Line)
	}
	if d.Same() {
		return []template.HTML{"The same schedule: every node went through the same events (times and pids aside)."}
	}
	var out []template.HTML
	f := d.First
	out = append(out, template.HTML(fmt.Sprintf("<b>First difference</b>: %s's event %d — a %s; b %s",
		esc(f.Node), f.Same+1, at(f.Diff[0], "has no more events"), at(f.Diff[1], "has no more events"))))
	if e := d.Entry; e != nil {
		b := "<i>never enters that round</i>"
		if e.Enter[1] != nil {
			b = fmt.Sprintf("at its event %d (line %d)", e.Index[1], e.Enter[1].Line)
		}
		out = append(out, template.HTML(fmt.Sprintf("<b>First entry that differs</b>: %s enters round %d in a at its event %d (line %d); in b %s",
			esc(e.Node), e.Round, e.Index[0], e.Enter[0].Line, b)))
	}
	if dd := d.Delivery; dd != nil {
		out = append(out, template.HTML(fmt.Sprintf("<b>First delivery chosen differently</b>: %s's receive %d — a %s; b %s",
			esc(dd.Node), dd.Index, at(dd.Recv[0], "none"), at(dd.Recv[1], "none"))))
	}
	return out
}

// lamportX places each event of m at its Lamport clock, events of a lane
// sharing a clock spread over 0.7 (as the diagram's Lamport layout does).
func lamportX(m *model) []float64 {
	xs := make([]float64, len(m.events))
	perLane := make([][]int, len(m.lanes))
	for i := range m.events {
		perLane[m.laneOf[i]] = append(perLane[m.laneOf[i]], i)
	}
	for _, a := range perLane {
		for j := 0; j < len(a); {
			k := j
			for k < len(a) && m.events[a[k]].LC == m.events[a[j]].LC {
				k++
			}
			for r := j; r < k; r++ {
				off := 0.0
				if k-j > 1 {
					off = 0.7 * float64(r-j) / float64(k-j-1)
				}
				xs[a[r]] = float64(m.events[a[j]].LC) + off
			}
			j = k
		}
	}
	return xs
}

// diffSVG draws one run: lanes in the order of lanes, the events of each
// node past its first difference in orange, the first one ringed in red.
func diffSVG(m *model, lanes []lane, xs []float64, px float64, width int, same map[string]int,
	first map[string][2]*trace.Event, k int, viols []Violation) string {
	row := map[string]int{}
	for i, l := range lanes {
		row[l.ID] = i
	}
	height := diffTop + len(lanes)*diffLaneH + 6
	X := func(i int) float64 { return float64(diffLeft) + (xs[i]+0.5)*px }
	Y := func(id string) float64 { return float64(diffTop + row[id]*diffLaneH + diffLaneH/2) }
	bad := map[int]bool{}
	for _, v := range m.resolve(viols) {
		for _, i := range v.Events {
			bad[i] = true
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="run" xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" role="img" aria-label="run %c">`, width, height, 'a'+k)
	// The Lamport axis.
	step := 5
	for step*int(px) < 40 {
		step *= 2
	}
	for lc := 0; float64(diffLeft)+(float64(lc)+0.5)*px < float64(width-diffRight); lc += step {
		x := float64(diffLeft) + (float64(lc)+0.5)*px
		fmt.Fprintf(&b, `<line class="tick" x1="%.1f" y1="%d" x2="%.1f" y2="%d"/><text class="tick" x="%.1f" y="%d">%d</text>`,
			x, diffTop-4, x, height-6, x, diffTop-8, lc)
	}
	for i, l := range lanes {
		y := diffTop + i*diffLaneH + diffLaneH/2
		cls := "lane"
		if l.Heavy {
			cls += " heavy"
		}
		if same[l.ID] >= 0 {
			cls += " differs"
		}
		fmt.Fprintf(&b, `<g class="%s"><line x1="%d" y1="%d" x2="%d" y2="%d"/><text class="name" x="8" y="%d" dy="0.35em">%s</text></g>`,
			cls, diffLeft, y, width-diffRight+10, y, y, template.HTMLEscapeString(l.ID))
	}
	// Per node, its events in order: the index that starts the difference.
	pos := map[int]int{}
	count := map[string]int{}
	for i, e := range m.events {
		pos[i] = count[e.Node]
		count[e.Node]++
	}
	after := func(i int) bool {
		s := same[m.events[i].Node]
		return s >= 0 && pos[i] >= s
	}
	for _, bar := range m.bars {
		e := m.events[bar.Enter]
		x0 := X(bar.Enter)
		x1 := float64(width - diffRight)
		if bar.Exit >= 0 {
			x1 = X(bar.Exit)
		}
		cls := "bar"
		if after(bar.Enter) {
			cls += " after"
		}
		if bad[bar.Enter] {
			cls += " bad"
		}
		fmt.Fprintf(&b, `<rect class="%s" x="%.1f" y="%.1f" width="%.1f" height="10"><title>%s round %d</title></rect>`,
			cls, x0, Y(e.Node)-5, max(x1-x0, 2), template.HTMLEscapeString(e.Node), bar.Round)
	}
	for _, msg := range m.msgs {
		if msg.Send < 0 || (msg.Recv < 0 && msg.Drop < 0) {
			continue
		}
		to := msg.Recv
		if to < 0 {
			to = msg.Drop
		}
		s, r := m.events[msg.Send], m.events[to]
		cls := "msg"
		if after(msg.Send) || after(to) {
			cls += " after"
		}
		fmt.Fprintf(&b, `<line class="%s" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s"><title>%s → %s %s (ts %d, #%d)</title></line>`,
			cls, X(msg.Send), Y(s.Node), X(to), Y(r.Node), colorOf(s.Type), template.HTMLEscapeString(s.Node),
			template.HTMLEscapeString(r.Node), template.HTMLEscapeString(s.Type), s.TS, s.Seq)
	}
	for i, e := range m.events {
		cls := "ev k-" + e.Ev
		if after(i) {
			cls += " after"
		}
		if bad[i] {
			cls += " bad"
		}
		r := 3.5
		if e.Ev == trace.Print {
			r = 2
		}
		fmt.Fprintf(&b, `<circle class="%s" cx="%.1f" cy="%.1f" r="%.1f"><title>%s · %s · line %d · lc %d</title></circle>`,
			cls, X(i), Y(e.Node), r, template.HTMLEscapeString(e.Node), template.HTMLEscapeString(trace.Describe(&m.events[i])), e.Line, e.LC)
	}
	// Each node's first difference: a red ring and a red tick through its
	// lane, at the same place in both drawings when the history before it
	// is the same.
	for id, fd := range first {
		e := fd[k]
		if e == nil {
			continue
		}
		for i := range m.events {
			if &m.events[i] == e || (m.events[i].Line == e.Line && m.events[i].Node == e.Node) {
				x, y := X(i), Y(id)
				fmt.Fprintf(&b, `<line class="divline" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/><circle class="divring" cx="%.1f" cy="%.1f" r="8"><title>%s's first difference: %s (line %d)</title></circle><text class="divlabel" x="%.1f" y="%.1f">≠</text>`,
					x, y-diffLaneH/2+2, x, y+diffLaneH/2-2, x, y, template.HTMLEscapeString(id),
					template.HTMLEscapeString(trace.Describe(e)), e.Line, x+9, y-7)
				break
			}
		}
	}
	b.WriteString(`</svg>`)
	return b.String()
}
