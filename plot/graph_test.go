package plot

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"strings"
	"testing"
)

// A chain with a skip connection: in -> a -> b -> add, and in -> add.
// Every label is 4 characters (28 pixels), so each box is 44x23: 28 +
// 2*8 padding wide, one 13-pixel line + 2*5 padding high. Rows are 23 +
// 32 apart from y = 16. The skip arrow skips rows 1 and 2 and passes
// through a 12-pixel lane right of the boxes' column (x = 16+44+24 = 84,
// centre 90). The picture is 16+44+24+12+16 = 112 wide, 16+4*23+3*32+16
// = 220 high.
func TestLayoutGraphSkipConnection(t *testing.T) {
	nodes := []GraphNode{
		{Lines: []string{"in  "}},
		{Lines: []string{"a   "}, Inputs: []int{0}},
		{Lines: []string{"b   "}, Inputs: []int{1}},
		{Lines: []string{"add "}, Inputs: []int{2, 0}},
	}
	l, err := LayoutGraph(nodes)
	if err != nil {
		t.Fatal(err)
	}
	if l.Width != 112 || l.Height != 220 {
		t.Errorf("size %dx%d, want 112x220", l.Width, l.Height)
	}
	if fmt.Sprint(l.Rank) != "[0 1 2 3]" {
		t.Errorf("ranks %v, want [0 1 2 3]", l.Rank)
	}
	wantBoxes := []image.Rectangle{
		image.Rect(16, 16, 60, 39),
		image.Rect(16, 71, 60, 94),
		image.Rect(16, 126, 60, 149),
		image.Rect(16, 181, 60, 204),
	}
	for i, b := range wantBoxes {
		if l.Boxes[i] != b {
			t.Errorf("box %d at %v, want %v", i, l.Boxes[i], b)
		}
	}
	var got []string
	for _, e := range l.Edges {
		got = append(got, fmt.Sprintf("%d->%d %v", e.From, e.To, e.Points))
	}
	want := []string{
		"0->1 [(38,39) (38,71)]",
		"1->2 [(38,94) (38,126)]",
		"2->3 [(38,149) (38,181)]",
		"0->3 [(38,39) (90,71) (90,94) (90,126) (90,149) (38,181)]",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("edges:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// Two branches that meet: the branch made first is left, each row's boxes
// are centred in their column, and a box wider than its column's others
// widens the column.
func TestLayoutGraphBranches(t *testing.T) {
	nodes := []GraphNode{
		{Lines: []string{"x"}},                      // 23 wide
		{Lines: []string{"left"}, Inputs: []int{0}}, // 44 wide
		{Lines: []string{"right-branch"}, Inputs: []int{0}},
		{Lines: []string{"sum", "(None, 2)"}, Inputs: []int{1, 2}}, // 79 wide, 38 high
	}
	l, err := LayoutGraph(nodes)
	if err != nil {
		t.Fatal(err)
	}
	// Column 0 is 79 wide (sum), column 1 is 100 (right-branch: 12*7+16).
	want := []image.Rectangle{
		image.Rect(44, 16, 67, 39),   // centred on 16+79/2 = 55
		image.Rect(33, 71, 77, 94),   // left, centred on 55
		image.Rect(119, 71, 219, 94), // right, column 1 at 16+79+24 = 119
		image.Rect(16, 126, 95, 164), // sum: mean column 0.5 sorts it first
	}
	for i, b := range want {
		if l.Boxes[i] != b {
			t.Errorf("box %d at %v, want %v", i, l.Boxes[i], b)
		}
	}
	if l.Width != 16+79+24+100+16 || l.Height != 16+23+32+23+32+38+16 {
		t.Errorf("size %dx%d, want %dx%d", l.Width, l.Height, 16+79+24+100+16, 16+23+32+23+32+38+16)
	}
}

func TestGraphPNG(t *testing.T) {
	nodes := []GraphNode{
		{Lines: []string{"in  "}},
		{Lines: []string{"a   "}, Inputs: []int{0}},
		{Lines: []string{"b   "}, Inputs: []int{1}},
		{Lines: []string{"add "}, Inputs: []int{2, 0}},
	}
	img, err := Graph(nodes)
	if err != nil {
		t.Fatal(err)
	}
	data, err := EncodePNG(img)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if b := dec.Bounds(); b.Dx() != 112 || b.Dy() != 220 {
		t.Errorf("PNG is %dx%d, want 112x220", b.Dx(), b.Dy())
	}
	// The skip arrow's lane is drawn; the gap between columns is not.
	if c := img.RGBAAt(90, 110); c != arrowInk {
		t.Errorf("skip lane at (90,110) is %v, want the arrow colour", c)
	}
	if c := img.RGBAAt(70, 110); c != background {
		t.Errorf("(70,110) between the columns is %v, want background", c)
	}
	// Box borders and the arrow tip on the add box's top edge.
	if c := img.RGBAAt(16, 181); c != boxBorder {
		t.Errorf("add box corner is %v, want the border colour", c)
	}
	if c := img.RGBAAt(38, 178); c != arrowInk {
		t.Errorf("arrow head above the add box is %v, want the arrow colour", c)
	}
}

func TestLayoutGraphErrors(t *testing.T) {
	if _, err := LayoutGraph(nil); err == nil {
		t.Error("no nodes: want an error")
	}
	_, err := LayoutGraph([]GraphNode{{Lines: []string{"a"}, Inputs: []int{1}}, {Lines: []string{"b"}}})
	if err == nil || !strings.Contains(err.Error(), "node 0 takes node 1") {
		t.Errorf("forward reference: got %v", err)
	}
	long := make([]GraphNode, 3000)
	for i := range long {
		long[i].Lines = []string{strings.Repeat("w", 400)}
		if i > 0 {
			long[i].Inputs = []int{i - 1}
		}
	}
	if _, err := LayoutGraph(long); err == nil || !strings.Contains(err.Error(), "megapixels") {
		t.Errorf("huge graph: got %v", err)
	}
}

// A ResNet block whose 1x1 shortcut was made before its main path: the
// main path (more layers to the end) takes the left column, straight
// under the block's input, and the shortcut goes beside it.
func TestLayoutGraphMainPathLeft(t *testing.T) {
	nodes := []GraphNode{
		{Lines: []string{"x"}},
		{Lines: []string{"s"}, Inputs: []int{0}}, // shortcut, made first
		{Lines: []string{"m"}, Inputs: []int{0}}, // main path
		{Lines: []string{"n"}, Inputs: []int{2}},
		{Lines: []string{"+"}, Inputs: []int{1, 3}},
	}
	l, err := LayoutGraph(nodes)
	if err != nil {
		t.Fatal(err)
	}
	x := func(i int) int { return l.Boxes[i].Min.X }
	if x(2) != x(0) || x(3) != x(0) || x(4) != x(0) {
		t.Errorf("main path x, m, n, + at x = %d, %d, %d, %d; want one column", x(0), x(2), x(3), x(4))
	}
	if x(1) <= x(2) {
		t.Errorf("shortcut at x = %d, want right of the main path (%d)", x(1), x(2))
	}
}
