package main

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/dataset"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/plot"
	"github.com/gokeras/gokeras/tensor"
)

func init() {
	register(command{"inspect", "draw a saved model's feature maps for one image, or its convolution filters (PNG)", runInspect})
}

func runInspect(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("inspect", stdout)
	load := fs.String("load", "", "the saved model (required)")
	imageFile := fs.String("image", "", "a PNG or JPEG image to run through the model")
	sample := fs.Int("sample", -1, "instead of --image: this sample of the data set's --split")
	dsFlag := fs.String("dataset", "", "with --sample: the data set (default: the one the model was trained on)")
	dataDir := fs.String("data-dir", "", "folder with downloaded data set files")
	split := fs.String("split", "test", "with --sample: train or test")
	seed := fs.Uint64("seed", 1, "seed of the 80/20 split for sets without a test split (use the training seed)")
	layerFlag := fs.String("layer", "", "the layer whose output to draw, by name or index (default: the first Conv2D)")
	out := fs.String("out", "maps.png", "PNG file for the feature maps")
	filters := fs.String("filters", "", "also draw the convolution filters (the --layer's, else the first Conv2D's) to this PNG file")
	cmap := fs.String("cmap", "viridis", "colours of one-channel maps and filters: viridis or gray")
	pixels := pixelRangeVar(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q; inspect takes only flags", fs.Arg(0))
	}
	if *load == "" {
		return fmt.Errorf("--load is required: the model file written by 'gokeras train --save'")
	}
	haveInput := *imageFile != "" || *sample >= 0
	if *imageFile != "" && *sample >= 0 {
		return fmt.Errorf("give --image or --sample, not both")
	}
	if !haveInput && *filters == "" {
		return fmt.Errorf("give --image FILE or --sample N to draw feature maps, or --filters FILE.png to draw the filters")
	}
	var cm plot.Colormap
	switch *cmap {
	case "viridis":
		cm = plot.Viridis
	case "gray":
		cm = plot.Gray
	default:
		return fmt.Errorf("--cmap is viridis or gray, not %q", *cmap)
	}
	m, err := gokeras.Load(*load)
	if err != nil {
		return err
	}
	if *pixels, err = pixelsFor(fs, *pixels, m); err != nil {
		return err
	}
	layers := m.Net().Layers
	li := -1
	if *layerFlag != "" {
		if li, err = findLayer(layers, *layerFlag); err != nil {
			return err
		}
	} else if li = firstConv(layers, 0); li < 0 {
		return fmt.Errorf("the model has no Conv2D layer; give --layer (one of %s)", layerNames(layers))
	}
	if *filters != "" {
		ci := li
		if _, ok := layers[ci].(*nn.Conv2D); !ok {
			ci = firstConv(layers, 0)
		}
		if ci < 0 {
			return fmt.Errorf("the model has no Conv2D layer, so no filters to draw")
		}
		if err := drawFilters(stdout, *filters, layers[ci], cm); err != nil {
			return err
		}
	}
	if !haveInput {
		return nil
	}
	var x *tensor.Tensor
	var label, name string
	if *imageFile != "" {
		var labels []string
		r := inputReader{in: m.Net().InputShape(), features: m.Features, notes: stderr, cmd: "inspect", top: pixelTop(*pixels)}
		if x, labels, err = r.read(*imageFile); err != nil {
			return err
		}
		name = labels[0]
	} else {
		if x, label, name, err = datasetSample(m, *dsFlag, *dataDir, *split, *seed, *sample, *pixels); err != nil {
			return err
		}
	}
	maps := m.Net().ForwardTo(x, li)
	maps = &tensor.Tensor{Shape: maps.Shape.Clone(), Data: slices.Clone(maps.Data)}
	if len(maps.Shape) != 4 {
		return fmt.Errorf("layer %s (%s) outputs shape %v, not feature maps; pick a convolution or pooling layer (layers: %s)", layers[li].LayerName(), layers[li].Class(), maps.Shape[1:], layerNames(layers))
	}
	pred := ""
	if p, err := predictClasses(m, x); err == nil {
		pred = "predicted " + className(m.Classes, p[0])
	}
	fmt.Fprintf(stdout, "%s: %s\n", name, strings.Join(nonEmpty(label, pred), ", "))
	s := maps.Shape
	title := fmt.Sprintf("%s: %d feature maps %dx%d", layers[li].LayerName(), s[3], s[1], s[2])
	mapsImg, err := plot.FeatureMaps(maps, plot.GridOptions{Title: title, Colormap: cm})
	if err != nil {
		return err
	}
	// The input goes on the left, about as large as one map, so the two compare.
	caption := "input"
	if label != "" {
		caption = label
	}
	if top := pixelTop(*pixels); top != 1 {
		// The picture is drawn from [0, 1].
		shown := x.Clone()
		for i := range shown.Data {
			shown.Data[i] /= float32(top)
		}
		x = shown
	}
	inImg, err := plot.Grid(x, plot.GridOptions{Captions: []string{caption}, Title: strings.Join(nonEmpty(pred), ""), Colormap: plot.Gray})
	if err != nil {
		return err
	}
	return writeFigure(stdout, *out, title, plot.Beside(inImg, mapsImg))
}

