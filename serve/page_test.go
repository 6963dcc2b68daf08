package serve

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/tensor"
)

// imageModel is a small untrained classifier of 8x8 grayscale images into
// three named classes.
func imageModel(t testing.TB) *gokeras.Model {
	m := gokeras.NewSequential(
		&nn.Conv2D{Filters: 3, KernelSize: [2]int{3, 3}, Activation: activation.ReLU, InputShape: tensor.Shape{8, 8, 1}},
		&nn.Flatten{},
		&nn.Dense{Units: 3, Activation: activation.Softmax},
	)
	m.Seed = 5
	m.Classes = []string{"ant", "bee", "cat"}
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	return m
}

func newPageHandler(t testing.TB, o Options) (*Handler, map[string]*gokeras.Model) {
	models := map[string]*gokeras.Model{"img": imageModel(t), "multi": multiModel(t)}
	h, err := New(models, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h, models
}

// The page's three files are served from the binary with their types,
// nosniff and a Content-Security-Policy that allows this origin only;
// other paths under /ui/ and other methods are refused.
func TestPageFiles(t *testing.T) {
	h, _ := newPageHandler(t, Options{})
	for _, c := range []struct {
		path, file, ctype string
	}{
		{"/", "page/index.html", "text/html; charset=utf-8"},
		{"/ui/app.js", "page/app.js", "text/javascript; charset=utf-8"},
		{"/ui/style.css", "page/style.css", "text/css; charset=utf-8"},
		{"/ui/icon.svg", "page/icon.svg", "image/svg+xml"},
	} {
		want, err := pageFS.ReadFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		w := request(h, http.MethodGet, c.path, nil)
		hd := w.Header()
		if w.Code != http.StatusOK || !bytes.Equal(w.Body.Bytes(), want) {
			t.Errorf("GET %s: %d, %d bytes; want 200 and the %d bytes of %s", c.path, w.Code, w.Body.Len(), len(want), c.file)
		}
		if hd.Get("Content-Type") != c.ctype || hd.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: Content-Type %q, X-Content-Type-Options %q; want %q and nosniff", c.path, hd.Get("Content-Type"), hd.Get("X-Content-Type-Options"), c.ctype)
		}
		csp := hd.Get("Content-Security-Policy")
		for _, d := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"} {
			if !strings.Contains(csp, d) {
				t.Errorf("GET %s: Content-Security-Policy %q lacks %q", c.path, csp, d)
			}
		}
		if strings.Contains(csp, "unsafe") || strings.Contains(csp, "*") {
			t.Errorf("GET %s: Content-Security-Policy %q allows more than this origin", c.path, csp)
		}
		if head := request(h, http.MethodHead, c.path, nil); head.Code != http.StatusOK || head.Header().Get("Content-Type") != c.ctype {
			t.Errorf("HEAD %s: %d %q", c.path, head.Code, head.Header().Get("Content-Type"))
		}
		if post := request(h, http.MethodPost, c.path, nil); post.Code != http.StatusMethodNotAllowed || post.Header().Get("Allow") != http.MethodGet {
			t.Errorf("POST %s: %d, Allow %q; want 405, GET", c.path, post.Code, post.Header().Get("Allow"))
		}
	}
	for _, path := range []string{"/ui/", "/ui/index.html", "/ui/../serve.go", "/index.html", "/page/app.js", "/favicon.ico"} {
		if w := request(h, http.MethodGet, path, nil); w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), `"error":"no endpoint`) {
			t.Errorf("GET %s: %d %s; want 404 with an error body", path, w.Code, w.Body)
		}
	}
}

// Nothing in the page's files comes from elsewhere: no absolute URLs, no
// protocol-relative ones, no inline script or style (which the CSP would
// block anyway), and every local path they load is one the handler serves.
func TestPageSelfContained(t *testing.T) {
	h, _ := newPageHandler(t, Options{})
	absolute := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}`)
	err := fs.WalkDir(pageFS, "page", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := pageFS.ReadFile(path)
		if err != nil {
			return err
		}
		// An SVG's namespace is a name, not something loaded.
		b = bytes.ReplaceAll(b, []byte(`xmlns="http://www.w3.org/2000/svg"`), nil)
		if m := absolute.Find(b); m != nil {
			t.Errorf("%s refers to %q; the page must load nothing from other sites", path, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	html, _ := pageFS.ReadFile("page/index.html")
	for _, bad := range []string{"<style", " style=", " onclick=", " onload=", "javascript:"} {
		if bytes.Contains(html, []byte(bad)) {
			t.Errorf("index.html has %q: inline style or script, which the CSP blocks", bad)
		}
	}
	if bytes.Contains(html, []byte("<script>")) {
		t.Errorf("index.html has an inline <script>, which the CSP blocks")
	}
	refs := regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllSubmatch(html, -1)
	js, _ := pageFS.ReadFile("page/app.js")
	refs = append(refs, regexp.MustCompile(`fetch\('([^']+)'[,)]`).FindAllSubmatch(js, -1)...)
	if len(refs) < 3 {
		t.Fatalf("found %d references in the page; want its script, stylesheet and the models' list", len(refs))
	}
	for _, r := range refs {
		path := string(r[1])
		if w := request(h, http.MethodGet, path, nil); w.Code != http.StatusOK {
			t.Errorf("the page loads %s, which answers %d", path, w.Code)
		}
	}
}

