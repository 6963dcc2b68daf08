package plot

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"slices"
)

// GraphNode is one box of an architecture picture (keras.utils.plot_model's
// job): its lines of text, say "conv2d (Conv2D)" and "(None, 30, 30, 32)",
// and the earlier boxes whose outputs it takes, by index.
type GraphNode struct {
	Lines  []string
	Inputs []int
}

// GraphLayout is where Graph puts boxes and arrows, in pixels.
type GraphLayout struct {
	Width, Height int
	Rank          []int             // each node's row, counted from the top
	Boxes         []image.Rectangle // each node's box
	Edges         []GraphEdge
}

// GraphEdge is an arrow from box From to box To through Points: the first
// on the middle of From's bottom, the last (the arrow's tip) on the middle
// of To's top; points between are where it passes rows it skips.
type GraphEdge struct {
	From, To int
	Points   []image.Point
}

// Sizes of a graph picture, in pixels.
const (
	graphMargin  = 16 // around the picture
	graphRowGap  = 32 // between rows, for the arrows
	graphColGap  = 24 // between columns
	graphLane    = 12 // the width of a column only arrows pass through
	graphPadX    = 8  // inside a box, left and right of the text
	graphPadY    = 5  // inside a box, above and below the text
	graphLineGap = 2  // between lines of text
	// maxGraphPixels bounds the picture (256 MB of RGBA): a graph that
	// would need more is refused rather than drawn.
	maxGraphPixels = 64 << 20
)