// datasetSample returns sample i of a data set's split, its caption
// ("true 3") and a name for it.
func datasetSample(m *gokeras.Sequential, ds, dataDir, split string, seed uint64, i int, pixels dataset.PixelRange) (*tensor.Tensor, string, string, error) {
	if ds == "" {
		ds = m.DatasetName
	}
	if ds == "" {
		return nil, "", "", fmt.Errorf("the model does not record its data set; give --dataset with --sample")
	}
	if split != "train" && split != "test" {
		return nil, "", "", fmt.Errorf("--split is train or test, not %q", split)
	}
	tr, te, err := dataset.Load(ds, dataset.Options{DataDir: dataDir, Seed: seed, PixelRange: pixels})
	if err != nil {
		return nil, "", "", err
	}
	set := te
	if split == "train" {
		set = tr
	}
	if err := checkFits(m, "the model", ds, set.X); err != nil {
		return nil, "", "", err
	}
	if i >= set.X.Shape[0] {
		return nil, "", "", fmt.Errorf("--sample %d is past the %s split's %d samples", i, split, set.X.Shape[0])
	}
	x := gather(set.X, []int{i})
	label := "true " + className(set.Classes, labelsOf(set.Y)[i])
	return x, label, fmt.Sprintf("%s %s sample %d", ds, split, i), nil
}

// drawFilters writes a Conv2D layer's kernels as one small image each.
func drawFilters(stdout io.Writer, path string, l nn.Layer, cm plot.Colormap) error {
	ps := l.Params()
	if len(ps) == 0 || ps[0].Value == nil {
		return fmt.Errorf("layer %s has no weights yet", l.LayerName())
	}
	k := ps[0].Value
	title := fmt.Sprintf("%s: %d filters %dx%dx%d", l.LayerName(), k.Shape[3], k.Shape[0], k.Shape[1], k.Shape[2])
	img, err := plot.Filters(k, plot.GridOptions{Title: title, Colormap: cm})
	if err != nil {
		return err
	}
	return writeFigure(stdout, path, title, img)
}

// findLayer resolves --layer: a layer name or an index.
func findLayer(layers []nn.Layer, spec string) (int, error) {
	for i, l := range layers {
		if l.LayerName() == spec {
			return i, nil
		}
	}
	if i, err := strconv.Atoi(spec); err == nil && i >= 0 && i < len(layers) {
		return i, nil
	}
	return -1, fmt.Errorf("no layer %q; layers: %s", spec, layerNames(layers))
}

// firstConv is the index of the first Conv2D at or after from, or -1.
func firstConv(layers []nn.Layer, from int) int {
	for i := from; i < len(layers); i++ {
		if _, ok := layers[i].(*nn.Conv2D); ok {
			return i
		}
	}
	return -1
}

func layerNames(layers []nn.Layer) string {
	names := make([]string, len(layers))
	for i, l := range layers {
		names[i] = fmt.Sprintf("%d %s", i, l.LayerName())
	}
	return strings.Join(names, ", ")
}

func nonEmpty(s ...string) []string {
	var out []string
	for _, v := range s {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}
