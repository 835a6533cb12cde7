// Package cluster launches a run's nodes as OS processes and talks to
// them: it relays their screens, collects their trace events, detects the
// end of a run (or a stall) and passes control commands to them. The
// other half, RunNode, is what each `mutexlab node` process runs.
//
// The launcher and its nodes share a control connection per node: the
// node dials the launcher's control address and opens with HELLO and the
// run's secret, like the node channels. Then it is lines:
//
//	trace line  node -> launcher   {"ev":"send",...}: one event, encoded once by the node, written to the trace as it is
//	CMD         launcher -> node   wire frame, payload: {"id": 7, "op": "deliver", "links": {"from": ["A1"]}, "n": 2}
//	RESULT      node -> launcher   wire frame, payload: {"id": 7, "moved": 2}  (or "err", "status", "value", "pending")
//
// A trace line starts with {"ev": (trace.IsEventLine), a wire frame with
// {"type":. A command and its result are driver.Command and
// driver.Result (runtime/driver), framed here by one encoder and one
// decoder each. Commands are applied by the node's driver between events;
// start and stop by the node process itself. The cluster's steering API
// (steer.go) is the only sender of commands that shape links or pause
// nodes, so that the cluster knows what is steered. How the launcher turns
// the nodes' lines into one trace is in collect.go.
package cluster

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"mutexlab/runtime/driver"
	"mutexlab/runtime/scenario"
	"mutexlab/runtime/wire"
)

// Control frame types.
const (
	typeCmd    = "CMD"
	typeResult = "RESULT"
)

// launcherID is the sender name of frames from the launcher.
const launcherID = "launcher"

// cmdFrame and resultFrame are the payloads of CMD and RESULT: the
// command or result, and the id that pairs them.
type cmdFrame struct {
	ID int64 `json:"id"`
	driver.Command
}

type resultFrame struct {
	ID int64 `json:"id"`
	driver.Result
}

// encodeCommand frames a command from the launcher.
func encodeCommand(id int64, cmd driver.Command) (wire.Message, error) {
	b, err := json.Marshal(cmdFrame{ID: id, Command: cmd})
	if err != nil {
		return wire.Message{}, fmt.Errorf("%s command: %v", cmd.Op, err)
	}
	return wire.Message{Type: typeCmd, Sender: launcherID, Payload: b}, nil
}

// decodeCommand reads a CMD frame's payload.
func decodeCommand(m wire.Message) (int64, driver.Command, error) {
	var f cmdFrame
	if err := json.Unmarshal(m.Payload, &f); err != nil {
		return 0, driver.Command{}, fmt.Errorf("bad %s frame: %v", typeCmd, err)
	}
	return f.ID, f.Command, nil
}

// encodeResult frames a node's answer to command id.
func encodeResult(sender string, id int64, res driver.Result) wire.Message {
	b, _ := json.Marshal(resultFrame{ID: id, Result: res})
	return wire.Message{Type: typeResult, Sender: sender, Payload: b}
}

// decodeResult reads a RESULT frame's payload.
func decodeResult(m wire.Message) (int64, driver.Result, error) {
	var f resultFrame
	if err := json.Unmarshal(m.Payload, &f); err != nil {
		return 0, driver.Result{}, fmt.Errorf("bad %s frame: %v", typeResult, err)
	}
	return f.ID, f.Result, nil
}

// Environment variables through which the launcher configures a node.
const (
	envControl  = "MUTEXLAB_CONTROL"   // launcher's control address
	envSession  = "MUTEXLAB_SESSION"   // the run's secret
	envEpoch    = "MUTEXLAB_EPOCH"     // the run clock's origin, Unix ns
	envAddrs    = "MUTEXLAB_ADDRS"     // id=host:port,...
	envListenFD = "MUTEXLAB_LISTEN_FD" // an inherited, bound listener
	envScenario = "MUTEXLAB_SCENARIO"  // the resolved scenario as JSON
	envScripts  = "MUTEXLAB_SCRIPTS"   // script folders, one a line ("embedded:..." kept as it is)
	envHold     = "MUTEXLAB_HOLD"      // "1": start with every incoming link held (HoldLinks)
)

func encodeAddrs(m map[string]string, order []string) string {
	parts := make([]string, 0, len(order))
	for _, id := range order {
		parts = append(parts, id+"="+m[id])
	}
	return strings.Join(parts, ",")
}

func decodeAddrs(s string) (map[string]string, error) {
	m := map[string]string{}
	for _, p := range strings.Split(s, ",") {
		id, addr, ok := strings.Cut(p, "=")
		if !ok {
			return nil, fmt.Errorf("%s: bad entry %q", envAddrs, p)
		}
		m[id] = addr
	}
	return m, nil
}

func encodeScenario(s *scenario.Scenario) (string, error) {
	b, err := json.Marshal(s)
	return string(b), err
}

func decodeScenario(s string) (*scenario.Scenario, error) {
	var sc scenario.Scenario
	if err := json.Unmarshal([]byte(s), &sc); err != nil {
		return nil, fmt.Errorf("%s: %v", envScenario, err)
	}
	return &sc, nil
}

func parseEpoch(s string) (time.Time, error) {
	ns, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %v", envEpoch, err)
	}
	return time.Unix(0, ns), nil
}
