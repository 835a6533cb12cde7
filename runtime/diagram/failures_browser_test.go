package diagram

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"mutexlab/runtime/cluster/clustertest"
)

func TestMain(m *testing.M) { os.Exit(clustertest.Main(m)) }

// failureLook is what the browser says about a failure's diagram.
type failureLook struct {
	Focus        string  // data-focus: "stall", "violation" or "all"
	PanelDetails bool    // the violations panel folds (a <details>)
	PanelH       float64 // its height in pixels
	LastLaneY    float64 // the bottom of the last lane's name
	ViewH        float64
	RootVisible  bool // the first root cause's band is in the plot
	Waits        int  // wait-for arrows drawn
	CycleWaits   int  // those on the deadlock's cycle
	Clipped      []string
	Overlaps     []string // a violation's number over a clock label
	NarrowBars   int      // critical sections drawn narrower than 12 px
	Bars         int
}

const lookJS = `(() => {
  const left = JSON.parse(document.getElementById('data').textContent).geom.left;
  const svg = document.getElementById('svg').getBoundingClientRect();
  const panel = document.getElementById('violations');
  const names = document.querySelectorAll('#frame .name');
  const r = el => el.getBoundingClientRect();
  const clipped = [], overlaps = [];
  document.querySelectorAll('#plot text').forEach(el => {
    const b = r(el);
    if (b.width === 0) return;
    if (b.left < svg.left + left - 0.5 || b.right > svg.right + 0.5 || b.top < svg.top - 0.5 || b.bottom > svg.bottom + 0.5) {
      clipped.push(el.getAttribute('class') + ' "' + el.textContent + '" ' + Math.round(b.left) + '..' + Math.round(b.right));
    }
  });
  const lcs = [...document.querySelectorAll('#events .lc')].map(r);
  document.querySelectorAll('#viol .vlabel').forEach(v => {
    const a = r(v);
    lcs.forEach(b => {
      if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) overlaps.push(v.textContent);
    });
  });
  const band = document.querySelector('#viol .vband');
  let rootVisible = false;
  if (band) {
    const b = r(band);
    rootVisible = b.right > svg.left + left && b.left < svg.right;
  }
  const bars = [...document.querySelectorAll('#bars .bar')].map(r).filter(b => b.right > svg.left + left && b.left < svg.right);
  return {
    Focus: document.documentElement.getAttribute('data-focus') || '',
    PanelDetails: !!panel && panel.tagName === 'DETAILS',
    PanelH: panel ? r(panel).height : 0,
    LastLaneY: names.length ? r(names[names.length - 1]).bottom : 0,
    ViewH: window.innerHeight,
    RootVisible: rootVisible,
    Waits: document.querySelectorAll('#stall .wait').length,
    CycleWaits: document.querySelectorAll('#stall .wait.cycle').length,
    Clipped: clipped, Overlaps: overlaps,
    NarrowBars: bars.filter(b => b.width < 12).length, Bars: bars.length,
  };
})()`

