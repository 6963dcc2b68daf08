package serve

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // the decoders :classify takes
	_ "image/png"  //
	"io"
	"math"
	"mime"
	"net/http"
	"slices"
	"strconv"

	"github.com/gokeras/gokeras/dataset"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/tensor"
)

// POST /v1/models/NAME:classify takes one PNG or JPEG image, as the body
// or as the field "image" of a multipart/form-data body, and answers the
// model's top k classes (query parameter k, default 5):
//
//	{"model_name": "NAME", "classes": [{"index": 3, "label": "cat", "probability": 0.91}, ...]}
//
// best first; the labels are the model's recorded Classes, or the indices
// when it has none. (TF Serving's own :classify takes tf.Example records,
// which gokeras models have no use for.)
//
// The image is read as the model's training images were, by the dataset
// package's image-folder loader (dataset.ImageDir, as Keras's
// image_dataset_from_directory): 8-bit RGB, or ITU-R 601 luma for a model
// of one channel (or of (H, W) inputs), divided by 255 unless the model
// was trained on [0, 255] pixels (Model.PixelRange 255), then resized to
// the model's input with TensorFlow's bilinear rule (half-pixel centres,
// no antialiasing, not keeping the aspect ratio), as nn.Resizing does.
//
// An output that is not already probabilities (values in [0, 1] summing to
// 1) is taken for logits and put through softmax; a single output unit is a
// binary classifier: sigmoid (unless in [0, 1] already) gives class 1's
// probability.

// defaultTopK is k when the request gives none.
const defaultTopK = 5

type classAnswer struct {
	Index       int     `json:"index"`
	Label       string  `json:"label"`
	Probability float32 `json:"probability"`
}

// imageInput is the model's input as an image: height, width, channels,
// and whether the model takes (H, W) without the channel axis.
func (m *model) imageInput() (h, w, c int, gray2D bool, err error) {
	if len(m.inShapes) != 1 || len(m.outShapes) != 1 || len(m.outShapes[0]) != 1 {
		return 0, 0, 0, false, badRequest("model %q takes %s and gives %s; :classify needs a classifier of one image input and one output of class scores", m.name, describe(m.inNames, m.inShapes), describe(m.outNames, m.outShapes))
	}
	in := m.inShapes[0]
	switch {
	case len(in) == 2:
		return in[0], in[1], 1, true, nil
	case len(in) == 3 && (in[2] == 1 || in[2] == 3):
		return in[0], in[1], in[2], false, nil
	}
	return 0, 0, 0, false, badRequest("model %q takes inputs of shape %v, not images (height, width[, 1 or 3 channels]); use :predict", m.name, in)
}

// v1Classify answers POST /v1/models/NAME:classify.
func (h *Handler) v1Classify(w http.ResponseWriter, r *http.Request, m *model) ([]byte, error) {
	ih, iw, ic, gray2D, err := m.imageInput()
	if err != nil {
		return nil, err
	}
	k := defaultTopK
	if s := r.URL.Query().Get("k"); s != "" {
		if k, err = strconv.Atoi(s); err != nil || k < 1 {
			return nil, badRequest("k=%q: want a whole number of classes, 1 or more", s)
		}
	}
	if m.b.full() {
		return nil, errQueueFull
	}
	data, err := h.imageBody(w, r)
	if err != nil {
		return nil, err
	}
	img, err := h.decodeImage(data)
	if err != nil {
		return nil, err
	}
	x, err := imageTensor(img, ih, iw, ic, m.m.PixelRange)
	if err != nil {
		return nil, err
	}
	if gray2D {
		x.Shape = tensor.Shape{1, ih, iw}
	}
	outs, err := h.infer(r.Context(), requestInfo(r), m, 1, []*tensor.Tensor{x})
	if err != nil {
		return nil, err
	}
	probs := probabilities(outs[0].Data)
	order := make([]int, len(probs))
	for i := range order {
		order[i] = i
	}
	// Best first; ties by index, so that the answer does not depend on
	// the sort.
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case probs[a] > probs[b]:
			return -1
		case probs[a] < probs[b]:
			return 1
		}
		return 0
	})
	res := struct {
		ModelName string        `json:"model_name"`
		Classes   []classAnswer `json:"classes"`
	}{ModelName: m.name}
	for _, i := range order[:min(k, len(order))] {
		label := strconv.Itoa(i)
		if len(m.m.Classes) == len(probs) {
			label = m.m.Classes[i]
		}
		res.Classes = append(res.Classes, classAnswer{i, label, probs[i]})
	}
	return json.Marshal(res)
}

