package serve

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
	"mime/multipart"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/dataset"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/tensor"
)

// testImage is a w×h picture with a colour gradient and a bright square,
// so that resizing and channel order matter.
func testImage(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.NRGBA{uint8(x * 255 / w), uint8(y * 255 / h), uint8((x*7 + y*13) % 256), 255}
			if x > w/3 && x < w/2 && y > h/4 && y < h/2 {
				c = color.NRGBA{250, 240, 30, 255}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

func encodePNG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// classifier builds input → Flatten → Dense(units, act) with seeded weights.
func classifier(t *testing.T, in tensor.Shape, units int, act activation.Func, classes []string, pixelRange int) *gokeras.Model {
	t.Helper()
	m := gokeras.NewSequential(&nn.Flatten{InputShape: in}, &nn.Dense{Units: units, Activation: act})
	m.Seed = uint64(units + len(in))
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	m.Classes, m.PixelRange = classes, pixelRange
	return m
}

// datasetRow reads the image file as the dataset package's image-folder
// loader reads training images for a model of h×w inputs: the reference
// for what :classify feeds the model.
func datasetRow(t *testing.T, file []byte, ext string, h, w int, mode dataset.ColorMode, pr dataset.PixelRange) *tensor.Tensor {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "c"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "c", "img"+ext), file, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := dataset.ImageDatasetFromDirectory(dir, dataset.ImageDirOptions{ImageSize: [2]int{h, w}, ColorMode: mode, PixelRange: pr})
	if err != nil {
		t.Fatal(err)
	}
	return s.X
}

type classifyResp struct {
	ModelName string        `json:"model_name"`
	Classes   []classAnswer `json:"classes"`
}

// TestClassify: a PNG or JPEG (body or multipart field "image") is read,
// resized and scaled as dataset.ImageDatasetFromDirectory reads the same
// file for training, and the answer is the model's top k classes, their
// names and probabilities, best first, bit for bit as Model.Predict on the
// dataset's row gives them (after softmax or sigmoid, computed here, for
// a model that answers logits).
func TestClassify(t *testing.T) {
	names := []string{"ant", "bee", "cat", "dog", "eel"}
	rgb := classifier(t, tensor.Shape{8, 8, 3}, 5, activation.Softmax, names, 0)
	gray := classifier(t, tensor.Shape{10, 6}, 5, activation.Softmax, nil, 0) // (H, W): MNIST-style MLP input
	r255 := classifier(t, tensor.Shape{8, 8, 1}, 5, activation.Softmax, names, 255)
	logits := classifier(t, tensor.Shape{8, 8, 3}, 3, activation.Linear, nil, 0)
	binary := classifier(t, tensor.Shape{8, 8, 3}, 1, activation.Sigmoid, []string{"no", "yes"}, 0)
	h, err := New(map[string]*gokeras.Model{"rgb": rgb, "gray": gray, "r255": r255, "logits": logits, "binary": binary}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })

	pic := testImage(16, 12)
	pngFile := encodePNG(t, pic)
	var jb bytes.Buffer
	if err := jpeg.Encode(&jb, pic, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	jpegFile := jb.Bytes()
	same := encodePNG(t, testImage(8, 8)) // no resize

	softmax := func(y []float32) []float32 {
		top := math.Inf(-1)
		for _, v := range y {
			top = math.Max(top, float64(v))
		}
		sum := 0.0
		for _, v := range y {
			sum += math.Exp(float64(v) - top)
		}
		out := make([]float32, len(y))
		for i, v := range y {
			out[i] = float32(math.Exp(float64(v)-top) / sum)
		}
		return out
	}
	for _, tc := range []struct {
		name, model, query string
		file               []byte
		ext                string
		m                  *gokeras.Model
		mode               dataset.ColorMode
		pr                 dataset.PixelRange
		k                  int
		labels             []string
		multipart          bool
		probs              func([]float32) []float32
	}{
		{name: "png rgb resized", model: "rgb", file: pngFile, ext: ".png", m: rgb, k: 5, labels: names},
		{name: "png rgb k=2", model: "rgb", query: "?k=2", file: pngFile, ext: ".png", m: rgb, k: 2, labels: names},
		{name: "k over the classes", model: "rgb", query: "?k=50", file: pngFile, ext: ".png", m: rgb, k: 5, labels: names},
		{name: "png no resize", model: "rgb", file: same, ext: ".png", m: rgb, k: 5, labels: names},
		{name: "jpeg rgb", model: "rgb", file: jpegFile, ext: ".jpg", m: rgb, k: 5, labels: names},
		{name: "multipart", model: "rgb", file: pngFile, ext: ".png", m: rgb, k: 3, query: "?k=3", labels: names, multipart: true},
		{name: "jpeg gray (H, W)", model: "gray", file: jpegFile, ext: ".jpg", m: gray, mode: dataset.ColorGrayscale, k: 5},
		{name: "png 0-255 gray", model: "r255", file: pngFile, ext: ".png", m: r255, mode: dataset.ColorGrayscale, pr: dataset.Pixels255, k: 5, labels: names},
		{name: "logits", model: "logits", file: pngFile, ext: ".png", m: logits, k: 5, probs: softmax},
		{name: "binary", model: "binary", file: pngFile, ext: ".png", m: binary, k: 5, labels: []string{"no", "yes"},
			probs: func(y []float32) []float32 { return []float32{1 - y[0], y[0]} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.m.Net().InputShapes()[0]
			x := datasetRow(t, tc.file, tc.ext, in[0], in[1], tc.mode, tc.pr)
			if len(in) == 2 {
				x.Shape = tensor.Shape{1, in[0], in[1]}
			}
			y, err := tc.m.Predict(x, 0)
			if err != nil {
				t.Fatal(err)
			}
			probs := y.Data
			if tc.probs != nil {
				probs = tc.probs(probs)
			}
			var want []classAnswer
			for i, p := range probs {
				label := strconv.Itoa(i)
				if tc.labels != nil {
					label = tc.labels[i]
				}
				want = append(want, classAnswer{i, label, p})
			}
			slices.SortStableFunc(want, func(a, b classAnswer) int {
				if a.Probability != b.Probability {
					if a.Probability > b.Probability {
						return -1
					}
					return 1
				}
				return a.Index - b.Index
			})
			want = want[:min(tc.k, len(want))]

			body, ctype := tc.file, "image/png"
			if tc.multipart {
				var mb bytes.Buffer
				mw := multipart.NewWriter(&mb)
				mw.WriteField("note", "another field first")
				fw, _ := mw.CreateFormFile("image", "digit.png")
				fw.Write(tc.file)
				mw.Close()
				body, ctype = mb.Bytes(), mw.FormDataContentType()
			}
			req := httptest.NewRequest("POST", "/v1/models/"+tc.model+":classify"+tc.query, bytes.NewReader(body))
			req.Header.Set("Content-Type", ctype)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != 200 {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
			var got classifyResp
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if got.ModelName != tc.model || !slices.Equal(got.Classes, want) {
				t.Errorf("got %+v\nwant %+v", got, want)
			}
		})
	}
}

// pngHeader is the start of a PNG declaring w×h RGB pixels: enough for
// image.DecodeConfig, and nothing a decoder could fill.
func pngHeader(w, h uint32) []byte {
	ihdr := make([]byte, 17)
	copy(ihdr, "IHDR")
	binary.BigEndian.PutUint32(ihdr[4:], w)
	binary.BigEndian.PutUint32(ihdr[8:], h)
	ihdr[12], ihdr[13] = 8, 2 // 8-bit RGB
	b := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0d")
	b = append(b, ihdr...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(ihdr))
}

// TestClassifyRefusals: what :classify cannot take is answered 400, 405
// or 413 with a message saying what is wrong; a huge declared image is
// refused from its header.
func TestClassifyRefusals(t *testing.T) {
	rgb := classifier(t, tensor.Shape{8, 8, 3}, 5, activation.Softmax, nil, 0)
	h, err := New(map[string]*gokeras.Model{"rgb": rgb, "cnn": cnnModel(t), "multi": multiModel(t)}, Options{MaxBodyBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	small, err := New(map[string]*gokeras.Model{"rgb": rgb}, Options{MaxImagePixels: 100})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { small.Close() })
	pngFile := encodePNG(t, testImage(16, 12))
	var gb bytes.Buffer
	if err := gif.Encode(&gb, testImage(4, 4), nil); err != nil {
		t.Fatal(err)
	}
	var mb bytes.Buffer
	mw := multipart.NewWriter(&mb)
	mw.WriteField("picture", "x")
	mw.Close()
	for _, tc := range []struct {
		name string
		h    *Handler
		path string
		body []byte
		code int
		says string
	}{
		{"not an image", h, "/v1/models/rgb:classify", []byte("hello"), 400, "not a PNG or JPEG"},
		{"empty body", h, "/v1/models/rgb:classify", nil, 400, "not a PNG or JPEG"},
		{"gif", h, "/v1/models/rgb:classify", gb.Bytes(), 400, "gif file; send a PNG or JPEG"},
		{"truncated png", h, "/v1/models/rgb:classify", pngFile[:len(pngFile)/2], 400, "decoding the png image"},
		{"huge header", h, "/v1/models/rgb:classify", pngHeader(5000, 5000), 413, "5000x5000 = 25000000 pixels, over the server's limit of 16777216"},
		{"huge width", h, "/v1/models/rgb:classify", pngHeader(1<<30, 1<<20), 413, "over the server's limit"},
		{"over a set limit", small, "/v1/models/rgb:classify", pngFile, 413, "16x12 = 192 pixels, over the server's limit of 100"},
		{"body over the limit", h, "/v1/models/rgb:classify", make([]byte, 2<<20), 413, "over the limit of 1048576 bytes"},
		{"k=0", h, "/v1/models/rgb:classify?k=0", pngFile, 400, `k="0"`},
		{"k=x", h, "/v1/models/rgb:classify?k=x", pngFile, 400, `k="x"`},
		{"not an image model", h, "/v1/models/cnn:classify", pngFile, 400, "not images"},
		{"two inputs", h, "/v1/models/multi:classify", pngFile, 400, "one image input and one output"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, body := do(t, tc.h, "POST", tc.path, string(tc.body))
			if code != tc.code {
				t.Fatalf("%d %s, want %d", code, body, tc.code)
			}
			if msg := errorBody(t, body); !strings.Contains(msg, tc.says) {
				t.Errorf("message %q does not say %q", msg, tc.says)
			}
		})
	}
	// A multipart form without the field.
	req := httptest.NewRequest("POST", "/v1/models/rgb:classify", &mb)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if msg := errorBody(t, w.Body.Bytes()); w.Code != 400 || !strings.Contains(msg, `no field "image"`) {
		t.Errorf("multipart without image: %d %s", w.Code, msg)
	}
	if code, hdr, _ := do(t, h, "GET", "/v1/models/rgb:classify", ""); code != 405 || hdr.Get("Allow") != "POST" {
		t.Errorf("GET :classify: %d, Allow %q", code, hdr.Get("Allow"))
	}
}
