package gokeras

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gokeras/gokeras/optim"
)

// Summary writes Keras 3's model.summary() as Keras prints it where the
// output is not a terminal (a file, a pipe, a notebook's captured stdout):
//
//	Model: "sequential"
//	┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
//	┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
//	┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
//	│ conv2d (Conv2D)                 │ (None, 26, 26, 32)     │           320 │
//	├─────────────────────────────────┼────────────────────────┼───────────────┤
//	│ batch_normalization             │ (None, 26, 26, 32)     │           128 │
//	│ (BatchNormalization)            │                        │               │
//	└─────────────────────────────────┴────────────────────────┴───────────────┘
//	 Total params: 448 (1.75 KB)
//	 Trainable params: 384 (1.50 KB)
//	 Non-trainable params: 64 (256.00 B)
//
// A cell too long for its column wraps at spaces, and a word too long for
// its column ends in "…", as rich (the library Keras draws the table with)
// does. Trainable counts leave out frozen layers' weights. Once the model
// has trained, an "Optimizer params" line counts the optimizer's variables
// as Keras does (its step counter, its learning rate unless a schedule
// drives it, and its slots such as Adam's m and v), and the total includes
// them. Sizes are float32 bytes in units of 1024, with two decimals.
//
// The model is built first if it can be. A model without an input shape
// is summarised as Keras summarises one that has not seen data: output
// shape "?", "0 (unbuilt)" parameters.
func (m *Sequential) Summary(w io.Writer) error {
	unbuilt := !m.net.Built() && len(m.net.Layers) > 0 && len(m.net.DeclaredInputShape()) == 0
	if unbuilt {
		if err := m.net.AssignNames(); err != nil {
			return err
		}
	} else if err := m.ensureBuilt(nil); err != nil {
		return err
	}
	rows := make([][3]string, len(m.net.Layers))
	for i, l := range m.net.Layers {
		shape, params := "?", "0 (unbuilt)"
		if !unbuilt {
			n := 0
			for _, p := range l.Params() {
				n += p.Value.Shape.Size()
			}
			shape = shapeString(append([]int{-1}, m.net.LayerOutputShape(i)...))
			params = commas(n)
		}
		rows[i] = [3]string{l.LayerName() + " (" + l.Class() + ")", shape, params}
	}
	var b strings.Builder
	writeSummaryTable(&b, m.Name, rows)

	var trainable, non int
	if !unbuilt {
		_, trainable, non = m.net.CountParams()
	}
	optCount, optBytes, optBuilt := 0, 0.0, false
	if m.compiled && !unbuilt {
		optCount, optBytes, optBuilt = optimizerVariables(m.model.Optimizer, m.schedule != nil)
	}
	const f32 = 4 // bytes per weight
	footer := func(what string, n int, bytes float64) {
		fmt.Fprintf(&b, " %s params: %s (%s)\n", what, commas(n), readableSize(bytes))
	}
	footer("Total", trainable+non+optCount, float64(trainable*f32)+float64(non*f32)+optBytes)
	footer("Trainable", trainable, float64(trainable*f32))
	footer("Non-trainable", non, float64(non*f32))
	if optBuilt {
		footer("Optimizer", optCount, optBytes)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// summaryWidths are the text widths of the three columns. Keras 3
// (keras/src/utils/summary_utils.py, print_summary) gives a Sequential's
// table a line length of min(88, terminal columns - 4), which is 76 where
// there is no terminal (Python's fallback is 80 columns), and the columns
// the positions 0.45, 0.80 and 1.0 of it: 34, 26 and 16. rich then fits
// them and their one-space padding on each side (36+28+18) into the 72
// columns inside the table's four rules, taking 10 away in proportion,
// rounded half to even: 3, 4 and 3. The result is 33, 24 and 15 with the
// padding, the widths every Keras 3 summary printed to a file shows.
var summaryWidths = [3]int{31, 22, 13}

// writeSummaryTable writes the model line and rich's HEAVY_HEAD box with
// a rule between rows.
func writeSummaryTable(b *strings.Builder, name string, rows [][3]string) {
	b.WriteString("Model: \"" + name + "\"\n")
	t := summaryTable{w: b}
	t.rule('┏', '━', '┳', '┓')
	t.row('┃', "Layer (type)", "Output Shape", "Param #")
	t.rule('┡', '━', '╇', '┩')
	for i, r := range rows {
		if i > 0 {
			t.rule('├', '─', '┼', '┤')
		}
		t.row('│', r[0], r[1], r[2])
	}
	t.rule('└', '─', '┴', '┘')
}

type summaryTable struct{ w *strings.Builder }

func (t summaryTable) rule(left, fill, cross, right rune) {
	t.w.WriteRune(left)
	for i, width := range summaryWidths {
		if i > 0 {
			t.w.WriteRune(cross)
		}
		t.w.WriteString(strings.Repeat(string(fill), width+2))
	}
	t.w.WriteRune(right)
	t.w.WriteByte('\n')
}

// row writes one table row; cells wrap onto as many lines as the tallest
// needs, the others filled with blanks. The last column is right-aligned.
func (t summaryTable) row(bar rune, cells ...string) {
	var lines [3][]string
	height := 0
	for i, c := range cells {
		lines[i] = wrapCell(c, summaryWidths[i], i == 2)
		height = max(height, len(lines[i]))
	}
	for k := range height {
		for i := range cells {
			t.w.WriteRune(bar)
			t.w.WriteByte(' ')
			if k < len(lines[i]) {
				t.w.WriteString(lines[i][k])
			} else {
				t.w.WriteString(strings.Repeat(" ", summaryWidths[i]))
			}
			t.w.WriteByte(' ')
		}
		t.w.WriteRune(bar)
		t.w.WriteByte('\n')
	}
}

// wrapCell lays text out in lines of exactly width characters, as rich
// does for a table cell with overflow "ellipsis" (rich/_wrap.py
// divide_line without folding, then text.py wrap and containers.py
// justify): a line breaks before a word that would pass the width; a word
// longer than the width gets a line of its own, cut to width-1 characters
// and "…"; lines are padded on the right, or on the left when right is set.
// Characters count one column each (rich counts East Asian wide ones as
// two; layer names rarely hold any).
func wrapCell(text string, width int, right bool) []string {
	var out []string
	for _, para := range strings.Split(text, "\n") {
		for _, line := range divideLine(para, width) {
			r := []rune(line)
			if right {
				r = []rune(strings.TrimRightFunc(line, unicode.IsSpace))
			} else if len(r) > width {
				// Trailing spaces past the width go first (rstrip_end).
				n := len(r) - len(strings.TrimRightFunc(line, unicode.IsSpace))
				r = r[:len(r)-min(n, len(r)-width)]
			}
			if len(r) > width {
				r = append(r[:width-1:width-1], '…')
			}
			pad := strings.Repeat(" ", width-len(r))
			if right {
				out = append(out, pad+string(r))
			} else {
				out = append(out, string(r)+pad)
			}
		}
	}
	return out
}

// divideLine splits s into lines of words, each word keeping the spaces
// after it: a word starts a new line when it would pass width, and a word
// longer than width sits on a line of its own.
func divideLine(s string, width int) []string {
	var lines []string
	start, pos := 0, 0 // start of the current line, its length so far
	for i := 0; i < len(s); {
		// A word: leading spaces (only at the start of s), non-spaces,
		// trailing spaces.
		j := i
		for j < len(s) && isSpaceAt(s, j) {
			j += runeLen(s, j)
		}
		if j == len(s) {
			break // only spaces left: rich's word pattern needs a non-space
		}
		for j < len(s) && !isSpaceAt(s, j) {
			j += runeLen(s, j)
		}
		bare := utf8.RuneCountInString(s[i:j])
		for j < len(s) && isSpaceAt(s, j) {
			j += runeLen(s, j)
		}
		full := utf8.RuneCountInString(s[i:j])
		if pos+bare > width && i > 0 && (pos > 0 || bare > width) {
			lines = append(lines, s[start:i])
			start, pos = i, full
		} else {
			pos += full
		}
		i = j
	}
	return append(lines, s[start:])
}

func isSpaceAt(s string, i int) bool {
	r, _ := utf8.DecodeRuneInString(s[i:])
	return unicode.IsSpace(r)
}

func runeLen(s string, i int) int {
	_, n := utf8.DecodeRuneInString(s[i:])
	return n
}

// optimizerVariables counts what Keras 3 lists in optimizer.variables
// (keras/src/optimizers/base_optimizer.py): the iteration counter, the
// learning rate unless a schedule sets it, and the slots. built is false
// until the optimizer has state (a step taken or state loaded), as Keras
// builds its optimizer at the start of training. Sizes are TensorFlow's,
// Keras's default backend: the counter is an int64 (8 bytes), the rest
// float32.
func optimizerVariables(o optim.Optimizer, schedule bool) (count int, bytes float64, built bool) {
	if o == nil {
		return 0, 0, false
	}
	slots := o.State()
	if o.Iterations() == 0 && len(slots) == 0 {
		return 0, 0, false
	}
	count, bytes = 1, 8
	if !schedule {
		count, bytes = count+1, bytes+4
	}
	for _, s := range slots {
		n := s.Value.Shape.Size()
		count += n
		bytes += float64(n) * 4
	}
	return count, bytes, true
}

// readableSize formats a byte count as Keras's readable_memory_size does
// (keras/src/utils/summary_utils.py): divided by 1024 while that leaves at
// least 1, with two decimals and the unit: "8.42 MB", "144.00 B".
func readableSize(bytes float64) string {
	units := []string{"B", "KB", "MB", "GB", "TB", "PB"}
	for _, u := range units {
		if bytes/1024 < 1 {
			return strconv.FormatFloat(bytes, 'f', 2, 64) + " " + u
		}
		bytes /= 1024
	}
	// Past the last unit Keras has divided once more; so does this.
	return strconv.FormatFloat(bytes, 'f', 2, 64) + " " + units[len(units)-1]
}

func shapeString(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		if d < 0 {
			parts[i] = "None"
		} else {
			parts[i] = fmt.Sprint(d)
		}
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// commas formats 2207242 as "2,207,242".
func commas(n int) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
