package scenario

import "strconv"

// What a network draw decides: whether a message is lost, whether it is
// delivered twice.
const (
	DrawLoss      uint64 = 0x6c6f7373
	DrawDuplicate uint64 = 0x647570
)

// NetworkDraw is a uniform number in [0, 1) fixed by the seed, the
// channel (its index among the run's directed links), the message's place
// on it (k, from 1) and what is drawn. The simulator and a real run's
// receivers draw loss and duplicates with it, so a plan loses the same
// messages in both.
func NetworkDraw(seed int64, channel uint64, k int64, what uint64) float64 {
	x := (uint64(seed)^what)*0x9e3779b97f4a7c15 ^ channel*0xbf58476d1ce4e5b9 ^ uint64(k)*0x94d049bb133111eb
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return float64(x>>11) / (1 << 53)
}

// Ordinal writes n as 1st, 2nd, 3rd, 4th, ..., 11th, 12th, 13th, 21st.
func Ordinal(n int64) string {
	suffix := "th"
	if n%100 < 11 || n%100 > 13 {
		switch n % 10 {
		case 1:
			suffix = "st"
		case 2:
			suffix = "nd"
		case 3:
			suffix = "rd"
		}
	}
	return strconv.FormatInt(n, 10) + suffix
}
