package diagram

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"mutexlab/runtime/trace"
)

// shivizGo is ShiVizRegex in Go's syntax: (?P<name>...) for (?<name>...).
var shivizGo = regexp.MustCompile(strings.ReplaceAll(ShiVizRegex, "(?<", "(?P<"))

func TestShiVizSmall(t *testing.T) {
	var buf bytes.Buffer
	if err := ShiViz(&buf, smallTrace(t)); err != nil {
		t.Fatal(err)
	}
	golden(t, "small.shiviz.golden", buf.Bytes())
	out := buf.String()
	for _, want := range []string{
		"A1 {\"A\":2,\"A1\":5}\nline 16: send REQUEST to A2 (ts 3, #1)\n",
		"A2 {\"A\":3,\"A1\":7,\"A2\":9}\nline 25: enter the critical section (round 1)\n",
		"A {\"A\":1}\nline 2: start: pid 100\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q", want)
		}
	}
}

// TestShiVizFormat checks what ShiViz's parser and graph builder demand
// (js/model/parser.js and modelGraph.js in DistributedClocks/shiviz): the
// regex matches every event; each clock is a JSON object of known hosts;
// a host's own entry counts its events 1, 2, 3...; no entry is zero or
// beyond the other host's event count; and a clock is the merge of the
// host's previous clock with the clocks it names.
func TestShiVizFormat(t *testing.T) {
	for _, tr := range []*trace.Trace{smallTrace(t), genTrace(2000, 9)} {
		var buf bytes.Buffer
		if err := ShiViz(&buf, tr); err != nil {
			t.Fatal(err)
		}
		matches := shivizGo.FindAllStringSubmatch(buf.String(), -1)
		if len(matches) != len(tr.Events) {
			t.Fatalf("%s: the regex finds %d events, the trace has %d", tr.Meta.Scenario, len(matches), len(tr.Events))
		}
		hostIdx, clockIdx, eventIdx := shivizGo.SubexpIndex("host"), shivizGo.SubexpIndex("clock"), shivizGo.SubexpIndex("event")
		counts := map[string]int64{}
		for _, e := range tr.Events {
			counts[e.Node]++
		}
		seen := map[string]int64{}
		clocks := map[string][]map[string]int64{} // host -> its clocks in order
		for i, mt := range matches {
			host := mt[hostIdx]
			var clock map[string]int64
			if err := json.Unmarshal([]byte(mt[clockIdx]), &clock); err != nil {
				t.Fatalf("event %d: clock %q: %v", i, mt[clockIdx], err)
			}
			if host != tr.Events[i].Node || mt[eventIdx] == "" {
				t.Fatalf("event %d: host %q event %q", i, host, mt[eventIdx])
			}
			seen[host]++
			if clock[host] != seen[host] {
				t.Fatalf("event %d: %s's own entry is %d, want %d", i, host, clock[host], seen[host])
			}
			for h, v := range clock {
				if v < 1 || v > counts[h] {
					t.Fatalf("event %d: entry %s:%d out of 1..%d", i, h, v, counts[h])
				}
			}
			clocks[host] = append(clocks[host], clock)
		}
		// Each entry for another host names an event of that host whose clock
		// the entry's clock dominates (transitivity).
		for host, cs := range clocks {
			for k, c := range cs {
				for h, v := range c {
					if h == host {
						continue
					}
					other := clocks[h][v-1]
					for hh, vv := range other {
						if c[hh] < vv {
							t.Fatalf("%s's event %d has %s:%d but not %s's %s:%d", host, k+1, h, v, h, hh, vv)
						}
					}
				}
			}
		}
	}
}
