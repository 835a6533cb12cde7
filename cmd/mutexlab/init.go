package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"mutexlab/algorithms"
	"mutexlab/examples"
	"mutexlab/scripts"
)

func init() {
	c := &command{
		name:    "init",
		usage:   "init DIR",
		summary: "copy the Lua scripts and example scenarios into DIR for editing",
	}
	c.run = func(args []string) error {
		fs := newFlags(c)
		force := fs.Bool("force", false, "overwrite files that already exist")
		pos, err := parseFlags(fs, args)
		if err != nil {
			return err
		}
		if len(pos) != 1 {
			return usageErr("expected one folder, e.g. mutexlab init mylab")
		}
		return initDir(pos[0], *force)
	}
	register(c)
}

// initDir lays out DIR/algorithms, DIR/scripts and the example scenarios
// in DIR itself. A run of a scenario in DIR (whose folder is searched
// first), or with --scripts DIR, picks the copies up before the embedded
// originals.
func initDir(dir string, force bool) error {
	sets := []struct {
		sub string
		fs  fs.FS
	}{{"algorithms", algorithms.FS}, {"scripts", scripts.FS}, {"", examples.FS}}
	n := 0
	for _, set := range sets {
		err := fs.WalkDir(set.fs, ".", func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || filepath.Ext(path) == ".go" {
				return err
			}
			dst := filepath.Join(dir, set.sub, path)
			if _, err := os.Stat(dst); err == nil && !force {
				return usageErr("%s exists; use --force to overwrite", dst)
			}
			b, err := fs.ReadFile(set.fs, path)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return err
			}
			n++
			return os.WriteFile(dst, b, 0o644)
		})
		if err != nil {
			var ee *exitError
			if errors.As(err, &ee) {
				return err
			}
			return runtimeErr("init: %v", err)
		}
	}
	fmt.Printf("copied %d files into %s\n", n, dir)
	fmt.Printf("edit %s, then: mutexlab run %s\n", filepath.Join(dir, "algorithms", "lamport.lua"), filepath.Join(dir, "seed.lua"))
	return nil
}
