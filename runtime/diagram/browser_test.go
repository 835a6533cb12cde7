package diagram

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"mutexlab/runtime/trace"
)

// chromium finds a Chromium or Chrome binary: $MUTEXLAB_CHROMIUM, then the
// usual names on $PATH (Debian's package installs /usr/bin/chromium).
func chromium() string {
	if p := os.Getenv("MUTEXLAB_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browserLog collects what the page must not do: console errors,
// exceptions, and requests for anything but the page itself.
type browserLog struct {
	mu       sync.Mutex
	problems []string
}

func (b *browserLog) listen(ev any) {
	var p string
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			var args []string
			for _, a := range ev.Args {
				args = append(args, string(a.Value)+a.Description)
			}
			p = fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(args, " "))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		p = fmt.Sprintf("exception at %d:%d: %s", d.LineNumber, d.ColumnNumber, d.Text)
		if d.Exception != nil {
			p += " " + d.Exception.Description
		}
	case *log.EventEntryAdded:
		if ev.Entry.Level == log.EntryLevelError {
			p = fmt.Sprintf("browser log (%s): %s %s", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL)
		}
	case *network.EventRequestWillBeSent:
		if u := ev.Request.URL; !strings.HasPrefix(u, "file://") && !strings.HasPrefix(u, "data:") {
			p = "network request: " + u
		}
	}
	if p != "" {
		b.mu.Lock()
		b.problems = append(b.problems, p)
		b.mu.Unlock()
	}
}

func (b *browserLog) check(t *testing.T, page string) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.problems {
		t.Errorf("%s: %s", page, p)
	}
	b.problems = nil
}

// domCounts is what the page drew.
type domCounts struct {
	Lanes, Names, Arrows, Dropped, Stubs, Bars, BarLabels, Events, LC, MsgLabels int
	VBands, VLabels, Dense, Conc, ConcBands                                      int
	Mode, Detail                                                                 string
}

const countJS = `(() => {
  const n = s => document.querySelectorAll(s).length;
  const root = document.documentElement;
  return {
    Lanes: n('#frame .lane'), Names: n('#frame .name'), Arrows: n('#arrows .arrow'),
    Dropped: n('#arrows .arrow.dropped'), Stubs: n('#arrows .stub'), Bars: n('#bars .bar'),
    BarLabels: n('#bars .bar-label'), Events: n('#events .ev'), LC: n('#events .lc'),
    MsgLabels: n('#arrows .mlabel'), VBands: n('#viol .vband'), VLabels: n('#viol .vlabel'),
    Dense: n('#events .dense'), Conc: n('#events .ev.conc'), ConcBands: n('#conc .conc-band'),
    Mode: root.getAttribute('data-mode'), Detail: root.getAttribute('data-detail'),
  };
})()`

