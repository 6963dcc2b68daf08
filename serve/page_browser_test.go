package serve

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/input"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/dataset"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/tensor"
	"github.com/gokeras/gokeras/train"
)

// chromiumPath finds a Chromium to drive: $GOKERAS_CHROMIUM, or Debian's
// chromium (which .ci/run installs), or another Chrome on the PATH.
func chromiumPath() string {
	if p := os.Getenv("GOKERAS_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// trainedDigits is the digits-cnn preset trained as the preset says (30
// epochs, about two seconds) on the
// embedded 8x8 digits, so that the page's answers mean something, and a
// test image: an 8x8 test digit the model classifies right, with its label.
func trainedDigits(t *testing.T) (m *gokeras.Model, sample []float32, label string) {
	p, err := gokeras.LookupPreset("digits-cnn")
	if err != nil {
		t.Fatal(err)
	}
	if m, err = p.Model(); err != nil {
		t.Fatal(err)
	}
	m.Seed = 1
	tr, te, err := dataset.Load("digits", dataset.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	m.Classes = tr.Classes
	start := time.Now()
	if _, err := m.Fit(tr.X, tr.Y, gokeras.FitOptions{Epochs: p.Fit.Epochs, BatchSize: p.Fit.BatchSize, Verbose: train.Silent}); err != nil {
		t.Fatal(err)
	}
	y, err := m.Predict(te.X, 0)
	if err != nil {
		t.Fatal(err)
	}
	n, classes := te.Len(), len(tr.Classes)
	right := 0
	pick := -1
	for i := range n {
		row := y.Data[i*classes : (i+1)*classes]
		best := 0
		for c, v := range row {
			if v > row[best] {
				best = c
			}
		}
		if best == int(te.Y.Data[i]) {
			right++
			// A digit other than 0 and 1, which the drawing will be.
			if pick < 0 && best > 1 {
				pick = i
			}
		}
	}
	t.Logf("digits-cnn: %d epochs in %v, test accuracy %.3f", p.Fit.Epochs, time.Since(start).Round(time.Millisecond), float64(right)/float64(n))
	if float64(right)/float64(n) < 0.8 || pick < 0 {
		t.Fatalf("digits-cnn reached test accuracy %.3f after %d epochs; want at least 0.8 for a meaningful page", float64(right)/float64(n), p.Fit.Epochs)
	}
	return m, te.X.Data[pick*64 : (pick+1)*64], tr.Classes[int(te.Y.Data[pick])]
}

// digitImage is an 8x8 digit of [0, 1] pixels scaled up 8 times (each
// pixel a block), as a PNG or JPEG. The server's bilinear resize back to
// 8x8 reads the middle of each block, so the model sees the digit itself
// (from the PNG; the JPEG is near it).
func digitImage(t *testing.T, px []float32, format string) []byte {
	const scale = 8
	img := image.NewGray(image.Rect(0, 0, 8*scale, 8*scale))
	for y := range 8 * scale {
		for x := range 8 * scale {
			img.SetGray(x, y, color.Gray{Y: uint8(math.Round(float64(px[(y/scale)*8+x/scale]) * 255))})
		}
	}
	var b bytes.Buffer
	var err error
	if format == "png" {
		err = png.Encode(&b, img)
	} else {
		err = jpeg.Encode(&b, img, &jpeg.Options{Quality: 95})
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// rgbModel is an untrained classifier of 12x20 RGB images (wider than
// high) into four classes.
func rgbModel(t *testing.T) *gokeras.Model {
	m := gokeras.NewSequential(
		&nn.Conv2D{Filters: 2, KernelSize: [2]int{3, 3}, Activation: activation.ReLU, InputShape: tensor.Shape{12, 20, 3}},
		&nn.Flatten{},
		&nn.Dense{Units: 4, Activation: activation.Softmax},
	)
	m.Seed = 9
	m.Classes = []string{"red", "green", "blue", "gray"}
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	return m
}

type shownClass struct {
	Label       string `json:"label"`
	Probability string `json:"probability"`
	Width       string `json:"width"`
	Text        string `json:"text"`
}

// apiClassify is the server's answer for an image, asked as any client.
func apiClassify(t *testing.T, url, token, model string, img []byte, ctype string, k int) []classAnswer {
	req, err := http.NewRequest(http.MethodPost, url+"/v1/models/"+model+":classify?k="+strconv.Itoa(k), bytes.NewReader(img))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var ans struct {
		Classes []classAnswer `json:"classes"`
		Error   string        `json:"error"`
	}
	if err := json.NewDecoder(res.Body).Decode(&ans); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf(":classify: %d %v %s", res.StatusCode, err, ans.Error)
	}
	return ans.Classes
}

// sameAnswer checks that the bars the page shows are the API's answer:
// the same classes in the same order, each bar's probability the same
// float32, its width and its text that probability.
func sameAnswer(t *testing.T, what string, shown []shownClass, want []classAnswer) {
	t.Helper()
	if len(shown) != len(want) {
		t.Fatalf("%s: the page shows %d bars %+v; the API answers %d classes %+v", what, len(shown), shown, len(want), want)
	}
	for i, s := range shown {
		p, err := strconv.ParseFloat(s.Probability, 64)
		if err != nil || s.Label != want[i].Label || float32(p) != want[i].Probability {
			t.Errorf("%s: bar %d is %s %s; the API answers %s %v", what, i, s.Label, s.Probability, want[i].Label, want[i].Probability)
		}
		// The page sets the width to two decimals; the browser keeps it
		// as a number (0.00% reads back 0%).
		if w, err := strconv.ParseFloat(strings.TrimSuffix(s.Width, "%"), 64); err != nil || !strings.HasSuffix(s.Width, "%") || math.Abs(w-100*p) > 0.005+1e-9 {
			t.Errorf("%s: bar %d is %s wide; want %.2f%%", what, i, s.Width, 100*p)
		}
		// The text has one decimal (JavaScript's toFixed rounds a tie up,
		// Go's %.1f to even, hence the tolerance rather than a string).
		if v, err := strconv.ParseFloat(strings.TrimSuffix(s.Text, " %"), 64); err != nil || !strings.HasSuffix(s.Text, " %") || math.Abs(v-100*p) > 0.05+1e-9 {
			t.Errorf("%s: bar %d reads %q; want %.1f %%", what, i, s.Text, 100*p)
		}
	}
}

// The page in headless Chromium, as a user meets it with a token set: the
// browser asks for the token (answered here as a user would the sign-in
// prompt), the page lists the models, a model that is not an image
// classifier is refused, then for the trained digits model a test digit
// chosen in the file input (PNG), one dropped on the drop zone (JPEG) and
// one drawn with the mouse (classified by the digits model and by an RGB
// model of another size) each show the bars of the API's answer for the
// same image. The last screenshot is kept: $GOKERAS_ARTIFACTS/serve-page.png.
func TestBrowserPage(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser; skipped with -short")
	}
	bin := chromiumPath()
	if bin == "" {
		t.Skip("no Chromium found (chromium, chromium-browser or google-chrome on the PATH, or $GOKERAS_CHROMIUM): install Debian's chromium, as .ci/run does, to run the page's browser test")
	}
	digits, sample, label := trainedDigits(t)
	const token = "page-test-token"
	h, err := New(map[string]*gokeras.Model{"digits": digits, "multi": multiModel(t), "rgb": rgbModel(t)}, Options{Token: token, MaxQueueDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer func() {
		srv.Close()
		h.Close()
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.WindowSize(1100, 900),
		chromedp.NoSandbox, // CI runs as root, where Chromium's sandbox does not start
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()

	// The first Run starts the browser; then the tab's events and the
	// authentication prompt, answered with the token as a user would.
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	var (
		mu       sync.Mutex
		problems []string // exceptions and console errors of the page
		prompts  atomic.Int32
	)
	report := func(p string) {
		mu.Lock()
		problems = append(problems, p)
		mu.Unlock()
	}
	exceptions := chromedp.Events(bctx, runtime.ExceptionThrown)
	console := chromedp.Events(bctx, runtime.ConsoleAPICalled)
	logs := chromedp.Events(bctx, cdplog.EntryAdded) // CSP violations, failed loads
	paused := chromedp.Events(bctx, fetch.RequestPaused)
	auth := chromedp.Events(bctx, fetch.AuthRequired)
	go func() {
		for ev, err := range exceptions {
			if err != nil {
				return
			}
			d := ev.ExceptionDetails
			if d.Exception != nil {
				report("exception: " + d.Text + " " + d.Exception.Description)
			} else {
				report("exception: " + d.Text)
			}
		}
	}()
	go func() {
		for ev, err := range console {
			if err != nil {
				return
			}
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning {
				var args []string
				for _, a := range ev.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				report("console: " + strings.Join(args, " "))
			}
		}
	}()
	go func() {
		for ev, err := range logs {
			if err != nil {
				return
			}
			if e := ev.Entry; e.Level == cdplog.EntryLevelError || e.Level == cdplog.EntryLevelWarning {
				report(fmt.Sprintf("log (%s): %s %s", e.Source, e.Text, e.URL))
			}
		}
	}()
	go func() {
		for ev, err := range paused {
			if err != nil {
				return
			}
			chromedp.Call(bctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
		}
	}()
	go func() {
		for ev, err := range auth {
			if err != nil {
				return
			}
			prompts.Add(1)
			chromedp.Call(bctx, fetch.ContinueWithAuth, fetch.ContinueWithAuthParams{RequestID: ev.RequestID,
				AuthChallengeResponse: &fetch.AuthChallengeResponse{Response: fetch.AuthChallengeResponseResponseProvideCredentials, Username: "me", Password: token}})
		}
	}()
	if _, err := chromedp.Call(bctx, cdplog.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(bctx, fetch.Enable, fetch.EnableParams{HandleAuthRequests: ptr(true)}); err != nil {
		t.Fatal(err)
	}

	eval := func(js string) string {
		t.Helper()
		v, err := chromedp.Run(bctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	// answer waits for the page's n-th answer and reads its bars.
	answer := func(n int) []shownClass {
		t.Helper()
		if err := chromedp.Do(bctx, chromedp.WaitReady(chromedp.CSS(fmt.Sprintf(`#bars[data-count="%d"]`, n)))); err != nil {
			t.Fatalf("waiting for answer %d: %v (status: %s)", n, err, eval(`document.getElementById('status').textContent`))
		}
		if st := eval(`document.getElementById('status').className`); st == "error" {
			t.Fatalf("answer %d: the page shows an error: %s", n, eval(`document.getElementById('status').textContent`))
		}
		var shown []shownClass
		js := `JSON.stringify([...document.querySelectorAll('#bars .bar')].map(b => ({label: b.dataset.label, probability: b.dataset.probability,
			width: b.querySelector('.fill').style.width, text: b.querySelector('.prob').textContent})))`
		if err := json.Unmarshal([]byte(eval(js)), &shown); err != nil {
			t.Fatal(err)
		}
		return shown
	}

	if err := chromedp.Do(bctx, chromedp.Navigate(srv.URL+"/"), chromedp.WaitReady(chromedp.CSS(`#model option[value="multi"]`))); err != nil {
		t.Fatalf("opening the page: %v", err)
	}
	if got := eval(`[...document.querySelectorAll('#model option')].map(o => o.value).join(',')`); got != "digits,multi,rgb" {
		t.Errorf("the model picker lists %q; want digits,multi,rgb", got)
	}
	// CSS loaded: the pad is drawn 280 pixels wide.
	if w := eval(`getComputedStyle(document.getElementById('pad')).width`); w != "280px" {
		t.Errorf("the pad is %s wide; the stylesheet says 280px", w)
	}

	// A model that is not an image classifier: the page says why and
	// offers nothing to classify.
	eval(`(() => { const s = document.getElementById('model'); s.value = 'multi'; s.dispatchEvent(new Event('change')); return '' })()`)
	if st := eval(`document.getElementById('status').textContent`); !strings.Contains(st, ":classify needs a classifier of one image input") {
		t.Errorf("multi selected: status %q; want why it cannot classify", st)
	}
	if d := eval(`String(document.getElementById('classify').disabled)`); d != "true" {
		t.Errorf("multi selected: the classify button is enabled")
	}
	eval(`(() => { const s = document.getElementById('model'); s.value = 'digits'; s.dispatchEvent(new Event('change')); return '' })()`)
	var sum strings.Builder
	if err := digits.Summary(&sum); err != nil {
		t.Fatal(err)
	}
	if got := eval(`document.getElementById('summary').textContent`); got != sum.String() {
		t.Errorf("the page's summary:\n%s\nwant:\n%s", got, sum.String())
	}
	if got := eval(`document.getElementById('shape').textContent`); !strings.Contains(got, "(8, 8, 1)") || !strings.Contains(got, "8×8 grayscale") {
		t.Errorf("the page's input shape %q; want (8, 8, 1), 8×8 grayscale", got)
	}

	// A test digit, chosen in the file input.
	dir := t.TempDir()
	pngFile := filepath.Join(dir, "digit.png")
	pngBytes := digitImage(t, sample, "png")
	if err := os.WriteFile(pngFile, pngBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(bctx, chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{pngFile})); err != nil {
		t.Fatal(err)
	}
	shown := answer(1)
	api := apiClassify(t, srv.URL, token, "digits", pngBytes, "image/png", 5)
	sameAnswer(t, "the PNG file", shown, api)
	if api[0].Label != label {
		t.Errorf("the PNG of a test %s: the server answers %s; the model itself got it right", label, api[0].Label)
	}

	// The same digit as a JPEG, dropped on the drop zone.
	jpegBytes := digitImage(t, sample, "jpeg")
	eval(`(() => { const b = Uint8Array.from(atob('` + base64.StdEncoding.EncodeToString(jpegBytes) + `'), c => c.charCodeAt(0));
		const dt = new DataTransfer(); dt.items.add(new File([b], 'digit.jpg', {type: 'image/jpeg'}));
		document.getElementById('drop').dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true})); return '' })()`)
	sameAnswer(t, "the dropped JPEG", answer(2), apiClassify(t, srv.URL, token, "digits", jpegBytes, "image/jpeg", 5))

	// A digit drawn with the mouse: a 0, an ellipse. The page sends the
	// drawing at the model's input size; the same PNG through the API gets
	// the same answer.
	box := eval(`JSON.stringify(document.getElementById('pad').getBoundingClientRect())`)
	var r struct{ X, Y, Width, Height float64 }
	if err := json.Unmarshal([]byte(box), &r); err != nil {
		t.Fatal(err)
	}
	cx, cy := r.X+r.Width/2, r.Y+r.Height/2
	steps := []chromedp.Action[chromedp.Void]{}
	for i := 0; i <= 40; i++ {
		a := 2 * math.Pi * float64(i) / 40
		x, y := cx+0.25*r.Width*math.Sin(a), cy-0.36*r.Height*math.Cos(a)
		typ := chromedp.MouseMoved
		if i == 0 {
			typ = chromedp.MousePressed
		}
		steps = append(steps, chromedp.MouseEvent(typ, x, y, chromedp.ButtonLeft, func(p *input.DispatchMouseEventParams) { p.Buttons = 1 }))
		if i == 40 {
			steps = append(steps, chromedp.MouseEvent(chromedp.MouseReleased, x, y, chromedp.ButtonLeft))
		}
	}
	if err := chromedp.Do(bctx, steps...); err != nil {
		t.Fatal(err)
	}
	// classifyDrawing picks a model, presses the button and checks the
	// answer against the API's for the image the page sent, which it
	// returns decoded.
	classifyDrawing := func(model string, n, h, w, c int) ([]shownClass, image.Image) {
		t.Helper()
		eval(`(() => { const s = document.getElementById('model'); s.value = '` + model + `'; s.dispatchEvent(new Event('change')); return '' })()`)
		if err := chromedp.Do(bctx, chromedp.Click(chromedp.ID("classify"))); err != nil {
			t.Fatal(err)
		}
		shown := answer(n)
		sent := eval(`document.getElementById('sent').toDataURL('image/png')`)
		sentPNG, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(sent, "data:image/png;base64,"))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(sentPNG))
		if err != nil {
			t.Fatal(err)
		}
		if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
			t.Errorf("%s: the page sent a %dx%d drawing; want the model's %dx%d", model, b.Dx(), b.Dy(), w, h)
		}
		sameAnswer(t, "the drawing for "+model, shown, apiClassify(t, srv.URL, token, model, sentPNG, "image/png", min(5, c)))
		return shown, img
	}
	// An RGB model of a wide input (12x20x3) takes the same drawing at its
	// own size and shape.
	classifyDrawing("rgb", 3, 12, 20, 4)
	drawn, img := classifyDrawing("digits", 4, 8, 8, 10)
	var ink, total float64
	x, err := imageTensor(img, 8, 8, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range x.Data {
		total += float64(v)
		if v > 0.5 {
			ink++
		}
	}
	// An ellipse's ring: more than a few pixels, far from all of them.
	if ink < 8 || ink > 40 {
		t.Errorf("the drawing sent has %v of 64 bright pixels (sum %.1f); want a ring", ink, total)
	}
	t.Logf("the file (a test %s): %s %s; the drawn 0: %s %s", label, shown[0].Label, shown[0].Probability, drawn[0].Label, drawn[0].Probability)
	// The page's cropping and shrinking make a drawing look like the 8x8
	// digits: a model that reads most test digits right reads a plain 0.
	if drawn[0].Label != "0" {
		t.Errorf("the drawn 0 is read as %s (%s); the page's 8x8 input does not look like the digits the model learnt", drawn[0].Label, drawn[0].Probability)
	}

	// The browser asked for credentials once, for the page; its own
	// requests then carried them (Basic), and nothing failed in the page.
	if n := prompts.Load(); n != 1 {
		t.Errorf("the browser asked for credentials %d times; want once, for the page", n)
	}
	shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	out := os.Getenv("GOKERAS_ARTIFACTS")
	if out == "" {
		out = t.TempDir()
	} else if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(out, "serve-page.png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
	mu.Lock()
	defer mu.Unlock()
	for _, p := range problems {
		t.Errorf("the page logged: %s", p)
	}
}

func ptr[T any](v T) *T { return &v }
