package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"mutexlab/runtime/diagram"
	"mutexlab/runtime/runview"
)

func init() {
	register(&command{
		name:    "diagram",
		usage:   "diagram TRACE... [-o FILE] [--format F]",
		summary: "draw a trace as a space-time diagram (one HTML file) or a ShiViz log",
		run:     runDiagram,
	})
}

func runDiagram(args []string) error {
	c := commands["diagram"]
	fs := newFlags(c)
	out := fs.String("o", "", "output `FILE`; - for standard output (default: TRACE with .html, or .shiviz.log for shiviz)")
	format := fs.String("format", "html", "output `format`: html (space-time diagram) or shiviz (a log for ShiViz)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usageErr("missing TRACE; usage: mutexlab %s", c.usage)
	}
	if *format != "html" && *format != "shiviz" {
		return usageErr("--format %q: want html or shiviz", *format)
	}
	// A diagram draws every event: a trace too long for one is refused
	// before it is read (docs/trace.md, Reading). Several traces (one per
	// node started by hand) are merged first.
	ix, ta, err := openTraces("diagram", pos)
	if err != nil {
		return err
	}
	defer func() { ix.Close(); ta.done(false) }()
	if why := diagram.TooLong(ix.Events); why != "" {
		return usageErr("%s: %s; its end: mutexlab timeline %s --last 60; all of it judged: mutexlab check %s", pos[0], why, pos[0], pos[0])
	}
	t, err := ix.Read()
	if err != nil {
		return usageErr("%s: %v", pos[0], err)
	}
	path := *out
	if path == "" {
		ext := ".html"
		if *format == "shiviz" {
			ext = ".shiviz.log"
		}
		path = strings.TrimSuffix(pos[0], filepath.Ext(pos[0]))
		if len(pos) > 1 {
			path += "-merged"
		}
		path += ext
	}
	for _, p := range pos {
		if diagramSameFile(path, p) {
			return usageErr("-o %s would overwrite the trace", path)
		}
	}
	var buf bytes.Buffer
	if *format == "shiviz" {
		err = diagram.ShiViz(&buf, t)
	} else {
		err = runview.RenderDiagram(&buf, t)
	}
	if err != nil {
		return err
	}
	if err := diagramWriteOutput(path, buf.Bytes()); err != nil {
		return err
	}
	if *format == "shiviz" {
		fmt.Fprintf(os.Stderr, "ShiViz (https://bestchai.bitbucket.io/shiviz/): paste the log and use the log parsing regex\n%s\n", diagram.ShiVizRegex)
	}
	if path != "-" {
		fmt.Printf("wrote %s (%d events)\n", path, len(t.Events))
	}
	return nil
}

// diagramSameFile reports whether two paths name the same file.
func diagramSameFile(a, b string) bool {
	if filepath.Clean(a) == filepath.Clean(b) {
		return true
	}
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}

// diagramWriteOutput writes data to path ("-" is standard output) through a
// temporary file, so a failed write leaves no half file behind.
func diagramWriteOutput(path string, data []byte) error {
	if path == "-" {
		_, err := os.Stdout.Write(data)
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return usageErr("cannot write %s: %v", path, err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
