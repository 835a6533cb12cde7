package sim

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mutexlab/runtime/check"
	"mutexlab/runtime/node"
)

// The order check and the shipped algorithms break ties the same way, by
// the number in the id (docs/lua-api.md, "Ties"): with twelve lightweights
// a group has A2 and A12, which compare the other way round as strings.
// The shipped modules pass; copies that compare ids as strings fail the
// order check on the first schedule where two requests tie.
func TestTieBreakByNumber(t *testing.T) {
	s := load(t, "testdata/ties/scenario.lua", 0)
	res := explore(t, s, ExploreOptions{Runs: 40, Seed: 1})
	if res.Failure != nil {
		t.Fatalf("the shipped algorithms with 12 lightweights: schedule %d failed:\n%s", res.Failure.Index, describeFailure(res.Failure))
	}

	// The same modules with ids compared as strings.
	dir := t.TempDir()
	for _, name := range []string{"lamport", "ricart_agrawala"} {
		_, src, err := node.NewLibrary().Find(name)
		if err != nil {
			t.Fatal(err)
		}
		text := strings.Replace(string(src), "return tonumber(a:sub(2)) < tonumber(b:sub(2))", "return a < b", 1)
		if text == string(src) {
			t.Fatalf("%s.lua: no numeric tie-break to replace", name)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".lua"), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	opts := ExploreOptions{Scenario: s, Lib: node.NewLibrary(dir), Version: "test", Runs: 40, Seed: 1}
	got, err := Explore(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if got.Failure == nil || got.Failure.Report.Result(check.Order).Status != check.Fail {
		t.Fatalf("ids compared as strings: want an order failure, got %+v", got.Failure)
	}
}
