package diagram

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

// pageData is the JSON embedded in the page (see dataJSON).
type pageData struct {
	Title string            `json:"title"`
	Lanes [][]any           `json:"lanes"`
	Types [][2]string       `json:"types"`
	Ev    []int64           `json:"ev"`
	VC    []int64           `json:"vc"`
	Msgs  []int64           `json:"msgs"`
	Pay   map[string]any    `json:"pay"`
	Bars  []int64           `json:"bars"`
	Viol  []json.RawMessage `json:"viol"`
	Kinds []string          `json:"kinds"`
	Strs  []string          `json:"strs"`
}

func embedded(t *testing.T, page string) pageData {
	t.Helper()
	const open = `<script type="application/json" id="data">`
	i := strings.Index(page, open)
	j := strings.Index(page[i:], "</script>")
	if i < 0 || j < 0 {
		t.Fatal("no data script in the page")
	}
	var d pageData
	if err := json.Unmarshal([]byte(page[i+len(open):i+j]), &d); err != nil {
		t.Fatalf("embedded data: %v", err)
	}
	return d
}

func count(s, sub string) int { return strings.Count(s, sub) }

// TestHTMLSmall checks the page of testdata/small.jsonl against its golden
// file and counts its parts: the static SVG frame (lanes, arrowheads,
// legend, violation list) and the data the script draws arrows, bars and
// labels from.
func TestHTMLSmall(t *testing.T) {
	var buf bytes.Buffer
	if err := HTML(&buf, smallTrace(t), Options{Violations: []Violation{smallViolation}}); err != nil {
		t.Fatal(err)
	}
	golden(t, "small.html.golden", buf.Bytes())
	page := buf.String()

	for _, want := range []string{
		"<!DOCTYPE html>",
		`<meta http-equiv="Content-Security-Policy" content="default-src 'none';`,
		"<title>mutexlab: small</title>",
		"5 processes · 56 events · 13 messages (&#43;1 dropped) · 3 critical sections",
		`id="mode-wall"`, `id="mode-lamport"`,
		`<svg id="svg"`,
		"1 root cause found by the checker",
		"A2&#39;s cs_enter does not happen after A1&#39;s cs_exit",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	// Lanes: one per process, heavyweights above their lightweights, the
	// violation's processes marked.
	lanes := regexp.MustCompile(`<g class="lane( heavy)?( bad)?" data-lane="(\d+)" data-node="(\w+)">`).FindAllStringSubmatch(page, -1)
	var order []string
	for _, l := range lanes {
		order = append(order, l[4]+l[1]+l[2])
	}
	if got, want := strings.Join(order, ","), "A heavy,A1 bad,A2 bad,B heavy,B1"; got != want {
		t.Errorf("lanes %s, want %s", got, want)
	}
	if n := count(page, `<text class="name"`); n != 5 {
		t.Errorf("%d lane names, want 5", n)
	}
	// One arrowhead marker and one legend entry per message type, and the
	// waits' arrowhead.
	types := []string{"REQUEST", "REPLY", "RELEASE", "TOKEN", "CS_GRANT", "DONE", "STATUS"}
	if n := count(page, `<marker id="ah`); n != len(types)+1 {
		t.Errorf("%d arrowheads, want %d", n, len(types)+1)
	}
	for _, typ := range types {
		if !strings.Contains(page, `</svg>`+typ+`</span>`) {
			t.Errorf("legend lacks %s", typ)
		}
	}
	if n := count(page, `<li class="violation"`); n != 1 {
		t.Errorf("%d violations listed, want 1", n)
	}
	// No resource is loaded from anywhere.
	for _, bad := range []string{"http://", "https://", "src=", "@import", "url(http"} {
		if strings.Contains(strings.ReplaceAll(page, `xmlns="http://www.w3.org/2000/svg"`, ""), bad) {
			t.Errorf("page contains %q", bad)
		}
	}

	d := embedded(t, page)
	if len(d.Lanes) != 5 || len(d.Ev) != 56*6 || len(d.VC) != 56*5 {
		t.Errorf("data: %d lanes, %d event fields, %d clock entries", len(d.Lanes), len(d.Ev), len(d.VC))
	}
	arrows, stubs := 0, 0
	for i := 0; i < len(d.Msgs); i += 8 {
		send, recv, drop := d.Msgs[i], d.Msgs[i+1], d.Msgs[i+2]
		if send >= 0 && (recv >= 0 || drop >= 0) {
			arrows++
		} else {
			stubs++
		}
	}
	if arrows != 14 || stubs != 1 {
		t.Errorf("%d arrows and %d stubs, want 14 and 1", arrows, stubs)
	}
	if len(d.Bars) != 3*4 {
		t.Errorf("%d bar fields, want 3 bars", len(d.Bars))
	}
	if len(d.Types) != len(types) || d.Types[0][0] != "REQUEST" {
		t.Errorf("types %v", d.Types)
	}
	if len(d.Pay) != 9 { // CS_GRANT x3, DONE x3, TOKEN x2, STATUS
		t.Errorf("%d payloads: %v", len(d.Pay), d.Pay)
	}
	if len(d.Viol) != 1 {
		t.Errorf("%d violations in the data", len(d.Viol))
	}
	// Print texts are stored once.
	if n := count(page, `I&#39;m lightweight process A1`) + count(page, `I'm lightweight process A1`); n != 1 {
		t.Errorf("the print text of A1 appears %d times, want once", n)
	}
}

func TestHTMLEscapesTraceText(t *testing.T) {
	tr := smallTrace(t)
	tr.Meta.Scenario = `</title><script>alert(1)</script>`
	tr.Events[0].Text = `</script><script>alert(2)</script>`
	var buf bytes.Buffer
	if err := HTML(&buf, tr, Options{Violations: []Violation{{Text: "<b>bold</b>"}}}); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	if strings.Contains(page, "<script>alert") || strings.Contains(page, "<b>bold") {
		t.Error("trace text reached the page unescaped")
	}
	if n := count(page, "<script"); n != 2 {
		t.Errorf("%d script tags, want 2", n)
	}
}

// TestHTMLSizeIsLinear renders generated traces of growing length: the page
// must grow by a bounded number of bytes per event, so that a long run
// gives a file a browser opens.
func TestHTMLSizeIsLinear(t *testing.T) {
	size := func(n int) int {
		var buf bytes.Buffer
		if err := HTML(&buf, genTrace(n, 1), Options{}); err != nil {
			t.Fatal(err)
		}
		return buf.Len()
	}
	base := size(0)
	const perEvent = 120 // bytes; 8 processes, their vector clocks included
	s10k, s20k := size(10_000), size(20_000)
	t.Logf("empty page %d bytes; 10,000 events %d bytes (%.0f per event); 20,000 events %d bytes",
		base, s10k, float64(s10k-base)/10_000, s20k)
	if s10k > base+perEvent*10_000 {
		t.Errorf("10,000 events: %d bytes, more than %d + %d per event", s10k, base, perEvent)
	}
	if s20k > base+perEvent*20_000 {
		t.Errorf("20,000 events: %d bytes, more than %d + %d per event", s20k, base, perEvent)
	}
	// Numbers get a digit longer now and then, so a little more than twice.
	if growth := float64(s20k-base) / float64(s10k-base); growth > 2.3 {
		t.Errorf("twice the events make the page %.2f times as large", growth)
	}
}

func BenchmarkHTML10k(b *testing.B) {
	tr := genTrace(10_000, 1)
	for b.Loop() {
		var buf bytes.Buffer
		if err := HTML(&buf, tr, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
