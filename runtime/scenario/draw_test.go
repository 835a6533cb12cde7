package scenario

import "testing"

func TestOrdinal(t *testing.T) {
	for n, want := range map[int64]string{1: "1st", 2: "2nd", 3: "3rd", 4: "4th", 11: "11th", 12: "12th", 13: "13th", 21: "21st", 22: "22nd", 101: "101st", 111: "111th", 0: "0th"} {
		if got := Ordinal(n); got != want {
			t.Errorf("Ordinal(%d) = %q, want %q", n, got, want)
		}
	}
}

// The draws are uniform in [0, 1), repeat for the same inputs and differ
// between loss and duplicate, so a plan's 10% loss loses about a tenth.
func TestNetworkDraw(t *testing.T) {
	lost, dups := 0, 0
	for k := int64(1); k <= 10000; k++ {
		l := NetworkDraw(7, 3, k, DrawLoss)
		if l < 0 || l >= 1 {
			t.Fatalf("draw %v out of [0, 1)", l)
		}
		if l != NetworkDraw(7, 3, k, DrawLoss) {
			t.Fatal("the same draw twice differs")
		}
		if l < 0.1 {
			lost++
		}
		if NetworkDraw(7, 3, k, DrawDuplicate) < 0.1 {
			dups++
		}
	}
	if lost < 900 || lost > 1100 || dups < 900 || dups > 1100 {
		t.Fatalf("10%% draws: %d lost, %d duplicated of 10000", lost, dups)
	}
	if NetworkDraw(1, 3, 5, DrawLoss) == NetworkDraw(2, 3, 5, DrawLoss) {
		t.Fatal("the seed changes nothing")
	}
}
