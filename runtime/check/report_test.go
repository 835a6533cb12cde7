package check

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestPrint(t *testing.T) {
	r := Run(readTrace(t, "interleaved_prints.jsonl"), Options{})
	var buf bytes.Buffer
	r.Print(&buf, false)
	out := buf.String()
	if strings.Contains(out, "\x1b[") {
		t.Fatalf("escape codes without color:\n%s", out)
	}
	r.TraceFile = "interleaved_prints.jsonl"
	var named bytes.Buffer
	r.Print(&named, false)
	want := []string{
		"mutual exclusion  FAIL  1 pair among 3 critical sections not ordered by happened-before (1 overlapping in wall time)\n",
		"screen            FAIL  1 interleaving (all follow from mutual exclusion)\n",
		"liveness          PASS  3 grants, each followed by an entry; no stall\n",
		"messages          PASS  measured/expected: A lamport 6/6 for 2 entries",
		// The root cause with its events, what follows from it under it.
		"\n1 root cause and 1 finding that follows from it (lines of interleaved_prints.jsonl):\n" +
			"  1  mutual exclusion: A1's critical section (lines 30-35) and A2's (lines 32-37) are concurrent: ",
		"       line 30    A1   cs_enter             0.028s  lc 7     vc {A:3 A1:11 A2:8}\n",
		"       line 37    A2   cs_exit              0.035s  lc 7     vc {A:3 A1:8 A2:14}\n" +
			"     ↳ 2  screen: A2 printed (line 33) between two lines of A1's critical section (lines 31 and 34)\n" +
			"verdict           FAIL  mutual exclusion, screen (1 root cause)\n",
	}
	for _, w := range want {
		if !strings.Contains(named.String(), w) {
			t.Errorf("output lacks %q:\n%s", w, named.String())
		}
	}
	// 6 rows, a blank line, the heading, 1 root with 4 events, 1 consequence, the verdict.
	if n := strings.Count(out, "\n"); n != 6+1+1+1+4+1+1 {
		t.Errorf("%d lines:\n%s", n, out)
	}
	if !strings.HasSuffix(out, "verdict           FAIL  mutual exclusion, screen (1 root cause)\n") {
		t.Errorf("the report does not end with its verdict:\n%s", out)
	}

	buf.Reset()
	r.Print(&buf, true)
	if !strings.Contains(buf.String(), "\x1b[31;1mFAIL\x1b[0;22m") || !strings.Contains(buf.String(), "\x1b[32mPASS\x1b[0m") {
		t.Errorf("no colors:\n%q", buf.String())
	}
}

func TestPrintMoreAndWarnings(t *testing.T) {
	r := Run(readTrace(t, "stall.jsonl"), Options{MaxEvidence: 1})
	r.Warnings = []string{"line 9: something odd"}
	var buf bytes.Buffer
	r.Print(&buf, false)
	for _, w := range []string{"  ... and 1 more left out", "warning: line 9: something odd\n", "mutual exclusion  SKIP  no critical section was entered\n",
		"     ↳ 2  liveness: A1 received CS_GRANT from A (line 14) and never entered the critical section\n"} {
		if !strings.Contains(buf.String(), w) {
			t.Errorf("output lacks %q:\n%s", w, buf.String())
		}
	}
}

func TestJSON(t *testing.T) {
	r := Run(readTrace(t, "out_of_order.jsonl"), Options{})
	b, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Failed  bool `json:"failed"`
		Results []struct {
			Check    string `json:"check"`
			Status   string `json:"status"`
			Evidence []struct {
				Nodes  []string `json:"nodes"`
				Events []struct {
					Line int              `json:"line"`
					Node string           `json:"node"`
					LC   int64            `json:"lc"`
					VC   map[string]int64 `json:"vc"`
				} `json:"events"`
			} `json:"evidence"`
		} `json:"results"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if !got.Failed || len(got.Results) != 6 || got.Results[3].Check != Order || got.Results[3].Status != "fail" {
		t.Fatalf("decoded %+v", got)
	}
	e := got.Results[3].Evidence[0].Events[2]
	if e.Line != 28 || e.Node != "A2" || e.LC != 7 || e.VC["A1"] != 8 {
		t.Errorf("event %+v", e)
	}
	if !bytes.HasSuffix(b, []byte("}\n")) {
		t.Errorf("no final newline")
	}
	// The verdict, and each finding's id and the root it follows from.
	grouped, _ := Run(readTrace(t, "interleaved_prints.jsonl"), Options{}).JSON()
	var doc struct {
		Verdict string `json:"verdict"`
		Results []struct {
			Evidence []struct {
				ID    int `json:"id"`
				Cause int `json:"cause"`
			} `json:"evidence"`
		} `json:"results"`
	}
	if err := json.Unmarshal(grouped, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Verdict != "FAIL  mutual exclusion, screen (1 root cause)" || len(doc.Results[1].Evidence) != 1 ||
		doc.Results[0].Evidence[0].ID != 1 || doc.Results[1].Evidence[0].Cause != 1 {
		t.Errorf("grouped JSON: %+v\n%s", doc, grouped)
	}
	clean, _ := Run(readTrace(t, "clean_ra.jsonl"), Options{}).JSON()
	if !bytes.Contains(clean, []byte(`"failed": false`)) || bytes.Contains(clean, []byte(`"evidence"`)) {
		t.Errorf("clean report:\n%s", clean)
	}
}
