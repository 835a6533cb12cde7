package cluster

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"mutexlab/runtime/scenario"
)

// A node killed (by a signal, from outside) after a stranger made it
// print a refusal is reported as killed, not by that last line.
func TestKilledAfterStrangerIsReportedKilled(t *testing.T) {
	s, err := scenario.LoadEmbedded("seed")
	if err != nil {
		t.Fatal(err)
	}
	s.Speed = 50
	lines := make(chan string, 64)
	c, err := Start(Options{Scenario: s, Binary: bin, StallAfter: -1, OnStderr: func(node, line string) {
		select {
		case lines <- node + ": " + line:
		default:
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop("stopped")
	conn, err := net.Dial("tcp", c.Meta().Addresses["A1"])
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "garbage, not a frame\n")
	conn.Close()
	for line := range lines {
		if strings.HasPrefix(line, "A1: A1: refused a connection from") {
			break
		}
	}
	syscall.Kill(c.PIDs()["A1"], syscall.SIGKILL)
	select {
	case <-c.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("the run did not end after A1 was killed")
	}
	if o := c.Outcome(); o.Failed != "A1" || o.Err != "A1: killed" || o.ScriptError {
		t.Fatalf("outcome %+v, want A1: killed", o)
	}
}

// A node started by hand refuses a HELLO with the old guessable default
// secret ("mutexlab-" and the scenario's name): no forged CS_GRANT gets in.
func TestByHandRefusesGuessableSecret(t *testing.T) {
	dir := t.TempDir()
	base := freePorts(t, 8)
	scen := fmt.Sprintf(`return { name = "byhand", port = %d, groups = { {id = "A", algorithm = "lamport", lightweights = 3}, {id = "B", algorithm = "ricart_agrawala", lightweights = 3} } }`, base)
	os.WriteFile(filepath.Join(dir, "byhand.lua"), []byte(scen), 0o644)
	cmd := exec.Command(bin, "node", "--id", "A1", "byhand.lua")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), EnvSecret+"=a-secret-for-this-test")
	errOut, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}()
	sc := bufio.NewScanner(errOut)
	next := func() string {
		if !sc.Scan() {
			t.Fatalf("A1's stderr ended: %v", sc.Err())
		}
		return sc.Text()
	}
	if l := next(); !strings.Contains(l, "listening on") {
		t.Fatalf("first line %q", l)
	}
	conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", base+2))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, `{"type":"HELLO","sender":"A","ts":0,"payload":{"session":"mutexlab-byhand"}}`+"\n")
	fmt.Fprintf(conn, `{"type":"CS_GRANT","sender":"A","ts":1,"payload":{}}`+"\n")
	for {
		l := next()
		if strings.Contains(l, "refused a connection") {
			if !strings.Contains(l, "HELLO from A: wrong session secret") {
				t.Fatalf("refused for another reason: %s", l)
			}
			break
		}
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := bufio.NewReader(conn).ReadByte(); err == nil {
		t.Fatal("the forger's connection is still open")
	}
}