// imageBody is the request's image: the body, or a multipart form's
// "image" field.
func (h *Handler) imageBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		return h.readBody(w, r)
	}
	if rec, ok := w.(*recorder); ok {
		w = rec.ResponseWriter
	}
	r.Body = http.MaxBytesReader(w, r.Body, h.opts.MaxBodyBytes)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, badRequest("the multipart body: %v", err)
	}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return nil, badRequest("the multipart form has no field \"image\"; send the PNG or JPEG file as \"image\", or as the body itself")
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, err
			}
			return nil, badRequest("the multipart body: %v", err)
		}
		if p.FormName() != "image" {
			continue // NextPart skips the rest of this part
		}
		b, err := io.ReadAll(p)
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, err
			}
			return nil, badRequest("the multipart field \"image\": %v", err)
		}
		return b, nil
	}
}

// decodeImage decodes a PNG or JPEG after checking its header's size
// against Options.MaxImagePixels: a small file can declare a huge image,
// and the decoders allocate what the header declares.
func (h *Handler) decodeImage(data []byte) (image.Image, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, badRequest("the image is not a PNG or JPEG file: %v", err)
	}
	if format != "png" && format != "jpeg" {
		return nil, badRequest("the image is a %s file; send a PNG or JPEG", format)
	}
	limit := int64(h.opts.MaxImagePixels)
	if cfg.Width < 1 || cfg.Height < 1 {
		return nil, badRequest("the image is %dx%d pixels: empty", cfg.Width, cfg.Height)
	}
	if int64(cfg.Width)*int64(cfg.Height) > limit {
		return nil, &httpError{http.StatusRequestEntityTooLarge, fmt.Sprintf("the image is %dx%d = %d pixels, over the server's limit of %d; send a smaller image", cfg.Width, cfg.Height, int64(cfg.Width)*int64(cfg.Height), limit)}
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, badRequest("decoding the %s image: %v", format, err)
	}
	return img, nil
}

// imageTensor is img as one row of the model's input (1, h, w, c), read
// as dataset.ImageDir reads training images: 8-bit pixels (RGB, or
// luma), divided by 255 unless pixelRange is 255, then resized with
// TensorFlow's bilinear rule (nn.Resizing, the rule dataset.ImageDir's
// resize follows).
func imageTensor(img image.Image, h, w, c, pixelRange int) (*tensor.Tensor, error) {
	b := img.Bounds()
	sh, sw := b.Dy(), b.Dx()
	px := make([]uint8, sh*sw*c)
	dataset.ImagePixels(px, img, c)
	div := float32(255)
	if pixelRange == 255 {
		div = 1
	}
	x := tensor.New(1, sh, sw, c)
	for i, v := range px {
		x.Data[i] = float32(v) / div
	}
	if sh == h && sw == w {
		return x, nil
	}
	rz := &nn.Resizing{Height: h, Width: w}
	if err := rz.Build(tensor.Shape{sh, sw, c}, nil); err != nil {
		return nil, fmt.Errorf("resizing the image: %w", err)
	}
	return rz.Forward(x, false), nil
}

// probabilities turns one row of class scores into probabilities: as they
// are when they already are (in [0, 1], summing to 1 within float32
// rounding), softmax of logits otherwise; one unit is class 1's
// probability of a binary classifier (sigmoid of a logit).
func probabilities(y []float32) []float32 {
	if len(y) == 1 {
		p := y[0]
		if p < 0 || p > 1 || p != p {
			p = float32(1 / (1 + math.Exp(-float64(p))))
		}
		return []float32{1 - p, p}
	}
	sum, inRange := 0.0, true
	for _, v := range y {
		sum += float64(v)
		if !(v >= 0 && v <= 1) {
			inRange = false
		}
	}
	if inRange && math.Abs(sum-1) <= 1e-4 {
		return y
	}
	// Softmax, shifted by the largest score.
	top := math.Inf(-1)
	for _, v := range y {
		top = math.Max(top, float64(v))
	}
	e := make([]float64, len(y))
	sum = 0
	for i, v := range y {
		e[i] = math.Exp(float64(v) - top)
		sum += e[i]
	}
	out := make([]float32, len(y))
	for i := range out {
		out[i] = float32(e[i] / sum)
	}
	return out
}
