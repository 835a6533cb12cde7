package main

import (
	"os"
	"testing"

	"mutexlab/runtime/cluster/clustertest"
)

// The subcommands' tests run the real binary: built once (lazily, so
// tests that need no processes do not wait for it).
func TestMain(m *testing.M) { os.Exit(clustertest.Main(m)) }

// testBinary returns the path of a freshly built mutexlab.
func testBinary(t *testing.T) string { return clustertest.Binary(t) }
