package plot

import (
	"image"
	"os"
	"strings"
	"testing"
)

func TestConfusionCounts(t *testing.T) {
	yTrue := []int{0, 0, 0, 1, 1, 2, 2, 2, 2, 1}
	yPred := []int{0, 0, 1, 1, 2, 2, 2, 0, 2, 1}
	c, err := NewConfusion([]string{"cat", "dog", "bird"}, yTrue, yPred)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]int{{2, 1, 0}, {0, 2, 1}, {1, 0, 3}}
	for i := range want {
		for j := range want[i] {
			if c.Counts[i][j] != want[i][j] {
				t.Errorf("Counts[%d][%d] = %d, want %d", i, j, c.Counts[i][j], want[i][j])
			}
		}
	}
	if c.Total() != len(yTrue) {
		t.Errorf("Total = %d, want %d samples", c.Total(), len(yTrue))
	}
	if c.Accuracy() != 0.7 {
		t.Errorf("Accuracy = %v, want 0.7", c.Accuracy())
	}
}

func TestConfusionNoClassNames(t *testing.T) {
	c, err := NewConfusion(nil, []int{0, 3}, []int{1, 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Classes) != 4 || c.Classes[3] != "3" || c.Total() != 2 {
		t.Errorf("classes %v, total %d", c.Classes, c.Total())
	}
}

func TestConfusionErrors(t *testing.T) {
	tests := []struct {
		name        string
		yTrue, yPre []int
		want        string
	}{
		{"lengths", []int{0, 1}, []int{0}, "2 true labels but 1 predictions"},
		{"label too big", []int{0, 2}, []int{0, 1}, "label 2"},
		{"negative prediction", []int{0, 1}, []int{0, -1}, "prediction -1"},
	}
	for _, tt := range tests {
		_, err := NewConfusion([]string{"a", "b"}, tt.yTrue, tt.yPre)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestConfusionText(t *testing.T) {
	tests := []struct {
		name    string
		classes []string
		want    string
	}{
		{"short names head the columns", []string{"0", "1"}, `confusion matrix: 13 samples, accuracy 0.7692; rows are true classes, columns predicted
true \ pred  0  1
0           10  1
1            2  0
`},
		{"long names are numbered", []string{"airplane", "automobile"}, `confusion matrix: 13 samples, accuracy 0.7692; rows are true classes, columns predicted
true \ pred   0  1
0 airplane   10  1
1 automobile  2  0
`},
	}
	for _, tt := range tests {
		c := &Confusion{Classes: tt.classes, Counts: [][]int{{10, 1}, {2, 0}}}
		var b strings.Builder
		if err := c.WriteText(&b); err != nil {
			t.Fatal(err)
		}
		if b.String() != tt.want {
			t.Errorf("%s:\ngot\n%s\nwant\n%s", tt.name, b.String(), tt.want)
		}
	}
}

func TestConfusionImage(t *testing.T) {
	classes := []string{"airplane", "automobile", "bird"}
	c := &Confusion{Classes: classes, Counts: [][]int{{50, 0, 3}, {1, 40, 0}, {7, 2, 1000}}}
	got := decode(t, c.Image())
	l := c.layout()
	if got.Bounds() != image.Rect(0, 0, l.width, l.hgt) {
		t.Fatalf("bounds %v, want %dx%d", got.Bounds(), l.width, l.hgt)
	}
	if l.cell < textWidth("1000")+8 {
		t.Errorf("cell %d too narrow for the count 1000", l.cell)
	}
	for tr := range c.Counts {
		for p, v := range c.Counts[tr] {
			r := l.cellRect(tr, p)
			// The corner of a cell is its shade; the middle holds the count.
			want := Blues.At(float64(v) / 1000)
			if g := rgbaAt(got, r.Min.X+1, r.Min.Y+1); g != want {
				t.Errorf("cell (%d, %d) with %d is %v, want %v", tr, p, v, g, want)
			}
			mid := image.Rect(r.Min.X, (r.Min.Y+r.Max.Y-lineHeight)/2, r.Max.X, (r.Min.Y+r.Max.Y+lineHeight)/2)
			if n := countColors(got, mid, want)[0]; n == mid.Dx()*mid.Dy() {
				t.Errorf("cell (%d, %d): no count drawn", tr, p)
			}
		}
		// Row labels left of the matrix.
		r := l.cellRect(tr, 0)
		if nonBackground(got, image.Rect(margin+lineHeight, r.Min.Y, l.x0-1, r.Max.Y)) == 0 {
			t.Errorf("row %d (%s) has no label", tr, classes[tr])
		}
		// Column labels under it.
		r = l.cellRect(len(classes)-1, tr)
		if nonBackground(got, image.Rect(r.Min.X, r.Max.Y+1, r.Max.X, r.Max.Y+gap+l.labelW)) == 0 {
			t.Errorf("column %d (%s) has no label", tr, classes[tr])
		}
	}
	if nonBackground(got, image.Rect(0, margin, l.width, margin+lineHeight)) == 0 {
		t.Error("no title")
	}
}

// The empty matrix draws too: all cells the lightest shade.
func TestConfusionEmpty(t *testing.T) {
	c, err := NewConfusion([]string{"a", "b"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	img := c.Image()
	r := c.layout().cellRect(1, 1)
	if g := rgbaAt(img, r.Min.X+1, r.Min.Y+1); g != Blues.At(0) {
		t.Errorf("empty cell %v", g)
	}
}

func TestWritePNG(t *testing.T) {
	path := t.TempDir() + "/cm.png"
	c := &Confusion{Classes: []string{"a", "b"}, Counts: [][]int{{1, 2}, {3, 4}}}
	if err := WritePNG(path, c.Image()); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, format, err := image.DecodeConfig(f)
	if err != nil || format != "png" {
		t.Fatalf("decoding %s: %v %q", path, err, format)
	}
	l := c.layout()
	if cfg.Width != l.width || cfg.Height != l.hgt {
		t.Errorf("file is %dx%d, want %dx%d", cfg.Width, cfg.Height, l.width, l.hgt)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", fi.Mode().Perm())
	}
	if err := WritePNG(t.TempDir()+"/no/such/dir/x.png", c.Image()); err == nil || !strings.HasPrefix(err.Error(), "plot: ") {
		t.Errorf("missing folder: err = %v", err)
	}
}
