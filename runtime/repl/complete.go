package repl

import (
	"os"
	"path/filepath"
	"sort"
	"strings"

	"mutexlab/runtime/scenario"
)

// complete is the REPL's tab completion: command names first, then each
// argument by its kind in the command table (nodes, links, scenarios,
// algorithms, files), and run's flags.
func (r *repl) complete(line string, pos int) (head string, completions []string, tail string) {
	if pos > len(line) {
		pos = len(line)
	}
	before, tail := line[:pos], line[pos:]
	start := strings.LastIndexByte(before, ' ') + 1
	head, word := before[:start], before[start:]
	fields := strings.Fields(head)
	if len(fields) == 0 {
		return head, filterPrefix(commandNames(r.mode), word), tail
	}
	c := r.command(fields[0])
	switch {
	case strings.HasPrefix(word, "-"):
		return head, filterPrefix(c.flags, word), tail
	case fields[len(fields)-1] == "--trace":
		return head, completeFiles(word, ""), tail
	case len(c.complete) == 0:
		return head, nil, tail
	}
	// The last kind repeats: trace's nodes, partition's sides.
	kind := c.complete[min(len(fields)-1, len(c.complete)-1)]
	return head, r.candidates(kind, word), tail
}

// candidates are the completions of word as an argument of kind.
func (r *repl) candidates(kind argKind, word string) []string {
	ids := r.nodeIDs()
	switch kind {
	case argCommand:
		return filterPrefix(commandNames(r.mode), word)
	case argNode:
		return filterPrefix(ids, word)
	case argNodeOrAll:
		return filterPrefix(append([]string{"all"}, ids...), word)
	case argNodes:
		// Complete the last name of a comma list.
		done, last := "", word
		if i := strings.LastIndexByte(word, ','); i >= 0 {
			done, last = word[:i+1], word[i+1:]
		}
		var out []string
		for _, id := range filterPrefix(ids, last) {
			out = append(out, done+id)
		}
		return out
	case argLink, argLinkOrAll:
		var links []string
		if kind == argLinkOrAll {
			links = append(links, "all")
		}
		for _, a := range ids {
			for _, b := range ids {
				if a != b {
					links = append(links, a+"->"+b)
				}
			}
		}
		return filterPrefix(links, word)
	case argGroup:
		groups := []string{"token"}
		for _, g := range r.base.Groups {
			groups = append(groups, g.ID)
		}
		return filterPrefix(groups, word)
	case argAlgorithm:
		return filterPrefix(r.algorithmNames(), word)
	case argScenario:
		var out []string
		if !strings.ContainsAny(word, `/\`) {
			out = filterPrefix(scenario.Embedded(), word)
		}
		return append(out, completeFiles(word, ".lua")...)
	case argFile:
		return completeFiles(word, "")
	}
	return nil
}

// completeFiles lists the folders and files (ending in ext, when set)
// whose path starts with word.
func completeFiles(word, ext string) []string {
	dir, base := filepath.Split(word)
	read := dir
	if read == "" {
		read = "."
	}
	entries, err := os.ReadDir(read)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, base) || (strings.HasPrefix(name, ".") && !strings.HasPrefix(base, ".")) {
			continue
		}
		switch {
		case e.IsDir():
			out = append(out, dir+name+"/")
		case ext == "" || strings.HasSuffix(name, ext):
			out = append(out, dir+name)
		}
	}
	sort.Strings(out)
	return out
}

func filterPrefix(list []string, prefix string) []string {
	var out []string
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			out = append(out, s)
		}
	}
	return out
}