// GET /ui/models lists every served model with its tensors, classes,
// image size (or why it is not an image classifier) and summary.
func TestPageModels(t *testing.T) {
	h, models := newPageHandler(t, Options{})
	w := request(h, http.MethodGet, "/ui/models", nil)
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/json" || w.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("GET /ui/models: %d %v %s", w.Code, w.Header(), w.Body)
	}
	var got struct{ Models []pageModel }
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Models) != 2 || got.Models[0].Name != "img" || got.Models[1].Name != "multi" {
		t.Fatalf("models %+v; want img and multi, by name", got.Models)
	}
	for _, pm := range got.Models {
		m := models[pm.Name]
		var want strings.Builder
		if err := m.Summary(&want); err != nil {
			t.Fatal(err)
		}
		if pm.Summary != want.String() || !strings.Contains(pm.Summary, "Total params") {
			t.Errorf("%s: summary\n%s\nwant\n%s", pm.Name, pm.Summary, want.String())
		}
		if len(pm.Inputs) != len(m.InputNames()) || len(pm.Outputs) != len(m.OutputNames()) {
			t.Errorf("%s: %d inputs, %d outputs; want %d, %d", pm.Name, len(pm.Inputs), len(pm.Outputs), len(m.InputNames()), len(m.OutputNames()))
		}
		for k, in := range pm.Inputs {
			if in.Name != m.InputNames()[k] || !tensor.Shape(in.Shape).Equal(m.Net().InputShapes()[k]) {
				t.Errorf("%s: input %d is %s %v; want %s %v", pm.Name, k, in.Name, in.Shape, m.InputNames()[k], m.Net().InputShapes()[k])
			}
		}
	}
	img, multi := got.Models[0], got.Models[1]
	if img.Image == nil || img.Image.Height != 8 || img.Image.Width != 8 || img.Image.Channels != 1 || img.NotImage != "" {
		t.Errorf("img: image %+v, not_image %q; want 8x8x1", img.Image, img.NotImage)
	}
	if strings.Join(img.Classes, ",") != "ant,bee,cat" || len(img.Outputs) != 1 || len(img.Outputs[0].Shape) != 1 || img.Outputs[0].Shape[0] != 3 {
		t.Errorf("img: classes %v, outputs %+v; want ant, bee, cat and one output of 3", img.Classes, img.Outputs)
	}
	if multi.Image != nil || !strings.Contains(multi.NotImage, ":classify needs a classifier of one image input") {
		t.Errorf("multi: image %+v, not_image %q; want none, and why", multi.Image, multi.NotImage)
	}
	if post := request(h, http.MethodPost, "/ui/models", nil); post.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /ui/models: %d; want 405", post.Code)
	}
}

func basic(user, password string) string {
	r, _ := http.NewRequest(http.MethodGet, "/", nil)
	r.SetBasicAuth(user, password)
	return r.Header.Get("Authorization")
}

