package gokeras

import (
	"fmt"
	"strings"
	"testing"
)

// SummaryTableForTest renders the model line and table of Summary for
// given cells, so tests can put cells through it that no layer makes.
func SummaryTableForTest(name string, rows [][3]string) string {
	var b strings.Builder
	writeSummaryTable(&b, name, rows)
	return b.String()
}

// Keras's readable_memory_size: base 1024, two decimals, Python's
// correctly rounded "{:.2f}" (halves to even: 1.125 -> 1.12, 1.375 -> 1.38).
func TestReadableSize(t *testing.T) {
	for _, c := range []struct {
		bytes float64
		want  string
	}{
		{0, "0.00 B"},
		{144, "144.00 B"},
		{1023, "1023.00 B"},
		{1024, "1.00 KB"},
		{1152, "1.12 KB"},
		{1408, "1.38 KB"},
		{139304, "136.04 KB"},
		{8828968, "8.42 MB"},
		{1024 * 1024 * 1024 * 3.5, "3.50 GB"},
		{1024 * 1024 * 1024 * 1024 * 1024 * 2, "2.00 PB"},
		{1024 * 1024 * 1024 * 1024 * 1024 * 1024 * 2, "2.00 PB"}, // Keras divides once past PB
	} {
		if got := readableSize(c.bytes); got != c.want {
			t.Errorf("readableSize(%v) = %q, want %q", c.bytes, got, c.want)
		}
	}
}

// The column widths follow from Keras's line length and positions and
// rich's fitting (see summaryWidths): the box is 76 characters wide.
func TestSummaryWidths(t *testing.T) {
	total := 4 // the four rules
	for _, w := range summaryWidths {
		total += w + 2
	}
	if total != 76 {
		t.Errorf("table is %d wide, want 76", total)
	}
}

// Keras 3's Functional table: line length 76, positions 0.3, 0.56, 0.74,
// 1.0, as the toy ResNet of keras.io's Functional API guide shows (19, 17,
// 10 and 17 characters between the bars' padding).
func TestRichWidths(t *testing.T) {
	for _, c := range []struct {
		positions []float64
		want      []int
	}{
		{[]float64{0.45, 0.80, 1.0}, []int{31, 22, 13}},
		{[]float64{0.3, 0.56, 0.74, 1.0}, []int{19, 17, 10, 17}},
	} {
		got := richWidths(76, c.positions)
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("richWidths(76, %v) = %v, want %v", c.positions, got, c.want)
		}
	}
}

func TestWrapCell(t *testing.T) {
	for _, c := range []struct {
		text  string
		width int
		right bool
		want  []string
	}{
		{"dense (Dense)", 31, false, []string{"dense (Dense)" + strings.Repeat(" ", 18)}},
		{"global_average_pooling2d (GlobalAveragePooling2D)", 31, false,
			[]string{"global_average_pooling2d       ", "(GlobalAveragePooling2D)       "}},
		{"abcdefghij (K)", 5, false, []string{"abcd…", "(K)  "}},
		{"1,234", 8, true, []string{"   1,234"}},
		{"0 (unbuilt)", 13, true, []string{"  0 (unbuilt)"}},
		{"123,456,789,012,345", 13, true, []string{"123,456,789,…"}},
		{"", 4, false, []string{"    "}},
		{"a b c d", 3, false, []string{"a b", "c d"}},
	} {
		got := wrapCell(c.text, c.width, c.right)
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("wrapCell(%q, %d, %v) = %q, want %q", c.text, c.width, c.right, got, c.want)
		}
	}
}
