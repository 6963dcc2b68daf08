package plot

import (
	"image"
	"image/color"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/tensor"
)

func TestCurvePanels(t *testing.T) {
	h := map[string][]float64{
		"val_accuracy": nil, "accuracy": nil, "loss": nil, "val_loss": nil,
		"mae": nil, "val_only": nil,
	}
	want := [][2]string{{"loss", "val_loss"}, {"accuracy", "val_accuracy"}, {"mae", ""}, {"val_only", ""}}
	if got := curvePanels(h); !reflect.DeepEqual(got, want) {
		t.Errorf("panels %v, want %v", got, want)
	}
}

// near reports whether c is within tol of want in every channel: lines are
// anti-aliased, but a filled point's middle is the line's colour.
func near(c, want color.RGBA, tol int) bool {
	d := func(a, b uint8) bool { return math.Abs(float64(a)-float64(b)) <= float64(tol) }
	return d(c.R, want.R) && d(c.G, want.G) && d(c.B, want.B)
}

func countNear(img image.Image, r image.Rectangle, want color.RGBA) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if near(rgbaAt(img, x, y), want, 2) {
				n++
			}
		}
	}
	return n
}

func TestTrainingCurves(t *testing.T) {
	tests := []struct {
		name     string
		epochs   []int
		history  map[string][]float64
		panels   int
		val      bool
		minTrain int // pixels of the training colour per panel
	}{
		{"train and validation", []int{1, 2, 3, 4}, map[string][]float64{
			"loss": {2.1, 1.2, 0.7, 0.5}, "val_loss": {1.8, 1.1, 0.8, 0.75},
			"accuracy": {0.3, 0.6, 0.8, 0.9}, "val_accuracy": {0.4, 0.6, 0.75, 0.8},
		}, 2, true, 100},
		{"regression, no validation, default epochs", nil, map[string][]float64{
			"loss": {50, 20, 10}, "mae": {6, 4, 3},
		}, 2, false, 100},
		{"one epoch", []int{1}, map[string][]float64{"loss": {0.5}, "val_loss": {0.6}}, 1, true, 20},
		{"diverged", []int{1, 2, 3}, map[string][]float64{"loss": {1, math.NaN(), math.Inf(1)}}, 1, false, 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := TrainingCurves(tt.epochs, tt.history)
			if err != nil {
				t.Fatal(err)
			}
			got := decode(t, img)
			if sz := got.Bounds().Size(); sz != image.Pt(tt.panels*PanelWidth, PanelHeight) {
				t.Fatalf("size %v, want %d panels of %dx%d", sz, tt.panels, PanelWidth, PanelHeight)
			}
			for p := 0; p < tt.panels; p++ {
				r := image.Rect(p*PanelWidth, 0, (p+1)*PanelWidth, PanelHeight)
				if n := countNear(got, r, TrainColor); n < tt.minTrain {
					t.Errorf("panel %d: %d pixels of the training colour, want >= %d", p, n, tt.minTrain)
				}
				nv := countNear(got, r, ValColor)
				if tt.val && nv < tt.minTrain {
					t.Errorf("panel %d: %d pixels of the validation colour", p, nv)
				}
				if !tt.val && nv != 0 {
					t.Errorf("panel %d: validation colour without validation data", p)
				}
				// The title band holds the quantity's name.
				title := image.Rect(r.Min.X+PanelWidth/3, 0, r.Max.X-PanelWidth/3, 24)
				if nonBackground(got, title) == 0 {
					t.Errorf("panel %d has no title", p)
				}
			}
		})
	}
}

func TestTrainingCurvesErrors(t *testing.T) {
	if _, err := TrainingCurves(nil, nil); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty history: %v", err)
	}
	_, err := TrainingCurves([]int{1, 2}, map[string][]float64{"loss": {1}})
	if err == nil || !strings.Contains(err.Error(), `"loss" has 1 values for 2 epochs`) {
		t.Errorf("short series: %v", err)
	}
}

func TestIntegerTicks(t *testing.T) {
	var labels []string
	for _, tk := range (integerTicks{}).Ticks(0.5, 50) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	if got := strings.Join(labels, " "); got != "5 10 15 20 25 30 35 40 45 50" {
		t.Errorf("labels for 50 epochs: %s", got)
	}
}

func TestWriteANSI(t *testing.T) {
	x, _ := tensor.FromSlice([]float32{0, 1, 1, 0, 0, 0}, 1, 3, 2, 1)
	img, _ := Grid(x, GridOptions{Scale: 1})
	// Crop to the image itself: 2 wide, 3 tall.
	r := layoutGrid(1, 3, 2, GridOptions{Scale: 1}).image(0)
	var b strings.Builder
	if err := WriteANSI(&b, img.SubImage(r), 0); err != nil {
		t.Fatal(err)
	}
	const (
		black = "\x1b[38;2;0;0;0m"
		white = "\x1b[38;2;255;255;255m"
		bgW   = "\x1b[48;2;255;255;255m"
		bgB   = "\x1b[48;2;0;0;0m"
	)
	want := black + bgW + "▀" + white + bgB + "▀\x1b[0m\n" +
		black + "\x1b[49m▀▀\x1b[0m\n"
	if b.String() != want {
		t.Errorf("got  %q\nwant %q", b.String(), want)
	}
	// Too wide: every second pixel, so 2 characters for 4 pixels.
	wide := image.NewRGBA(image.Rect(0, 0, 4, 2))
	b.Reset()
	WriteANSI(&b, wide, 3)
	if n := strings.Count(b.String(), "▀"); n != 2 {
		t.Errorf("4 pixels into 3 columns: %d characters, want 2", n)
	}
}
