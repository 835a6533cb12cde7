package node

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mutexlab/runtime/scenario"
)

// Preflight compiles every script a scenario uses before anything runs;
// each failure is one line naming the file and line, or the scenario
// field with a "did you mean".
func TestPreflight(t *testing.T) {
	s, err := scenario.Default()
	if err != nil {
		t.Fatal(err)
	}
	scripts, err := NewLibrary().Preflight(s)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, sc := range scripts {
		if !sc.Embedded() || len(sc.SHA256) != 64 {
			t.Errorf("%+v: want an embedded script with a sha256", sc)
		}
		got = append(got, sc.Module+"="+strings.TrimPrefix(sc.Path, "embedded:"))
	}
	if want := "lamport=algorithms/lamport.lua ricart_agrawala=algorithms/ricart_agrawala.lua token=algorithms/token.lua " +
		"heavyweight=scripts/heavyweight.lua lightweight=scripts/lightweight.lua"; strings.Join(got, " ") != want {
		t.Errorf("scripts:\n got %s\nwant %s", strings.Join(got, " "), want)
	}

	write := func(dir, name, src string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	lamport, err := os.ReadFile("../../algorithms/lamport.lua")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name     string
		files    map[string]string
		algo     string
		want     string
		scenario bool // a *scenario.Error, else a *ScriptError
	}{
		{"missing )", map[string]string{"lamport.lua": strings.Replace(string(lamport), "function M.request()", "function M.request(", 1)},
			"lamport", "lamport.lua:76: syntax error near '.'", false},
		{"unknown algorithm", nil, "lamprot",
			`seed.lua: groups[1].algorithm: no module "lamprot" (searched DIR, the embedded scripts); did you mean "lamport"?`, true},
		{"a module required by name", map[string]string{"mine.lua": "local h = require('helpres')\nreturn {}\n", "helpers.lua": "return {}\n"},
			"mine", `mine.lua:1: module "helpres" not found (searched DIR, the embedded scripts); did you mean "helpers"?`, false},
		{"an error in a required module", map[string]string{"mine.lua": "local h = require 'helpers'\nreturn {}\n", "helpers.lua": "return {\n"},
			"mine", "helpers.lua:1: syntax error at end of file (an unclosed block or bracket?)", false},
	} {
		dir := t.TempDir()
		for name, src := range tt.files {
			write(dir, name, src)
		}
		sc := *s
		sc.File = "seed.lua"
		sc.Groups = append([]scenario.Group(nil), s.Groups...)
		sc.Groups[0].Algorithm = tt.algo
		_, err := NewLibrary(dir).Preflight(&sc)
		var se *scenario.Error
		var script *ScriptError
		if tt.scenario && !errors.As(err, &se) || !tt.scenario && !errors.As(err, &script) {
			t.Errorf("%s: got %T %v", tt.name, err, err)
			continue
		}
		got := strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), "")
		got = strings.ReplaceAll(got, dir, "DIR")
		if got != tt.want || strings.Contains(got, "\n") {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
}
