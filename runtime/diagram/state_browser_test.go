package diagram

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"mutexlab/runtime/trace"
)

// TestBrowserStepPanel drives the step slider and the state panel in a
// headless Chromium (see TestBrowser): testdata/state.jsonl is a
// simulated eager_entry run recorded with --state. The slider pins the
// event it is on; the panel shows every node's state there, the fields
// the event changed highlighted, exactly as the trace says; hovering
// shows another event's, clicking pins it and moves the slider; a marked
// step (the debug mode's diagram) opens with its events ringed.
// MUTEXLAB_BROWSER_DIR=dir keeps the pages and screenshots.
func TestBrowserStepPanel(t *testing.T) {
	bin := chromium()
	if bin == "" {
		t.Skip("no Chromium found (Debian: apt-get install chromium; or set MUTEXLAB_CHROMIUM): the real-browser test of the diagram is skipped")
	}
	if testing.Short() {
		t.Skip("-short: the real-browser test is skipped")
	}
	dir := t.TempDir()
	if keep := os.Getenv("MUTEXLAB_BROWSER_DIR"); keep != "" {
		dir = keep
	}
	tr, err := trace.ReadFile("testdata/state.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	m := newModel(tr)
	write := func(name string, opts Options) string {
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
	plainURL := write("state.html", Options{})

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-extensions", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND"),
		chromedp.UserDataDir(filepath.Join(t.TempDir(), "profile")), chromedp.WindowSize(1366, 900))
	defer cancelAlloc()
	ctx, cancelTab := chromedp.NewContext(ctx)
	defer cancelTab()
	var blog browserLog
	if err := chromedp.Listen(ctx, blog.listen); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	open := func(url string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(url),
			chromedp.Poll[chromedp.Void](`document.documentElement.getAttribute('data-steps') === '1'`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
			t.Fatalf("loading %s: %v", url, err)
		}
	}
	eval := func(js string) panelView {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[panelView](js))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	view := func() panelView { t.Helper(); return eval(panelJS) }
	screenshot := func(name string) {
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
	}

	open(plainURL)
	E := len(m.events)
	v := view()
	if v.Max != E-1 || v.Value != E-1 || v.Rows != len(m.lanes) || !strings.Contains(v.Label, fmt.Sprintf("event %d of %d", E, E)) {
		t.Fatalf("the panel opens at the end of the run: %+v (%d events, %d lanes)", v, E, len(m.lanes))
	}

	// The slider, moved to each event that changed its node's state:
	// that event is pinned, its node's row is marked, and the fields it
	// changed are the ones highlighted.
	moved := 0
	for i := range m.events {
		changed := changedFields(m, i)
		if len(changed) == 0 || moved >= 12 {
			continue
		}
		moved++
		v := eval(fmt.Sprintf(`(() => { const s = document.getElementById('step-slider'); s.value = %d; s.dispatchEvent(new Event('input')); return %s; })()`, i, panelJS))
		e := m.events[i]
		if v.Value != i || v.Own != e.Node || !slices.Equal(v.Changed, changed) || v.Pinned != i || v.Steplines != 1 {
			t.Fatalf("slider at event %d (line %d, %s %s): %+v; want the %s row with %v changed", i, e.Line, e.Node, e.Ev, v, e.Node, changed)
		}
		if !strings.Contains(v.Label, fmt.Sprintf("event %d of %d · line %d", i+1, E, e.Line)) || !strings.Contains(v.Label, "(pinned)") {
			t.Fatalf("label at event %d: %q", i, v.Label)
		}
		if want := e.State[changed[0]]; !strings.Contains(v.OwnText, changed[0]+" = "+want) {
			t.Fatalf("event %d: the %s row lacks %s = %s: %q", i, e.Node, changed[0], want, v.OwnText)
		}
	}
	if moved < 5 {
		t.Fatalf("only %d events change a state", moved)
	}
	screenshot("state-panel.png")

	// The buttons step one event.
	at := view().Value
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#step-prev"))); err != nil {
		t.Fatal(err)
	}
	if v := view(); v.Value != at-1 || v.Pinned != at-1 {
		t.Errorf("◀ from %d: %+v", at, v)
	}

	// Hovering another event shows its state; clicking pins it and moves
	// the slider there.
	if err := chromedp.Do(ctx, chromedp.KeyEvent("\x1b")); err != nil { // unpin
		t.Fatal(err)
	}
	target := slices.IndexFunc(m.events, func(e trace.Event) bool { return e.Node == "A3" && e.Ev == trace.Recv })
	x, y := stateDot(t, ctx, target)
	if err := chromedp.Do(ctx, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x, y)); err != nil {
		t.Fatal(err)
	}
	if v := view(); v.Own != "A3" || !strings.Contains(v.Label, "(hovered)") {
		t.Errorf("hovering A3's recv: %+v", v)
	}
	if err := chromedp.Do(ctx, chromedp.MouseClickXY(x, y)); err != nil {
		t.Fatal(err)
	}
	if v := view(); v.Value != target || v.Pinned != target || !strings.Contains(v.Label, "(pinned)") {
		t.Errorf("clicking A3's recv (event %d): %+v", target, v)
	}

	// A marked step opens pinned on its last event, its events ringed.
	var mark []int
	for _, e := range tr.Events {
		if e.Node == "A2" && e.Ev == trace.CSEnter {
			mark = append(mark, e.Line-2, e.Line-1, e.Line)
			break
		}
	}
	open(write("state-marked.html", Options{Mark: mark}))
	last := slices.IndexFunc(m.events, func(e trace.Event) bool { return e.Line == mark[2] })
	if v := view(); v.Rings != 3 || v.Value != last || v.Pinned != last {
		t.Errorf("the marked step (lines %v, event %d): %+v", mark, last, v)
	}
	screenshot("state-marked.png")
	blog.check(t, "state pages")
}

// panelView is what the step panel shows.
type panelView struct {
	Max, Value, Rows, Pinned, Steplines, Rings int
	Label, Own, OwnText                        string
	Changed                                    []string
}

const panelJS = `(() => {
  const s = document.getElementById('step-slider');
  const own = document.querySelector('#state-panel tr.own');
  return {
    Max: +s.max, Value: +s.value, Rows: document.querySelectorAll('#state-panel tbody tr').length,
    Pinned: window.mutexlabDiagram.pinned(), Steplines: document.querySelectorAll('#stepmark .stepline').length,
    Rings: document.querySelectorAll('#stepmark .markring').length,
    Label: document.getElementById('step-label').textContent,
    Own: own ? own.getAttribute('data-node') : '', OwnText: own ? own.textContent : '',
    Changed: own ? [...own.querySelectorAll('.fld.chg .k')].map(k => k.textContent).sort() : [],
  };
})()`

// changedFields are the fields of event i's state that differ from its
// node's previous state, sorted.
func changedFields(m *model, i int) []string {
	e := m.events[i]
	if e.State == nil {
		return nil
	}
	prev := map[string]string{}
	for j := i - 1; j >= 0; j-- {
		if m.events[j].Node == e.Node && m.events[j].State != nil {
			prev = m.events[j].State
			break
		}
	}
	var out []string
	for k, v := range e.State {
		if old, ok := prev[k]; !ok || old != v {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// stateDot is the center of event i's dot on the page.
func stateDot(t *testing.T, ctx context.Context, i int) (float64, float64) {
	t.Helper()
	r, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](fmt.Sprintf(
		`(() => { const r = document.querySelector('#events [data-e="%d"]').getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()`, i)))
	if err != nil || len(r) != 2 {
		t.Fatalf("event %d not drawn: %v", i, err)
	}
	return r[0], r[1]
}