// LayoutGraph places the nodes top to bottom in rows: a node's row is one
// more than the lowest of its inputs' (longest-path layering), so every
// arrow points down. An arrow that skips rows passes through a narrow
// column of its own in each row it skips, which keeps skip connections
// (a ResNet's shortcuts) beside the main path instead of across it. In
// each row the nodes are ordered by the mean column of what feeds them
// (the barycentre heuristic for few crossings), boxes before passing
// arrows, the longer way to the end first (a block's main path left of
// its shortcut), then in the given order; each column is as wide as its widest
// box, and boxes are centred in their column, so a chain is a straight
// line. The picture grows with the graph.
func LayoutGraph(nodes []GraphNode) (*GraphLayout, error) {
	if len(nodes) == 0 {
		return nil, fmt.Errorf("plot: a graph needs at least one node")
	}
	rank := make([]int, len(nodes))
	for i, n := range nodes {
		for _, in := range n.Inputs {
			if in < 0 || in >= i {
				return nil, fmt.Errorf("plot: node %d takes node %d as input; inputs must be earlier nodes (0..%d)", i, in, i-1)
			}
			rank[i] = max(rank[i], rank[in]+1)
		}
	}
	rows := slices.Max(rank) + 1

	// Items are what occupies a slot in a row: a node, or an arrow
	// passing through (node -1; edge names it).
	type item struct {
		node, edge int
		preds      []int // items in the row above that feed it
		bary       float64
		slot       int
		ahead      int // layers from it to the end of the longest path on from it
	}
	var items []item
	nodeItem := make([]int, len(nodes))
	for i := range nodes {
		nodeItem[i] = -1
	}
	type edgeRef struct{ from, to, k int } // k-th input of to
	var edges []edgeRef
	var via [][]int // items each edge passes through
	for i, n := range nodes {
		var preds []int
		for k, in := range n.Inputs {
			e := len(edges)
			edges = append(edges, edgeRef{in, i, k})
			prev := nodeItem[in]
			var path []int
			for r := rank[in] + 1; r < rank[i]; r++ {
				items = append(items, item{node: -1, edge: e, preds: []int{prev}})
				prev = len(items) - 1
				path = append(path, prev)
			}
			via = append(via, path)
			preds = append(preds, prev)
		}
		items = append(items, item{node: i, edge: -1, preds: preds})
		nodeItem[i] = len(items) - 1
	}
	// ahead: the main path of a block (more layers to the end) goes left
	// of a branch with fewer, such as a 1x1 shortcut.
	ahead := make([]int, len(nodes))
	for i := len(nodes) - 1; i >= 0; i-- {
		for _, in := range nodes[i].Inputs {
			ahead[in] = max(ahead[in], ahead[i]+1)
		}
	}
	byRow := make([][]int, rows)
	// A passing item's row is one below its predecessor's; items are
	// made after their predecessors.
	itemRow := make([]int, len(items))
	for k, it := range items {
		if it.node >= 0 {
			itemRow[k] = rank[it.node]
			items[k].ahead = ahead[it.node]
		} else {
			itemRow[k] = itemRow[it.preds[0]] + 1
			to := edges[it.edge].to
			items[k].ahead = ahead[to] + 1
		}
		byRow[itemRow[k]] = append(byRow[itemRow[k]], k)
	}
	for r := range byRow {
		row := byRow[r]
		for _, k := range row {
			it := &items[k]
			if len(it.preds) == 0 {
				it.bary = 0
				continue
			}
			s := 0.0
			for _, p := range it.preds {
				s += float64(items[p].slot)
			}
			it.bary = s / float64(len(it.preds))
		}
		slices.SortStableFunc(row, func(a, b int) int {
			x, y := items[a], items[b]
			if r > 0 && x.bary != y.bary {
				if x.bary < y.bary {
					return -1
				}
				return 1
			}
			if (x.node < 0) != (y.node < 0) {
				if x.node >= 0 {
					return -1
				}
				return 1
			}
			if x.ahead != y.ahead {
				return y.ahead - x.ahead
			}
			return 0 // stable: the order items were made in
		})
		for s, k := range row {
			items[k].slot = s
		}
	}

	// Sizes.
	boxSize := func(n GraphNode) (w, h int) {
		for _, l := range n.Lines {
			w = max(w, textWidth(l))
		}
		lines := max(len(n.Lines), 1)
		return w + 2*graphPadX, lines*(lineHeight+graphLineGap) - graphLineGap + 2*graphPadY
	}
	var colW []int
	rowH := make([]int, rows)
	for k, it := range items {
		w, h := graphLane, 0
		if it.node >= 0 {
			w, h = boxSize(nodes[it.node])
		}
		for len(colW) <= it.slot {
			colW = append(colW, 0)
		}
		colW[it.slot] = max(colW[it.slot], w)
		rowH[itemRow[k]] = max(rowH[itemRow[k]], h)
	}
	colX := make([]int, len(colW))
	x := graphMargin
	for c, w := range colW {
		colX[c] = x
		x += w + graphColGap
	}
	width := x - graphColGap + graphMargin
	rowY := make([]int, rows)
	y := graphMargin
	for r, h := range rowH {
		rowY[r] = y
		y += h + graphRowGap
	}
	height := y - graphRowGap + graphMargin
	if width*height > maxGraphPixels {
		return nil, fmt.Errorf("plot: the graph needs a %dx%d picture, more than %d megapixels; draw a part of it", width, height, maxGraphPixels>>20)
	}

	l := &GraphLayout{Width: width, Height: height, Rank: rank, Boxes: make([]image.Rectangle, len(nodes))}
	centre := func(k int) int { return colX[items[k].slot] + colW[items[k].slot]/2 }
	for i, n := range nodes {
		k := nodeItem[i]
		w, h := boxSize(n)
		x0 := centre(k) - w/2
		l.Boxes[i] = image.Rect(x0, rowY[rank[i]], x0+w, rowY[rank[i]]+h)
	}
	for e, ref := range edges {
		from, to := l.Boxes[ref.from], l.Boxes[ref.to]
		pts := []image.Point{{(from.Min.X + from.Max.X) / 2, from.Max.Y}}
		for _, k := range via[e] {
			cx, r := centre(k), itemRow[k]
			pts = append(pts, image.Pt(cx, rowY[r]), image.Pt(cx, rowY[r]+rowH[r]))
		}
		pts = append(pts, image.Pt((to.Min.X+to.Max.X)/2, to.Min.Y))
		l.Edges = append(l.Edges, GraphEdge{From: ref.from, To: ref.to, Points: pts})
	}
	return l, nil
}

