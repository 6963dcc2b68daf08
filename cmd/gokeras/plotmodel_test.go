package main

import (
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/nn"
)

// summary --plot writes a PNG of the model's graph. A Sequential model
// Input(3) -> Dense(5): two boxes, the wider "input_layer (InputLayer)"
// (24 characters of 7 pixels + 16 padding = 184) sets the width
// (16+184+16 = 216); each box holds two 13-pixel lines (15*2-2+10 = 38
// high), one row gap of 32 between them: 16+38+32+38+16 = 140 high.
func TestSummaryPlotSequential(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "m.json")
	m := gokeras.NewSequential(gokeras.Input(3), &nn.Dense{Units: 5})
	js, err := m.ToJSON()
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(spec, js, 0o644)
	pic := filepath.Join(dir, "m.png")
	out, errs, code := runCLI(t, "summary", "--model", spec, "--plot", pic)
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, out, errs)
	}
	f, err := os.Open(pic)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 216 || b.Dy() != 140 {
		t.Errorf("picture is %dx%d, want 216x140", b.Dx(), b.Dy())
	}
}

// The ResNet-20 preset draws: every layer call a box, the picture as tall
// as its rows need.
func TestSummaryPlotResNet20(t *testing.T) {
	pic := filepath.Join(t.TempDir(), "r.png")
	out, errs, code := runCLI(t, "summary", "--model", "resnet20", "--plot", pic)
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, out, errs)
	}
	f, err := os.Open(pic)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil {
		t.Fatal(err)
	}
	// More than 60 rows of boxes at least 38+32 pixels apart.
	if cfg.Height < 60*70 || cfg.Width < 200 {
		t.Errorf("picture is %dx%d; want a tall one for ~70 layers", cfg.Width, cfg.Height)
	}
}
