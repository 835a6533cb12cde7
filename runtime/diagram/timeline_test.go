package diagram

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

func timeline(t *testing.T, opts TimelineOptions) string {
	t.Helper()
	var buf bytes.Buffer
	if err := Timeline(&buf, smallTrace(t), opts); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func checkWidth(t *testing.T, out string, width int) {
	t.Helper()
	for i, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if n := utf8.RuneCountInString(ansi.ReplaceAllString(line, "")); n > width {
			t.Errorf("line %d is %d columns wide, more than %d: %q", i+1, n, width, line)
		}
	}
}

func TestTimelineSmall(t *testing.T) {
	out := timeline(t, TimelineOptions{Violations: []Violation{smallViolation}})
	golden(t, "small.timeline.golden", []byte(out))
	checkWidth(t, out, 100)
	if strings.Contains(out, "\x1b[") {
		t.Error("colors without Color")
	}
	for _, want := range []string{
		"    time A   A1  A2  B   B1   lc event",       // heavyweights above their lightweights
		"│   ●───▷   │   ┆     3 A1 → A2 REQUEST ts=3", // a send, on its way
		"│   ◀───│   │   ┆     6 A1 ← A2 REPLY ts=5",   // received, from the right
		"│   ┃   ┳   │   ┆     6 !1 A2 enters the CS",  // A1 inside while A2 enters: the violation
		"leaves the CS (round 1), 2 lines printed",     // prints folded into the CS
		"×───────────│   │    12 A dropped, from B TOKEN",
		"!1 mutual exclusion: A1 (round 1) and A2",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("timeline lacks %q", want)
		}
	}
}

func TestTimelineColor(t *testing.T) {
	plain := timeline(t, TimelineOptions{Violations: []Violation{smallViolation}})
	colored := timeline(t, TimelineOptions{Color: true, Violations: []Violation{smallViolation}})
	if !strings.Contains(colored, "\x1b[") {
		t.Fatal("no colors with Color")
	}
	if got := ansi.ReplaceAllString(colored, ""); got != plain {
		t.Errorf("colored output differs from the plain one beyond its escapes:\n%s", got)
	}
	checkWidth(t, colored, 100)
}

func TestTimelineLast(t *testing.T) {
	out := timeline(t, TimelineOptions{Last: 5})
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	// title, column header, "earlier rows", 5 rows, legend
	if len(lines) != 9 {
		t.Fatalf("%d lines:\n%s", len(lines), out)
	}
	if !strings.Contains(lines[0], "the last 5 rows") || !strings.Contains(lines[2], "(45 earlier rows not shown)") {
		t.Errorf("header:\n%s\n%s", lines[0], lines[2])
	}
	if !strings.Contains(lines[7], "B1 exits: done") {
		t.Errorf("last row %q", lines[7])
	}
}

func TestTimelineNarrowAndWide(t *testing.T) {
	for _, width := range []int{60, 100, 140} {
		checkWidth(t, timeline(t, TimelineOptions{Width: width}), width)
	}
	// Many processes still fit: lanes get narrower.
	out := func() string {
		var buf bytes.Buffer
		if err := Timeline(&buf, genTrace(300, 5), TimelineOptions{}); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}()
	checkWidth(t, out, 100)
}
