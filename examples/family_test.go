package examples_test

import (
	"encoding/json"
	"path/filepath"
	"testing"
)

// family are the examples of the algorithms beyond the seed's two, each
// named after its algorithm.
var family = []string{"suzuki_kasami", "maekawa", "raymond", "central", "naimi_trehel", "roucairol_carvalho"}

// Each algorithm of the family runs clean as OS processes over TCP: two
// rounds of its example, every check passing or, for the order of an
// algorithm that keeps none, skipped; its messages are measured against
// the textbook, never skipped.
func TestFamilyRunsClean(t *testing.T) {
	for _, name := range family {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tr := filepath.Join(t.TempDir(), "run.jsonl")
			code, out := mutexlab(t, t.TempDir(), "run", name, "--rounds", "2", "--speed", "50", "--trace", tr)
			if code != 0 {
				t.Fatalf("mutexlab run %s: exit status %d, want 0\n%s", name, code, tail([]byte(out)))
			}
			checkCode, js := mutexlab(t, ".", "check", "--json", tr)
			var r report
			if err := json.Unmarshal([]byte(js), &r); err != nil {
				t.Fatalf("check --json: %v\n%s", err, js)
			}
			for _, res := range r.Results {
				ok := res.Status == "pass" || (res.Check == "order" && res.Status == "skip")
				if !ok {
					t.Errorf("check %q: %s: %s", res.Check, res.Status, res.Summary)
				}
			}
			if checkCode != 0 || len(r.Results) != 6 {
				t.Errorf("check: exit status %d, %d results; want 0 and 6", checkCode, len(r.Results))
			}
		})
	}
}
