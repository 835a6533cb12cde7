package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"mutexlab/runtime/node"
	"mutexlab/runtime/scenario"
	"mutexlab/runtime/trace"
)

// preflight compiles every script s uses, searching dirs and then the
// scenario's folder, before anything starts: a syntax error, a missing
// module or an unknown algorithm is one line and exit status 2. It
// returns the library to run with and the scripts for the header.
func preflight(s *scenario.Scenario, dirs []string) (*node.Library, []trace.Script, error) {
	lib := node.NewLibrary(append(append([]string{}, dirs...), s.Dir)...)
	scripts, err := lib.Preflight(s)
	if err != nil {
		return nil, nil, classify(err)
	}
	return lib, scripts, nil
}

// printOrigins writes the header lines that say what runs: the scenario's
// file and where each script comes from (the user's file, or embedded),
// and a note when the working folder holds copies that are not used.
//
//	scenario  mylab/seed.lua
//	scripts   lamport  mylab/algorithms/lamport.lua
//	          ricart_agrawala, token, heavyweight, lightweight  embedded
func printOrigins(w io.Writer, s *scenario.Scenario, scripts []trace.Script, cmd string) {
	fmt.Fprintf(w, "  scenario  %s\n", scenarioOrigin(s))
	var embedded []string
	var lines []string
	for _, sc := range scripts {
		if rest, ok := strings.CutPrefix(sc.Path, trace.EmbeddedPrefix); ok {
			if shipped(rest) {
				embedded = append(embedded, sc.Module)
				continue
			}
			lines = append(lines, fmt.Sprintf("%s  %s (embedded)", sc.Module, rest))
			continue
		}
		lines = append(lines, fmt.Sprintf("%s  %s", sc.Module, node.ScriptOrigin(sc)))
	}
	if len(embedded) > 0 {
		lines = append(lines, strings.Join(embedded, ", ")+"  embedded")
	}
	for i, l := range lines {
		head := "  scripts   "
		if i > 0 {
			head = "            "
		}
		fmt.Fprintln(w, head+l)
	}
	if note := unusedCopies(s, scripts, cmd); note != "" {
		fmt.Fprintln(w, "  note      "+note)
	}
}

// shipped reports whether an embedded script is one of the shipped
// algorithms or role scripts (not an exercise's broken copy).
func shipped(name string) bool {
	return strings.HasPrefix(name, "algorithms/") || strings.HasPrefix(name, "scripts/")
}

// scenarioOrigin names the scenario's file: "mylab/seed.lua", or
// "seed (embedded)".
func scenarioOrigin(s *scenario.Scenario) string {
	if rest, ok := strings.CutPrefix(s.File, trace.EmbeddedPrefix); ok {
		return strings.TrimSuffix(strings.TrimSuffix(rest, ".lua"), "/scenario") + " (embedded)"
	}
	return s.File
}

// unusedCopies is a note for a student who edits a copy made by `init`
// but runs an embedded scenario from its folder: the copies there are
// not searched. "" when there is nothing to say.
func unusedCopies(s *scenario.Scenario, scripts []trace.Script, cmd string) string {
	if !strings.HasPrefix(s.File, trace.EmbeddedPrefix) {
		return ""
	}
	var unused []string
	for _, sc := range scripts {
		if !sc.Embedded() {
			continue
		}
		for _, sub := range []string{"", "algorithms", "scripts"} {
			p := filepath.Join(sub, sc.Module+".lua")
			src, err := os.ReadFile(p)
			if err != nil {
				continue
			}
			// A copy as shipped changes nothing; an edited one is what the
			// student expects to run.
			if sum := sha256.Sum256(src); hex.EncodeToString(sum[:]) != sc.SHA256 {
				unused = append(unused, p)
			}
			break
		}
	}
	if len(unused) == 0 {
		return ""
	}
	arg := strings.TrimSuffix(strings.TrimPrefix(s.File, trace.EmbeddedPrefix), "/scenario.lua")
	how := fmt.Sprintf("mutexlab %s %s --scripts .", cmd, strings.TrimSuffix(arg, ".lua"))
	if fi, err := os.Stat(filepath.Base(arg)); err == nil && !fi.IsDir() && strings.HasSuffix(arg, ".lua") {
		how = fmt.Sprintf("mutexlab %s %s", cmd, filepath.Base(arg))
	}
	return fmt.Sprintf("%s here %s not used (the scenario is the embedded one); to run them: %s",
		strings.Join(unused, ", "), isAre(len(unused)), how)
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}
