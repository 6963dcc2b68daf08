package plot

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"sort"
	"strconv"
	"strings"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Size of one panel of TrainingCurves, in pixels.
const (
	PanelWidth  = 420
	PanelHeight = 320
)

// Line colours of TrainingCurves: matplotlib's first two, as Keras
// tutorials plot history.history.
var (
	TrainColor = color.RGBA{0x1f, 0x77, 0xb4, 255} // tab:blue
	ValColor   = color.RGBA{0xff, 0x7f, 0x0e, 255} // tab:orange
)

// curvePanels groups history keys into panels: "loss" first, then the
// other quantities alphabetically, each with its "val_" twin.
func curvePanels(history map[string][]float64) [][2]string {
	var names []string
	for k := range history {
		base, isVal := strings.CutPrefix(k, "val_")
		if isVal {
			if _, ok := history[base]; ok {
				continue // drawn with its training twin
			}
		}
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool {
		if (names[i] == "loss") != (names[j] == "loss") {
			return names[i] == "loss"
		}
		return names[i] < names[j]
	})
	panels := make([][2]string, len(names))
	for i, k := range names {
		panels[i] = [2]string{k, ""}
		if _, ok := history["val_"+k]; ok && !strings.HasPrefix(k, "val_") {
			panels[i][1] = "val_" + k
		}
	}
	return panels
}

// TrainingCurves draws a training history — Keras's History.history, one
// value per epoch keyed "loss", "accuracy", "val_loss", … — as one panel
// per quantity, side by side, each PanelWidth×PanelHeight pixels, with
// training (TrainColor) and validation (ValColor) on the same axes.
// Epochs are the x values, 1 for the first epoch; nil means 1, 2, ….
// NaN and infinite values (a diverged run) are left out of the lines.
func TrainingCurves(epochs []int, history map[string][]float64) (*image.RGBA, error) {
	panels := curvePanels(history)
	if len(panels) == 0 {
		return nil, fmt.Errorf("plot: the history is empty; train for at least one epoch")
	}
	n := 0
	for _, v := range history {
		n = max(n, len(v))
	}
	if epochs == nil {
		epochs = make([]int, n)
		for i := range epochs {
			epochs[i] = i + 1
		}
	}
	for k, v := range history {
		if len(v) != len(epochs) {
			return nil, fmt.Errorf("plot: %q has %d values for %d epochs", k, len(v), len(epochs))
		}
	}
	const dpi = 96
	px := func(n int) vg.Length { return vg.Length(n) * vg.Inch / dpi }
	cv := vgimg.NewWith(vgimg.UseWH(px(PanelWidth*len(panels)), px(PanelHeight)), vgimg.UseDPI(dpi))
	dc := draw.New(cv)
	tiles := draw.Tiles{Rows: 1, Cols: len(panels), PadTop: 6, PadBottom: 6, PadLeft: 6, PadRight: 6, PadX: 12}
	for i, keys := range panels {
		p, err := curvePanel(epochs, history, keys)
		if err != nil {
			return nil, err
		}
		p.Draw(tiles.At(dc, i, 0))
	}
	img, ok := cv.Image().(*image.RGBA)
	if !ok {
		// vgimg draws into an *image.RGBA today; copy if that changes.
		b := cv.Image().Bounds()
		rgba := image.NewRGBA(b)
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				rgba.Set(x, y, cv.Image().At(x, y))
			}
		}
		img = rgba
	}
	return img, nil
}

func curvePanel(epochs []int, history map[string][]float64, keys [2]string) (*gplot.Plot, error) {
	p := gplot.New()
	// Sans-serif, as matplotlib draws; gonum/plot's default is serif.
	for _, st := range []*text.Style{&p.Title.TextStyle, &p.X.Label.TextStyle, &p.Y.Label.TextStyle, &p.X.Tick.Label, &p.Y.Tick.Label, &p.Legend.TextStyle} {
		st.Font.Variant = "Sans"
	}
	p.Title.Text = keys[0]
	p.X.Label.Text = "epoch"
	p.X.Tick.Marker = integerTicks{}
	p.Add(plotter.NewGrid())
	// The legend goes where the training curve is not at the end: top
	// right for a falling loss, bottom right for a rising accuracy.
	if v := finite(history[keys[0]]); len(v) > 1 {
		p.Legend.Top = v[len(v)-1] < v[0]
	} else {
		p.Legend.Top = true
	}
	p.Legend.XOffs = -vg.Points(8)
	p.Legend.YOffs = vg.Points(8)
	if p.Legend.Top {
		p.Legend.YOffs = -vg.Points(8)
	}
	for j, k := range keys {
		if k == "" {
			continue
		}
		var xys plotter.XYs
		for e, v := range history[k] {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			xys = append(xys, plotter.XY{X: float64(epochs[e]), Y: v})
		}
		if len(xys) == 0 {
			continue
		}
		line, points, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, fmt.Errorf("plot: %s: %w", k, err)
		}
		col, label := TrainColor, "training"
		if j == 1 || strings.HasPrefix(k, "val_") {
			col, label = ValColor, "validation"
		}
		line.Color = col
		line.Width = vg.Points(1.5)
		points.Color = col
		points.Shape = draw.CircleGlyph{}
		points.Radius = vg.Points(2.5)
		p.Add(line, points)
		p.Legend.Add(label, line, points)
	}
	// One epoch is one point: widen the x range so it is not on the edge.
	if p.X.Min == p.X.Max {
		p.X.Min, p.X.Max = p.X.Min-1, p.X.Max+1
	}
	if p.Y.Min == p.Y.Max {
		p.Y.Min, p.Y.Max = p.Y.Min-0.5, p.Y.Max+0.5
	}
	return p, nil
}

// finite returns the values that are neither NaN nor infinite.
func finite(v []float64) []float64 {
	var out []float64
	for _, f := range v {
		if !math.IsNaN(f) && !math.IsInf(f, 0) {
			out = append(out, f)
		}
	}
	return out
}

// integerTicks labels whole epochs only, at most about ten of them.
type integerTicks struct{}

func (integerTicks) Ticks(lo, hi float64) []gplot.Tick {
	first, last := int(math.Ceil(lo)), int(math.Floor(hi))
	step := 1
	for _, s := range []int{1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000} {
		step = s
		if (last-first)/s <= 10 {
			break
		}
	}
	var ticks []gplot.Tick
	for v := first; v <= last; v++ {
		t := gplot.Tick{Value: float64(v)}
		if v%step == 0 {
			t.Label = strconv.Itoa(v)
		} else if step > 5 {
			continue // no minor tick per epoch on long runs
		}
		ticks = append(ticks, t)
	}
	return ticks
}
