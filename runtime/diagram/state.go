package diagram

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"html/template"
	"sort"
	"strconv"
)

// The step panel: a slider that moves through the run event by event,
// and, for a trace that recorded them (--state, docs/trace.md), every
// node's algorithm state at the selected event with what it changed
// highlighted. The page shows it when the trace has states or when
// Options.Mark marks a step (the debug mode's diagram).

var (
	//go:embed assets/state.js
	stateJS string
	//go:embed assets/state.css
	stateCSS string
)

// stepPanel is what the page needs for the panel; zero when it has none.
type stepPanel struct {
	Data template.JS
	JS   template.JS
	CSS  template.CSS
}

// stepPanel returns the panel of m with the events of mark (trace lines)
// marked, or the zero panel when the trace has no state and nothing is
// marked.
func (m *model) stepPanel(mark []int) stepPanel {
	hasState := false
	for _, e := range m.events {
		if e.State != nil {
			hasState = true
			break
		}
	}
	if !hasState && len(mark) == 0 {
		return stepPanel{}
	}
	return stepPanel{Data: template.JS(m.stateJSON(mark)), JS: template.JS(stateJS), CSS: template.CSS(stateCSS)}
}

// stateJSON is the panel's data:
//
//	strs  the field names and values
//	st    [event, key, value, key, value, ...] for each event with a state
//	mark  the events of the marked step
//
// Event numbers are the model's (the diagram's data order).
func (m *model) stateJSON(mark []int) string {
	strs := map[string]int{}
	var strList []string
	intern := func(s string) int {
		i, ok := strs[s]
		if !ok {
			i = len(strList)
			strs[s] = i
			strList = append(strList, s)
		}
		return i
	}
	var b bytes.Buffer
	b.WriteString(`{"st":[`)
	first := true
	for i, e := range m.events {
		if e.State == nil {
			continue
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		b.WriteByte('[')
		b.WriteString(strconv.Itoa(i))
		keys := make([]string, 0, len(e.State))
		for k := range e.State {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			b.WriteByte(',')
			b.WriteString(strconv.Itoa(intern(k)))
			b.WriteByte(',')
			b.WriteString(strconv.Itoa(intern(e.State[k])))
		}
		b.WriteByte(']')
	}
	byLine := make(map[int]int, len(m.events))
	for i, e := range m.events {
		byLine[e.Line] = i
	}
	var marked []int
	for _, l := range mark {
		if i, ok := byLine[l]; ok {
			marked = append(marked, i)
		}
	}
	sort.Ints(marked)
	b.WriteString(`],"mark":`)
	writeInts(&b, marked)
	b.WriteString(`,"strs":`)
	sj, _ := json.Marshal(strList) // escapes <, > and &: safe inside <script>
	if strList == nil {
		sj = []byte("[]")
	}
	b.Write(sj)
	b.WriteByte('}')
	return b.String()
}