// Colours of a graph picture.
var (
	boxFill   = color.RGBA{232, 240, 254, 255}
	boxBorder = color.RGBA{60, 60, 60, 255}
	arrowInk  = color.RGBA{80, 80, 80, 255}
)

// Graph draws nodes as LayoutGraph places them: a box per node with its
// lines of text centred, an arrow from each input to its consumer.
func Graph(nodes []GraphNode) (*image.RGBA, error) {
	l, err := LayoutGraph(nodes)
	if err != nil {
		return nil, err
	}
	img := newCanvas(l.Width, l.Height)
	for _, e := range l.Edges {
		for i := 1; i < len(e.Points); i++ {
			drawLine(img, e.Points[i-1], e.Points[i], arrowInk)
		}
		n := len(e.Points)
		drawArrowHead(img, e.Points[n-2], e.Points[n-1], arrowInk)
	}
	for i, b := range l.Boxes {
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				c := boxFill
				if y == b.Min.Y || y == b.Max.Y-1 || x == b.Min.X || x == b.Max.X-1 {
					c = boxBorder
				}
				img.SetRGBA(x, y, c)
			}
		}
		cx := (b.Min.X + b.Max.X) / 2
		for j, line := range nodes[i].Lines {
			drawTextCentered(img, cx, b.Min.Y+graphPadY+j*(lineHeight+graphLineGap), line, ink)
		}
	}
	return img, nil
}

// drawLine draws a one-pixel line from a to b (Bresenham).
func drawLine(img *image.RGBA, a, b image.Point, c color.RGBA) {
	dx, dy := abs(b.X-a.X), -abs(b.Y-a.Y)
	sx, sy := sign(b.X-a.X), sign(b.Y-a.Y)
	e := dx + dy
	for p := a; ; {
		img.SetRGBA(p.X, p.Y, c)
		if p == b {
			return
		}
		if e2 := 2 * e; e2 >= dy {
			e += dy
			p.X += sx
		} else {
			e += dx
			p.Y += sy
		}
	}
}

// drawArrowHead fills a triangle with its tip at tip, pointing along the
// segment from from to tip: 9 pixels long, 8 wide.
func drawArrowHead(img *image.RGBA, from, tip image.Point, c color.RGBA) {
	fx, fy := float64(tip.X-from.X), float64(tip.Y-from.Y)
	n := math.Hypot(fx, fy)
	if n == 0 {
		return
	}
	fx, fy = fx/n, fy/n
	const length, half = 9.0, 4.0
	bx, by := float64(tip.X)-fx*length, float64(tip.Y)-fy*length
	p := [3][2]float64{
		{float64(tip.X), float64(tip.Y)},
		{bx - fy*half, by + fx*half},
		{bx + fy*half, by - fx*half},
	}
	minX, maxX := int(min(p[0][0], p[1][0], p[2][0]))-1, int(max(p[0][0], p[1][0], p[2][0]))+1
	minY, maxY := int(min(p[0][1], p[1][1], p[2][1]))-1, int(max(p[0][1], p[1][1], p[2][1]))+1
	cross := func(a, b [2]float64, x, y float64) float64 {
		return (b[0]-a[0])*(y-a[1]) - (b[1]-a[1])*(x-a[0])
	}
	for y := minY; y <= maxY; y++ {
		for x := minX; x <= maxX; x++ {
			px, py := float64(x), float64(y)
			d0, d1, d2 := cross(p[0], p[1], px, py), cross(p[1], p[2], px, py), cross(p[2], p[0], px, py)
			if (d0 >= 0 && d1 >= 0 && d2 >= 0) || (d0 <= 0 && d1 <= 0 && d2 <= 0) {
				img.SetRGBA(x, y, c)
			}
		}
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func sign(x int) int {
	switch {
	case x < 0:
		return -1
	case x > 0:
		return 1
	}
	return 0
}
