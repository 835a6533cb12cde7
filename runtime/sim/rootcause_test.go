package sim

import (
	"bytes"
	"strings"
	"testing"

	"mutexlab/runtime/check"
)

// Root cause first: on the exercises' first failing schedules, the screen
// and order findings about two overlapping critical sections hang under
// the mutual exclusion finding, a deadlock is one finding naming its
// cycle with the unused grants under it, and the report ends with one
// verdict line naming the failed checks.
func TestReportsLeadWithRootCauses(t *testing.T) {
	for _, tc := range []struct {
		exercise string
		root     string // the check of the first root cause
		verdict  string
	}{
		{"exercises/eager_entry", check.MutualExclusion, "verdict           FAIL  mutual exclusion, screen"},
		{"exercises/after_you", check.Liveness, "verdict           FAIL  liveness"},
		{"exercises/right_now", check.MutualExclusion, "verdict           FAIL  mutual exclusion, screen"},
	} {
		t.Run(tc.exercise, func(t *testing.T) {
			res := explore(t, load(t, tc.exercise, 0), ExploreOptions{Runs: 1000, Seed: 1})
			if res.Failure == nil {
				t.Fatal("no failure")
			}
			rep := res.Failure.Report
			roots := rep.Roots()
			if len(roots) == 0 || roots[0].Check != tc.root {
				t.Fatalf("roots %+v, want the first in %s", roots, tc.root)
			}
			ids := map[int]string{}
			for _, r := range rep.Results {
				for _, e := range r.Evidence {
					ids[e.ID] = r.Check
				}
			}
			for _, r := range rep.Results {
				for _, e := range r.Evidence {
					// Interleaved lines of two sections are never a root
					// cause when mutual exclusion found them concurrent.
					if r.Check == check.Screen && strings.Contains(e.Text, "between two lines") && e.Cause == 0 &&
						rep.Result(check.MutualExclusion).Status == check.Fail {
						t.Errorf("screen finding %q is a root cause", e.Text)
					}
					if e.Cause != 0 && ids[e.Cause] == "" {
						t.Errorf("finding %d follows from %d, which is not in the report", e.ID, e.Cause)
					}
				}
			}
			if tc.root == check.Liveness {
				live := rep.Result(check.Liveness)
				deadlocks := 0
				for _, e := range live.Evidence {
					if strings.HasPrefix(e.Text, "deadlock ") {
						deadlocks++
					}
					if strings.Contains(e.Text, "never entered") && ids[e.Cause] != check.Liveness {
						t.Errorf("an unused grant is a root cause: %q", e.Text)
					}
				}
				if deadlocks != 1 || len(roots) != 1 {
					t.Errorf("%d deadlock findings, %d roots; want one of each:\n%s", deadlocks, len(roots), describeFailure(res.Failure))
				}
			}
			var b bytes.Buffer
			rep.Print(&b, false)
			lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
			if last := lines[len(lines)-1]; !strings.HasPrefix(last, tc.verdict) {
				t.Errorf("last line %q, want the verdict %q", last, tc.verdict)
			}
			t.Logf("%d lines, %d roots", len(lines), len(roots))
		})
	}
}