// pngBody is a small PNG for :classify.
func pngBody(t testing.TB) []byte {
	img := image.NewGray(image.Rect(0, 0, 8, 8))
	for i := range 8 {
		img.SetGray(i, i, color.Gray{Y: 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// With a token, the page asks a browser for it (Basic, the token as the
// password); a request signed in that way is let through like one with
// the bearer token, but one that changes anything must come from the
// server's own origin. Bearer keeps working everywhere, liveness needs
// nothing, and API paths still challenge with Bearer only.
func TestPageAuth(t *testing.T) {
	const token = "s3cret-token"
	h, _ := newPageHandler(t, Options{Token: token})
	bearer := "Bearer " + token
	classify := "/v1/models/img:classify"
	for _, c := range []struct {
		name, method, path string
		headers            map[string]string
		code               int
		challenges         []string // WWW-Authenticate, in order, on a 401
	}{
		{"page without credentials", "GET", "/", nil, 401, []string{`Basic realm="gokeras", charset="UTF-8"`, `Bearer realm="gokeras"`}},
		{"script without credentials", "GET", "/ui/app.js", nil, 401, []string{`Basic realm="gokeras", charset="UTF-8"`, `Bearer realm="gokeras"`}},
		{"models without credentials", "GET", "/ui/models", nil, 401, []string{`Basic realm="gokeras", charset="UTF-8"`, `Bearer realm="gokeras"`}},
		{"API without credentials", "GET", "/v1/models/img", nil, 401, []string{`Bearer realm="gokeras"`}},
		{"page, Basic with the token", "GET", "/", map[string]string{"Authorization": basic("anyone", token)}, 200, nil},
		{"page, Basic with no user name", "GET", "/", map[string]string{"Authorization": basic("", token)}, 200, nil},
		{"page, Basic with a wrong password", "GET", "/", map[string]string{"Authorization": basic("anyone", "wrong")}, 401, []string{`Basic realm="gokeras", charset="UTF-8"`, `Bearer realm="gokeras"`}},
		{"page, Basic with the token as user name", "GET", "/", map[string]string{"Authorization": basic(token, "")}, 401, []string{`Basic realm="gokeras", charset="UTF-8"`, `Bearer realm="gokeras"`}},
		{"page, bearer", "GET", "/", map[string]string{"Authorization": bearer}, 200, nil},
		{"models, Basic", "GET", "/ui/models", map[string]string{"Authorization": basic("u", token)}, 200, nil},
		{"API GET, Basic", "GET", "/v2/models/img", map[string]string{"Authorization": basic("u", token)}, 200, nil},
		{"API GET, Basic, other site", "GET", "/v2/models/img", map[string]string{"Authorization": basic("u", token), "Sec-Fetch-Site": "cross-site"}, 200, nil},
		{"classify, Basic, no browser headers", "POST", classify, map[string]string{"Authorization": basic("u", token)}, 200, nil},
		{"classify, Basic, same origin", "POST", classify, map[string]string{"Authorization": basic("u", token), "Sec-Fetch-Site": "same-origin"}, 200, nil},
		{"classify, Basic, other site", "POST", classify, map[string]string{"Authorization": basic("u", token), "Sec-Fetch-Site": "cross-site"}, 403, nil},
		{"classify, Basic, same site other origin", "POST", classify, map[string]string{"Authorization": basic("u", token), "Sec-Fetch-Site": "same-site"}, 403, nil},
		{"classify, Basic, Origin of another host", "POST", classify, map[string]string{"Authorization": basic("u", token), "Origin": "https://evil.example"}, 403, nil},
		{"classify, Basic, Origin of this host", "POST", classify, map[string]string{"Authorization": basic("u", token), "Origin": "http://example.com"}, 200, nil},
		{"classify, bearer, other site", "POST", classify, map[string]string{"Authorization": bearer, "Sec-Fetch-Site": "cross-site"}, 200, nil},
		{"classify, Basic with a wrong password", "POST", classify, map[string]string{"Authorization": basic("u", "nope")}, 401, []string{`Bearer realm="gokeras"`}},
		{"liveness, nothing", "GET", "/v2/health/live", nil, 200, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			var body *bytes.Reader
			if c.method == http.MethodPost {
				body = bytes.NewReader(pngBody(t))
			} else {
				body = bytes.NewReader(nil)
			}
			req := httptest.NewRequest(c.method, c.path, body)
			req.Header.Set("Content-Type", "image/png")
			for k, v := range c.headers {
				req.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != c.code {
				t.Fatalf("%s %s: %d %s; want %d", c.method, c.path, w.Code, w.Body, c.code)
			}
			if got := w.Header().Values("WWW-Authenticate"); strings.Join(got, "|") != strings.Join(c.challenges, "|") {
				t.Errorf("WWW-Authenticate %q; want %q", got, c.challenges)
			}
			switch c.code {
			case http.StatusUnauthorized:
				if !strings.Contains(w.Body.String(), "give the token as the password") {
					t.Errorf("401 body %s does not say how a browser signs in", w.Body)
				}
			case http.StatusForbidden:
				if !strings.Contains(w.Body.String(), `Authorization: Bearer`) {
					t.Errorf("403 body %s does not say what other clients send", w.Body)
				}
			}
		})
	}
}
