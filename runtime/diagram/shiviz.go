package diagram

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode"

	"mutexlab/runtime/trace"
)

// ShiVizRegex is the log parsing regular expression to give ShiViz
// (https://bestchai.bitbucket.io/shiviz/) for the output of ShiViz: a host
// and its vector clock on one line, the event's description on the next.
const ShiVizRegex = `(?<host>\S*) (?<clock>{.*})\n(?<event>.*)`

// ShiViz writes t as a log that ShiViz parses with ShiVizRegex, one event
// per two lines:
//
//	A1 {"A":1,"A1":3}
//	line 7: recv CS_GRANT from A (ts 1, #1)
//
// ShiViz wants every host's own clock entry to count its events from 1 by
// ones and no zero entries, which is how the model's vector clocks are
// built; the entries follow the diagram's lane order.
func ShiViz(w io.Writer, t *trace.Trace) error {
	m := newModel(t)
	bw := bufio.NewWriter(w)
	hosts := make([][]byte, len(m.lanes))
	for q, l := range m.lanes {
		hosts[q], _ = json.Marshal(shivizHost(l.ID))
	}
	for i, e := range m.events {
		bw.WriteString(shivizHost(e.Node))
		bw.WriteString(" {")
		first := true
		for q, v := range m.clock(i) {
			if v == 0 {
				continue
			}
			if !first {
				bw.WriteByte(',')
			}
			first = false
			bw.Write(hosts[q])
			fmt.Fprintf(bw, ":%d", v)
		}
		bw.WriteString("}\n")
		bw.WriteString(oneLine(fmt.Sprintf("line %d: %s", e.Line, describeEvent(e))))
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// shivizHost makes a node id fit the regex's \S* host.
func shivizHost(id string) string {
	if id == "" {
		return "?"
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return '_'
		}
		return r
	}, id)
}

// describeEvent is a one-line description of e without its node.
func describeEvent(e trace.Event) string {
	switch e.Ev {
	case trace.Send:
		return fmt.Sprintf("send %s to %s (ts %d%s)%s", e.Type, e.To, e.TS, seqComma(e.Seq), payloadText(e.Payload))
	case trace.Recv:
		return fmt.Sprintf("recv %s from %s (ts %d%s)", e.Type, e.From, e.TS, seqComma(e.Seq))
	case trace.Drop:
		return fmt.Sprintf("drop %s from %s (ts %d%s)", e.Type, e.From, e.TS, seqComma(e.Seq))
	case trace.CSEnter:
		return "enter the critical section" + roundText(e.Round)
	case trace.CSExit:
		return "leave the critical section" + roundText(e.Round)
	case trace.Print:
		return fmt.Sprintf("print %q", e.Text)
	case trace.Block:
		return "wait: " + trace.WaitOf(&e).What()
	case trace.Unblock:
		return "run again"
	}
	s := e.Ev
	if x := eventText(e); x != "" {
		s += ": " + x
	}
	return s
}

func seqComma(seq int64) string {
	if seq == 0 {
		return ""
	}
	return fmt.Sprintf(", #%d", seq)
}
