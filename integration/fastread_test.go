package integration

import "testing"

// The decimal fast path reads exact text into the unscaled integer and
// leaves everything else to the exact parser.
func TestDecimal64(t *testing.T) {
	for _, c := range []struct {
		in           string
		width, scale int
		want         int64
		ok           bool
	}{
		{"12.34", 10, 2, 1234, true},
		{"-0.5", 10, 2, -50, true},
		{"+7", 5, 0, 7, true},
		{"007.100", 6, 2, 710, true},
		{"0", 4, 2, 0, true},
		{"999999999999999999", 18, 0, 999999999999999999, true},
		{"1.005", 10, 2, 0, false}, // more places than the scale
		{"12345", 6, 2, 0, false},  // too many integer digits
		{"1e5", 10, 2, 0, false},   // exponent
		{"", 10, 2, 0, false},      // no digits
		{" 1.5", 10, 2, 0, false},  // spaces go the slow way
		{"1.2.3", 10, 2, 0, false}, // not a number
	} {
		got, ok := decimal64(c.in, c.width, c.scale)
		if ok != c.ok || (ok && got != c.want) {
			t.Errorf("decimal64(%q, %d, %d) = %d, %v; want %d, %v", c.in, c.width, c.scale, got, ok, c.want, c.ok)
		}
	}
	for _, c := range []struct {
		n     int64
		scale int
		want  string
	}{{1234, 2, "12.34"}, {-5, 2, "-0.05"}, {7, 0, "7"}, {50, 3, "0.050"}} {
		if got := scaledText(c.n, c.scale); got != c.want {
			t.Errorf("scaledText(%d, %d) = %q, want %q", c.n, c.scale, got, c.want)
		}
	}
}