// The diagram of a failure, seen as a student sees it: each exercise's
// shortest counterexample (and the first failing schedule) from
// `mutexlab explore`, at 1366×768. It opens on the failure (a deadlock as
// its wait-for cycle, zoomed to where the run stopped; else the first
// root cause), the violations panel folds and leaves every lane on the
// screen, no label is cut at the plot's edge, no violation number covers
// a clock, and critical sections stay wide enough to read in the Lamport
// layout. The screenshots go to $MUTEXLAB_FAILURE_SHOTS when set (the
// ones in docs/failures/ were made so), else to the test's folder.
func TestExerciseFailureDiagrams(t *testing.T) {
	bin := chromium()
	if bin == "" {
		t.Skip("no Chromium found (Debian: apt-get install chromium; or set MUTEXLAB_CHROMIUM): the failure diagrams are not looked at")
	}
	if testing.Short() {
		t.Skip("-short: the real-browser test is skipped")
	}
	mutexlab := clustertest.Binary(t)
	work := t.TempDir()
	shots := os.Getenv("MUTEXLAB_FAILURE_SHOTS")
	if shots == "" {
		shots = work
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND"),
		chromedp.UserDataDir(filepath.Join(work, "profile")), chromedp.WindowSize(1366, 768))
	defer cancelAlloc()
	ctx, cancelTab := chromedp.NewContext(ctx)
	defer cancelTab()
	var blog browserLog
	if err := chromedp.Listen(ctx, blog.listen); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1366, 768)); err != nil {
		t.Fatal(err)
	}
	look := func(page string) failureLook {
		t.Helper()
		l, err := chromedp.Run(ctx, chromedp.Evaluate[failureLook](lookJS))
		if err != nil {
			t.Fatalf("%s: %v", page, err)
		}
		return l
	}
	shoot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(shots, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	for _, tc := range []struct {
		exercise string
		deadlock bool // a wait-for cycle
		stall    bool
	}{
		{"after_you", true, true},
		{"eager_entry", false, false},
		{"own_clock", false, false},
		{"right_now", false, false},
		{"ring_of_four", false, true},
	} {
		out := filepath.Join(work, tc.exercise)
		cmd := exec.Command(mutexlab, "explore", "exercises/"+tc.exercise, "--out", out)
		var ee *exec.ExitError
		if b, err := cmd.CombinedOutput(); !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Fatalf("explore %s: %v\n%s", tc.exercise, err, b)
		}
		shortest, _ := filepath.Glob(filepath.Join(out, "*-shortest.html"))
		all, _ := filepath.Glob(filepath.Join(out, "*.html"))
		if len(shortest) != 1 || len(all) != 2 {
			t.Fatalf("%s: diagrams %v", tc.exercise, all)
		}
		first := all[0]
		if first == shortest[0] {
			first = all[1]
		}
		for _, page := range []struct{ file, shot string }{{shortest[0], tc.exercise + ".png"}, {first, tc.exercise + "-first.png"}} {
			if err := chromedp.Do(ctx, chromedp.Navigate("file://"+page.file),
				chromedp.Poll[chromedp.Void](`document.documentElement.getAttribute('data-ready') === '1'`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
				t.Fatalf("%s: %v", page.file, err)
			}
			name := tc.exercise + "/" + filepath.Base(page.file)
			l := look(name)
			want := "violation"
			if tc.stall {
				want = "stall"
			}
			switch {
			case l.Focus != want:
				t.Errorf("%s opens on %q, want the %s", name, l.Focus, want)
			case tc.stall && l.Waits == 0:
				t.Errorf("%s: the stall's waits are not drawn", name)
			case tc.deadlock && l.CycleWaits < 2:
				t.Errorf("%s: the deadlock's cycle is %d arrows, want 2 or more", name, l.CycleWaits)
			case !tc.stall && !l.RootVisible:
				t.Errorf("%s: the first root cause is not in view", name)
			}
			if !l.PanelDetails || l.PanelH > 0.25*l.ViewH || l.LastLaneY > l.ViewH {
				t.Errorf("%s at 1366x768: panel folds %v, %.0f px high; the last lane ends at %.0f px of %.0f",
					name, l.PanelDetails, l.PanelH, l.LastLaneY, l.ViewH)
			}
			if len(l.Clipped) > 0 || len(l.Overlaps) > 0 {
				t.Errorf("%s: labels cut by the plot's edge %v; violation numbers over clocks %v", name, l.Clipped, l.Overlaps)
			}
			shoot(page.shot)

			// The Lamport layout opens on the failure too, sections readable.
			if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#mode-lamport")),
				chromedp.Poll[chromedp.Void](`document.documentElement.getAttribute('data-mode') === 'lamport'`, chromedp.WithPollingTimeout(5*time.Second))); err != nil {
				t.Fatal(err)
			}
			l = look(name + " (Lamport)")
			if l.Focus != want || len(l.Clipped) > 0 || len(l.Overlaps) > 0 || l.NarrowBars > 0 {
				t.Errorf("%s in the Lamport layout: focus %q, clipped %v, overlaps %v, %d of %d sections narrower than 12 px",
					name, l.Focus, l.Clipped, l.Overlaps, l.NarrowBars, l.Bars)
			}
			shoot(strings.TrimSuffix(page.shot, ".png") + "-lamport.png")
			blog.check(t, name)
		}
	}
	t.Logf("screenshots in %s", shots)
}