// TestBrowser opens the diagrams in a headless Chromium: the small trace
// with its violation, and a generated 10,000-event run. It checks that the
// page raises no error and loads nothing, that the DOM has the lanes,
// arrows, bars and labels of the trace, that hovering an event shows its
// vector clock and highlights exactly the events concurrent with it, that
// the Lamport layout orders events by their clocks, and that the large run
// starts compact and shows single events when zoomed in. Screenshots go to
// the test's temporary folder and, with MUTEXLAB_SCREENSHOT=path.png, to
// that file: MUTEXLAB_SCREENSHOT_TRACE=trace.jsonl draws that trace there
// instead of the small one, in the Lamport layout with
// MUTEXLAB_SCREENSHOT_LAYOUT=lamport. MUTEXLAB_BROWSER_DIR=dir keeps the
// pages and all screenshots in dir.
func TestBrowser(t *testing.T) {
	bin := chromium()
	if bin == "" {
		t.Skip("no Chromium found (Debian: apt-get install chromium; or set MUTEXLAB_CHROMIUM): the real-browser test of the diagram is skipped")
	}
	if testing.Short() {
		t.Skip("-short: the real-browser test is skipped")
	}
	dir := t.TempDir()
	if keep := os.Getenv("MUTEXLAB_BROWSER_DIR"); keep != "" { // keep the pages and screenshots
		dir = keep
		if err := os.MkdirAll(filepath.Join(dir, "profile"), 0o755); err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(filepath.Join(dir, "profile"))
	}
	write := func(name string, tr *trace.Trace, opts Options) string {
		var buf bytes.Buffer
		if err := HTML(&buf, tr, opts); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return "file://" + path
	}
	small := smallTrace(t)
	smallURL := write("small.html", small, Options{Violations: []Violation{smallViolation}})
	big := genTrace(10_000, 3)
	bigURL := write("big.html", big, Options{})

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("disable-client-side-phishing-detection", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("safebrowsing-disable-auto-update", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("no-pings", true),
		// Resolve no host name at all: whatever the browser might want to
		// fetch, it cannot leave the machine.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND"),
		chromedp.UserDataDir(filepath.Join(dir, "profile")),
		chromedp.WindowSize(1280, 720),
	)
	defer cancelAlloc()
	ctx, cancelTab := chromedp.NewContext(ctx)
	defer cancelTab()
	var blog browserLog
	if err := chromedp.Listen(ctx, blog.listen); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	open := func(url string) {
		t.Helper()
		err := chromedp.Do(ctx,
			chromedp.Navigate(url),
			chromedp.Poll[chromedp.Void](`document.documentElement.getAttribute('data-ready') === '1'`, chromedp.WithPollingTimeout(10*time.Second)),
		)
		if err != nil {
			t.Fatalf("loading %s: %v", url, err)
		}
	}
	counts := func() domCounts {
		t.Helper()
		c, err := chromedp.Run(ctx, chromedp.Evaluate[domCounts](countJS))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	screenshot := func(name string) []byte {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot %s", path)
		return png
	}

	// The small trace opens on its violation; "fit" shows everything,
	// drawn one by one.
	m := newModel(small)
	open(smallURL)
	if focus, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.getAttribute('data-focus')`)); err != nil || focus != "violation" {
		t.Errorf("the small page opens on %q (%v), want its violation", focus, err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#zoom-fit"))); err != nil {
		t.Fatal(err)
	}
	c := counts()
	lcRuns := 0
	for i, e := range m.events {
		if i == 0 || prevOnLane(m, i) < 0 || m.events[prevOnLane(m, i)].LC != e.LC {
			lcRuns++
		}
	}
	// Labels that would overlap others are left out: at least half of them
	// must be there.
	if c.LC < lcRuns/2 || c.LC > lcRuns || c.MsgLabels < 15/2 || c.MsgLabels > 15 || c.BarLabels < 2 || c.BarLabels > 3 {
		t.Errorf("small page: %d Lamport clock labels (of %d), %d message labels (of 15), %d CS labels (of 3)", c.LC, lcRuns, c.MsgLabels, c.BarLabels)
	}
	c.LC, c.MsgLabels, c.BarLabels = 0, 0, 0
	want := domCounts{Lanes: 5, Names: 5, Arrows: 14, Dropped: 1, Stubs: 1, Bars: 3, Events: 56, VBands: 1, VLabels: 1, Mode: "wall", Detail: "1"}
	if c != want {
		t.Errorf("small page DOM:\n got %+v\nwant %+v", c, want)
	}
	if bad, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#bars .bar.bad, #events .ev.bad').length`)); err != nil || bad != 4 {
		t.Errorf("%d elements in red (2 bars, 2 cs_enter), %v", bad, err)
	}

	// Hover A1's REQUEST to A2 (line 16): its vector clock in the tooltip,
	// and the events concurrent with it highlighted, as many as the model's
	// clocks say.
	hovered := lineIndex(m, 16)
	conc := concurrentWith(m, hovered)
	x, y := dotCenter(t, ctx, hovered)
	if err := chromedp.Do(ctx, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x, y)); err != nil {
		t.Fatal(err)
	}
	tipText, err := chromedp.Run(ctx, chromedp.Poll[string](`!document.getElementById('tip').hidden && document.getElementById('tip').textContent`,
		chromedp.WithPollingTimeout(5*time.Second)))
	if err != nil {
		t.Fatalf("no tooltip on hover: %v", err)
	}
	for _, want := range []string{
		"A1 · send REQUEST → A2",
		`vector clock {"A":2,"A1":5,"A2":0,"B":0,"B1":0}`,
		`{"type":"REQUEST","sender":"A1","ts":3,"payload":{}}`,
		fmt.Sprintf("concurrent with %d events", len(conc)),
	} {
		if !strings.Contains(tipText, want) {
			t.Errorf("tooltip lacks %q:\n%s", want, tipText)
		}
	}
	if c := counts(); c.Conc != len(conc) || c.ConcBands == 0 {
		t.Errorf("%d events highlighted as concurrent (%d bands), want %d", c.Conc, c.ConcBands, len(conc))
	}
	shot := screenshot("diagram.png")
	if p := os.Getenv("MUTEXLAB_SCREENSHOT"); p != "" && os.Getenv("MUTEXLAB_SCREENSHOT_TRACE") == "" {
		if err := os.WriteFile(p, shot, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// The Lamport layout: the same drawing, events ordered by their clocks.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#mode-lamport")),
		chromedp.Poll[chromedp.Void](`document.documentElement.getAttribute('data-mode') === 'lamport'`, chromedp.WithPollingTimeout(5*time.Second))); err != nil {
		t.Fatalf("switching to the Lamport layout: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#zoom-fit"))); err != nil {
		t.Fatal(err)
	}
	if c := counts(); c.Arrows != want.Arrows || c.Events != want.Events || c.Bars != want.Bars {
		t.Errorf("Lamport layout DOM: %+v", c)
	}
	ordered, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
	  const D = JSON.parse(document.getElementById('data').textContent);
	  const pts = [...document.querySelectorAll('#events .ev')].map(el => [+el.getAttribute('cx'), D.ev[+el.getAttribute('data-e') * 6 + 3]]);
	  pts.sort((a, b) => a[0] - b[0]);
	  return pts.every((p, i) => i === 0 || pts[i - 1][1] <= p[1]);
	})()`))
	if err != nil || !ordered {
		t.Errorf("Lamport layout: events not ordered by their Lamport clocks (%v)", err)
	}
	screenshot("diagram-lamport.png")

	// Wheel zooms in around the cursor, a drag pans.
	view := func() string {
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('status').textContent`))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	before := view()
	if err := chromedp.Do(ctx, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseWheel, 600, 300, func(p *input.DispatchMouseEventParams) {
		// Chrome wants both deltas, and cdproto leaves out a zero one.
		p.DeltaX, p.DeltaY = 0.001, -400
	})); err != nil {
		t.Fatal(err)
	}
	zoomed, err := chromedp.Run(ctx, chromedp.Poll[string](fmt.Sprintf(`(s => s !== %q && s)(document.getElementById('status').textContent)`, before),
		chromedp.WithPollingTimeout(5*time.Second)))
	if err != nil {
		t.Errorf("the wheel did not zoom: %v", err)
	}
	if err := chromedp.Do(ctx,
		chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, 700, 300, chromedp.ButtonLeft),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, 600, 300, chromedp.ButtonLeft),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, 500, 300, chromedp.ButtonLeft),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, 500, 300, chromedp.ButtonLeft),
	); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[string](fmt.Sprintf(`(s => s !== %q && s)(document.getElementById('status').textContent)`, zoomed),
		chromedp.WithPollingTimeout(5*time.Second))); err != nil {
		t.Errorf("a drag did not pan: %v", err)
	}
	blog.check(t, "small.html")

	// 10,000 events: compact at first, single events once zoomed in.
	open(bigURL)
	c = counts()
	if c.Detail != "0" || c.Dense == 0 || c.Lanes != 8 {
		t.Errorf("10,000 events at full view: %+v, want a compact drawing", c)
	}
	screenshot("diagram-10k-compact.png")
	const redraw = `(() => { const b = document.getElementById('zoom-fit'), t = performance.now(); for (let i = 0; i < 5; i++) b.click(); return (performance.now() - t) / 5; })()`
	if ms, err := chromedp.Run(ctx, chromedp.Evaluate[float64](redraw)); err == nil {
		t.Logf("10,000 events: a full-view redraw takes %.1f ms", ms)
	}
	for range 12 {
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#zoom-in"))); err != nil {
			t.Fatal(err)
		}
		if c = counts(); c.Detail == "1" {
			break
		}
	}
	if c.Detail != "1" || c.Events == 0 || c.Arrows == 0 || c.Events > 1500 {
		t.Errorf("10,000 events zoomed in: %+v, want single events", c)
	}
	screenshot("diagram-10k.png")
	const redrawZoomed = `(() => { const i = document.getElementById('zoom-in'), o = document.getElementById('zoom-out'), t = performance.now(); for (let k = 0; k < 5; k++) { o.click(); i.click(); } return (performance.now() - t) / 10; })()`
	if ms, err := chromedp.Run(ctx, chromedp.Evaluate[float64](redrawZoomed)); err == nil {
		t.Logf("10,000 events: a zoomed-in redraw takes %.1f ms", ms)
	}
	blog.check(t, "big.html")

	if p, tp := os.Getenv("MUTEXLAB_SCREENSHOT"), os.Getenv("MUTEXLAB_SCREENSHOT_TRACE"); p != "" && tp != "" {
		tr, err := trace.ReadFile(tp)
		if err != nil {
			t.Fatal(err)
		}
		open(write("custom.html", tr, Options{}))
		if os.Getenv("MUTEXLAB_SCREENSHOT_LAYOUT") == "lamport" {
			if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#mode-lamport"))); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(p, screenshot("custom.png"), 0o644); err != nil {
			t.Fatal(err)
		}
		blog.check(t, tp)
	}
}

func prevOnLane(m *model, i int) int {
	for j := i - 1; j >= 0; j-- {
		if m.laneOf[j] == m.laneOf[i] {
			return j
		}
	}
	return -1
}

func lineIndex(m *model, line int) int {
	i := slices.IndexFunc(m.events, func(e trace.Event) bool { return e.Line == line })
	if i < 0 {
		panic(fmt.Sprint("no event on line ", line))
	}
	return i
}

// concurrentWith lists the events concurrent with i by comparing clocks
// pairwise (the page finds them by binary search).
func concurrentWith(m *model, i int) []int {
	var out []int
	pi := m.laneOf[i]
	for j := range m.events {
		pj := m.laneOf[j]
		if j != i && m.clock(j)[pi] < m.clock(i)[pi] && m.clock(i)[pj] < m.clock(j)[pj] {
			out = append(out, j)
		}
	}
	return out
}

func dotCenter(t *testing.T, ctx context.Context, i int) (float64, float64) {
	t.Helper()
	r, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](fmt.Sprintf(
		`(() => { const r = document.querySelector('#events [data-e="%d"]').getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()`, i)))
	if err != nil || len(r) != 2 {
		t.Fatalf("event %d not drawn: %v", i, err)
	}
	return r[0], r[1]
}
