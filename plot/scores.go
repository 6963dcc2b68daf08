package plot

import (
	"cmp"
	"fmt"
	"image"
	"math"
	"slices"
	"strconv"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// ParamScores draws a hyperparameter sweep's scores against one
// parameter, PanelWidth×PanelHeight pixels: every trial as a dot
// (ValColor) and the mean score of each value as a line (TrainColor), so
// the effect of the parameter shows across the others' values.
//
// values[i] is trial i's value of the parameter, as text; scores[i] its
// score (NaN and infinite scores, diverged trials, are left out). When
// every value is a number the x axis is numeric, logarithmic when the
// values are positive and span two decades or more (learning rates);
// otherwise each distinct value gets a place, in order of first
// appearance.
func ParamScores(param, score string, values []string, scores []float64) (*image.RGBA, error) {
	if len(values) != len(scores) {
		return nil, fmt.Errorf("plot: %d values for %d scores", len(values), len(scores))
	}
	var distinct []string
	for _, v := range values {
		if !slices.Contains(distinct, v) {
			distinct = append(distinct, v)
		}
	}
	if len(distinct) == 0 {
		return nil, fmt.Errorf("plot: no trials to draw for %s", param)
	}
	nums := make([]float64, len(distinct))
	numeric := true
	for i, v := range distinct {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			numeric = false
			break
		}
		nums[i] = f
	}
	logX := false
	if numeric {
		lo, hi := slices.Min(nums), slices.Max(nums)
		logX = lo > 0 && hi/lo >= 100
	}
	// x of each distinct value.
	xOf := map[string]float64{}
	for i, v := range distinct {
		if numeric {
			xOf[v] = nums[i]
		} else {
			xOf[v] = float64(i + 1)
		}
	}
	var dots plotter.XYs
	sum, count := map[string]float64{}, map[string]int{}
	for i, v := range values {
		s := scores[i]
		if math.IsNaN(s) || math.IsInf(s, 0) {
			continue
		}
		dots = append(dots, plotter.XY{X: xOf[v], Y: s})
		sum[v] += s
		count[v]++
	}
	var means plotter.XYs
	for _, v := range distinct {
		if count[v] > 0 {
			means = append(means, plotter.XY{X: xOf[v], Y: sum[v] / float64(count[v])})
		}
	}
	slices.SortFunc(means, func(a, b plotter.XY) int { return cmp.Compare(a.X, b.X) })

	p := gplot.New()
	for _, st := range []*text.Style{&p.Title.TextStyle, &p.X.Label.TextStyle, &p.Y.Label.TextStyle, &p.X.Tick.Label, &p.Y.Tick.Label, &p.Legend.TextStyle} {
		st.Font.Variant = "Sans"
	}
	p.Title.Text = score + " by " + param
	p.X.Label.Text = param
	p.Y.Label.Text = score
	p.Add(plotter.NewGrid())
	switch {
	case !numeric:
		ticks := make([]gplot.Tick, len(distinct))
		for i, v := range distinct {
			ticks[i] = gplot.Tick{Value: float64(i + 1), Label: v}
		}
		p.X.Tick.Marker = gplot.ConstantTicks(ticks)
	case logX:
		p.X.Scale = gplot.LogScale{}
		p.X.Tick.Marker = gplot.LogTicks{Prec: -1}
	case len(distinct) <= 10:
		// Ticks at the values tried, as they were written.
		ticks := make([]gplot.Tick, len(distinct))
		for i, v := range distinct {
			ticks[i] = gplot.Tick{Value: nums[i], Label: v}
		}
		p.X.Tick.Marker = gplot.ConstantTicks(ticks)
	}
	if len(dots) > 0 {
		sc, err := plotter.NewScatter(dots)
		if err != nil {
			return nil, fmt.Errorf("plot: %s: %w", param, err)
		}
		sc.Color = ValColor
		sc.Shape = draw.CircleGlyph{}
		sc.Radius = vg.Points(2.5)
		line, pts, err := plotter.NewLinePoints(means)
		if err != nil {
			return nil, fmt.Errorf("plot: %s: %w", param, err)
		}
		line.Color, line.Width = TrainColor, vg.Points(1.5)
		// Dots go on top and the mean boxes are larger: with one trial per
		// value both are at the same place and both must show.
		pts.Color, pts.Shape, pts.Radius = TrainColor, draw.BoxGlyph{}, vg.Points(3.5)
		p.Add(line, pts, sc)
	}
	if len(dots) > len(means) {
		// No legend box: wherever it goes it may hide a point.
		p.X.Label.Text += "   (dots: trials, line: mean)"
	}
	// Room around the points, so none sits on the frame.
	if !logX {
		pad := (p.X.Max - p.X.Min) * 0.08
		if pad == 0 {
			pad = math.Max(math.Abs(p.X.Min)*0.1, 0.5)
		}
		p.X.Min, p.X.Max = p.X.Min-pad, p.X.Max+pad
	} else {
		p.X.Min, p.X.Max = p.X.Min/1.5, p.X.Max*1.5
	}
	if p.Y.Min == p.Y.Max {
		p.Y.Min, p.Y.Max = p.Y.Min-0.5, p.Y.Max+0.5
	} else {
		pad := (p.Y.Max - p.Y.Min) * 0.06
		p.Y.Min, p.Y.Max = p.Y.Min-pad, p.Y.Max+pad
	}
	const dpi = 96
	px := func(n int) vg.Length { return vg.Length(n) * vg.Inch / dpi }
	cv := vgimg.NewWith(vgimg.UseWH(px(PanelWidth), px(PanelHeight)), vgimg.UseDPI(dpi))
	p.Draw(draw.New(cv))
	img, ok := cv.Image().(*image.RGBA)
	if !ok {
		b := cv.Image().Bounds()
		img = image.NewRGBA(b)
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				img.Set(x, y, cv.Image().At(x, y))
			}
		}
	}
	return img, nil
}
