package runview

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"mutexlab/runtime/diagram"
	"mutexlab/runtime/trace"
)

// A run too long to draw gets a page that says so and what to look at
// instead (run --html); a shorter one its diagram.
func TestWriteDiagramIndex(t *testing.T) {
	for _, n := range []int{3, diagram.MaxEvents + 1} {
		var b strings.Builder
		b.WriteString(`{"ev":"meta","scenario":"long","nodes":["A"]}` + "\n")
		for i := range n {
			fmt.Fprintf(&b, `{"ev":"tick","t":%d,"node":"A","lc":%d}`+"\n", i, i+1)
		}
		ix, err := trace.NewIndex(strings.NewReader(b.String()), int64(b.Len()))
		if err != nil {
			t.Fatal(err)
		}
		r, err := CheckIndex(ix, false)
		if err != nil {
			t.Fatal(err)
		}
		var page bytes.Buffer
		why, err := WriteDiagramIndex(&page, ix, r, "its end: mutexlab timeline t.jsonl --last 60")
		if err != nil {
			t.Fatal(err)
		}
		long := n > diagram.MaxEvents
		if long != (why == "200,001 events, more than the 200,000 a diagram draws") ||
			long != strings.Contains(page.String(), "Its end: mutexlab timeline t.jsonl --last 60") {
			t.Errorf("%d events: %q and a page of %d bytes", n, why, page.Len())
		}
		if !long && !strings.Contains(page.String(), "<svg") {
			t.Errorf("%d events: no diagram", n)
		}
	}
}
