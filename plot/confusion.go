package plot

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"io"
	"strconv"
	"strings"
)

// Confusion is a confusion matrix: how often each true class was
// predicted as each class.
type Confusion struct {
	Classes []string // class names in index order
	Counts  [][]int  // Counts[t][p]: samples of true class t predicted as p
}

// NewConfusion counts the pairs (yTrue[i], yPred[i]). Classes names the
// classes; nil means as many as the largest label, named by index.
func NewConfusion(classes []string, yTrue, yPred []int) (*Confusion, error) {
	if len(yTrue) != len(yPred) {
		return nil, fmt.Errorf("plot: %d true labels but %d predictions", len(yTrue), len(yPred))
	}
	n := len(classes)
	if classes == nil {
		for i := range yTrue {
			n = max(n, yTrue[i]+1, yPred[i]+1)
		}
		classes = indexCaptions(n)
	}
	c := &Confusion{Classes: classes, Counts: make([][]int, n)}
	for i := range c.Counts {
		c.Counts[i] = make([]int, n)
	}
	for i := range yTrue {
		t, p := yTrue[i], yPred[i]
		if t < 0 || t >= n || p < 0 || p >= n {
			return nil, fmt.Errorf("plot: sample %d has label %d, prediction %d; want 0..%d", i, t, p, n-1)
		}
		c.Counts[t][p]++
	}
	return c, nil
}

// Total is the number of samples counted.
func (c *Confusion) Total() int {
	s := 0
	for _, row := range c.Counts {
		for _, v := range row {
			s += v
		}
	}
	return s
}

// Accuracy is the fraction of samples on the diagonal; 0 when empty.
func (c *Confusion) Accuracy() float64 {
	right := 0
	for i, row := range c.Counts {
		right += row[i]
	}
	if t := c.Total(); t > 0 {
		return float64(right) / float64(t)
	}
	return 0
}

func (c *Confusion) maxCount() int {
	m := 0
	for _, row := range c.Counts {
		for _, v := range row {
			m = max(m, v)
		}
	}
	return m
}

// shortNames reports whether every class name fits a column heading.
func (c *Confusion) shortNames() bool {
	for _, s := range c.Classes {
		if len([]rune(s)) > 5 {
			return false
		}
	}
	return true
}

// WriteText prints the matrix as a table: one row per true class, one
// column per predicted class. Long class names head their rows with the
// class index, and the columns are numbered.
func (c *Confusion) WriteText(w io.Writer) error {
	short := c.shortNames()
	heads := c.Classes
	rows := c.Classes
	if !short {
		heads = indexCaptions(len(c.Classes))
		rows = make([]string, len(c.Classes))
		for i, s := range c.Classes {
			rows[i] = fmt.Sprintf("%d %s", i, s)
		}
	}
	cw := len(strconv.Itoa(c.maxCount()))
	for _, h := range heads {
		cw = max(cw, len([]rune(h)))
	}
	lw := len("true \\ pred")
	for _, r := range rows {
		lw = max(lw, len([]rune(r)))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "confusion matrix: %d samples, accuracy %.4f; rows are true classes, columns predicted\n", c.Total(), c.Accuracy())
	fmt.Fprintf(&b, "%-*s", lw, "true \\ pred")
	for _, h := range heads {
		fmt.Fprintf(&b, " %*s", cw, h)
	}
	b.WriteByte('\n')
	for i, row := range c.Counts {
		fmt.Fprintf(&b, "%-*s", lw, rows[i])
		for _, v := range row {
			fmt.Fprintf(&b, " %*d", cw, v)
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// confusionLayout places the parts of the heat map.
type confusionLayout struct {
	cell       int // side of one cell
	x0, y0     int // top-left corner of the matrix
	labelW     int // widest class name
	width, hgt int
}

func (c *Confusion) layout() confusionLayout {
	n := len(c.Classes)
	l := confusionLayout{cell: max(28, textWidth(strconv.Itoa(c.maxCount()))+8)}
	for _, s := range c.Classes {
		l.labelW = max(l.labelW, textWidth(s))
	}
	l.x0 = margin + lineHeight + gap + l.labelW + gap
	l.y0 = margin + lineHeight + gap
	title := textWidth(c.title())
	l.width = max(l.x0+n*l.cell+margin, title+2*margin)
	l.hgt = l.y0 + n*l.cell + gap + l.labelW + gap + lineHeight + margin
	return l
}

func (c *Confusion) title() string {
	return fmt.Sprintf("confusion matrix: %d samples, accuracy %.1f%%", c.Total(), 100*c.Accuracy())
}

// cellRect is the square of true class t, predicted class p.
func (l confusionLayout) cellRect(t, p int) image.Rectangle {
	x, y := l.x0+p*l.cell, l.y0+t*l.cell
	return image.Rect(x, y, x+l.cell, y+l.cell)
}

// Image draws the matrix as a heat map: true classes down the left,
// predicted classes along the bottom, each cell shaded by its count
// (Blues, darkest for the largest count) with the count written in it.
func (c *Confusion) Image() *image.RGBA {
	n := len(c.Classes)
	l := c.layout()
	dst := newCanvas(l.width, l.hgt)
	drawTextCentered(dst, l.width/2, margin, c.title(), ink)
	mx := max(c.maxCount(), 1)
	for t := 0; t < n; t++ {
		for p := 0; p < n; p++ {
			v := float64(c.Counts[t][p]) / float64(mx)
			r := l.cellRect(t, p)
			draw.Draw(dst, r, image.NewUniform(Blues.At(v)), image.Point{}, draw.Src)
			txt := ink
			if v > 0.5 {
				txt = color.RGBA{255, 255, 255, 255}
			}
			drawTextCentered(dst, (r.Min.X+r.Max.X)/2, (r.Min.Y+r.Max.Y-lineHeight)/2, strconv.Itoa(c.Counts[t][p]), txt)
		}
	}
	// A frame keeps the light cells from melting into the page.
	frame := image.Rect(l.x0-1, l.y0-1, l.x0+n*l.cell+1, l.y0+n*l.cell+1)
	gray := image.NewUniform(color.RGBA{160, 160, 160, 255})
	for _, r := range []image.Rectangle{
		{frame.Min, image.Pt(frame.Max.X, frame.Min.Y+1)},
		{image.Pt(frame.Min.X, frame.Max.Y-1), frame.Max},
		{frame.Min, image.Pt(frame.Min.X+1, frame.Max.Y)},
		{image.Pt(frame.Max.X-1, frame.Min.Y), frame.Max},
	} {
		draw.Draw(dst, r, gray, image.Point{}, draw.Src)
	}
	for i, s := range c.Classes {
		// Row labels right-aligned against the matrix.
		r := l.cellRect(i, 0)
		drawText(dst, l.x0-gap-textWidth(s), (r.Min.Y+r.Max.Y-lineHeight)/2, s, ink)
		// Column labels read upwards, ending just under the matrix.
		r = l.cellRect(n-1, i)
		drawTextUp(dst, (r.Min.X+r.Max.X-lineHeight)/2, r.Max.Y+gap, s, ink)
	}
	mid := l.y0 + n*l.cell/2
	drawTextUp(dst, margin, mid-textWidth("true")/2, "true", ink)
	drawTextCentered(dst, l.x0+n*l.cell/2, l.hgt-margin-lineHeight, "predicted", ink)
	return dst
}
