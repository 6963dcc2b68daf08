package gokeras

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/optim"
)

// Summary writes Keras 3's model.summary() as Keras prints it where the
// output is not a terminal (a file, a pipe, a notebook's captured stdout):
//
//	Model: "sequential"
//	┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
//	┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
//	┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
//	│ conv2d (Conv2D)                 │ (None, 26, 26, 32)     │           320 │
//	├─────────────────────────────────┼────────────────────────┼───────────────┤
//	│ batch_normalization             │ (None, 26, 26, 32)     │           128 │
//	│ (BatchNormalization)            │                        │               │
//	└─────────────────────────────────┴────────────────────────┴───────────────┘
//	 Total params: 448 (1.75 KB)
//	 Trainable params: 384 (1.50 KB)
//	 Non-trainable params: 64 (256.00 B)
//
// A cell too long for its column wraps at spaces, and a word too long for
// its column ends in "…", as rich (the library Keras draws the table with)
// does. Trainable counts leave out frozen layers' weights. Once the model
// has trained, an "Optimizer params" line counts the optimizer's variables
// as Keras does (its step counter, its learning rate unless a schedule
// drives it, and its slots such as Adam's m and v), and the total includes
// them. Sizes are float32 bytes in units of 1024, with two decimals.
//
// A Functional model's summary lists its InputLayers too and, unless its
// graph is a plain chain, a fourth column "Connected to" (see
// functionalSummary).
//
// The model is built first if it can be. A model without an input shape
// is summarised as Keras summarises one that has not seen data: output
// shape "?", "0 (unbuilt)" parameters.
func (m *Sequential) Summary(w io.Writer) error {
	if m.net.Functional() {
		return m.functionalSummary(w)
	}
	unbuilt := !m.net.Built() && len(m.net.Layers) > 0 && len(m.net.DeclaredInputShape()) == 0
	if unbuilt {
		if err := m.net.AssignNames(); err != nil {
			return err
		}
	} else if err := m.ensureBuilt(nil); err != nil {
		return err
	}
	rows := make([][]string, len(m.net.Layers))
	for i, l := range m.net.Layers {
		shape, params := "?", "0 (unbuilt)"
		if !unbuilt {
			shape = shapeString(append([]int{-1}, m.net.LayerOutputShape(i)...))
			params = commas(layerParams(l))
		}
		rows[i] = []string{l.LayerName() + " (" + l.Class() + ")", shape, params}
	}
	var b strings.Builder
	writeTable(&b, m.Name, sequentialTable, rows)
	m.writeSummaryFooter(&b, unbuilt)
	_, err := io.WriteString(w, b.String())
	return err
}

func layerParams(l nn.Layer) int {
	n := 0
	for _, p := range l.Params() {
		n += p.Value.Shape.Size()
	}
	return n
}

// writeSummaryFooter writes the parameter counts under the table.
func (m *Sequential) writeSummaryFooter(b *strings.Builder, unbuilt bool) {
	var trainable, non int
	if !unbuilt {
		_, trainable, non = m.net.CountParams()
	}
	optCount, optBytes, optBuilt := 0, 0.0, false
	if m.compiled && !unbuilt {
		optCount, optBytes, optBuilt = optimizerVariables(m.model.Optimizer)
	}
	const f32 = 4 // bytes per weight
	footer := func(what string, n int, bytes float64) {
		fmt.Fprintf(b, " %s params: %s (%s)\n", what, commas(n), readableSize(bytes))
	}
	footer("Total", trainable+non+optCount, float64(trainable*f32)+float64(non*f32)+optBytes)
	footer("Trainable", trainable, float64(trainable*f32))
	footer("Non-trainable", non, float64(non*f32))
	if optBuilt {
		footer("Optimizer", optCount, optBytes)
	}
}

// functionalSummary summarises a Functional model as Keras 3's
// print_summary does (keras/src/utils/summary_utils.py): one row per
// layer, the InputLayers included, in the order of Functional._operations
// (keras/src/ops/function.py map_graph: by depth from the outputs, deepest
// first, ties in the order a depth-first walk from the outputs first meets
// each layer). A graph that is a plain chain (one node per depth, each
// with one input, no layer called twice) gets Sequential's three columns;
// any other gets a fourth, "Connected to": each input of each call of the
// layer as name[node_index][tensor_index], joined by ", " and wrapped as
// any cell is. A shared layer has one row; its output shape is its last
// call's.
//
// Keras numbers a layer's calls (node_index) in the order they were made;
// gokeras does not record that order and numbers them in the order the
// graph runs them, which is the same for the usual cases (a shared layer
// called on the first input, then the second).
func (m *Sequential) functionalSummary(w io.Writer) error {
	if err := m.ensureBuilt(nil); err != nil {
		return err
	}
	g := kerasGraphOrder(&m.net)
	var b strings.Builder
	if g.chain {
		rows := make([][]string, len(g.ops))
		for i, op := range g.ops {
			rows[i] = []string{op.title(), op.shape(), commas(op.params())}
		}
		writeTable(&b, m.Name, sequentialTable, rows)
	} else {
		rows := make([][]string, len(g.ops))
		for i, op := range g.ops {
			rows[i] = []string{op.title(), op.shape(), commas(op.params()), g.connections(op)}
		}
		writeTable(&b, m.Name, functionalTable, rows)
	}
	m.writeSummaryFooter(&b, false)
	_, err := io.WriteString(w, b.String())
	return err
}

// graphOp is a layer of a Functional model with the calls (nodes) of it
// in the graph, in the order they run; for an input, its one node.
type graphOp struct {
	name  string
	layer nn.Layer // nil for an input
	nodes []*nn.Node
}

func (o *graphOp) title() string {
	if o.layer == nil {
		return o.name + " (InputLayer)"
	}
	return o.name + " (" + o.layer.Class() + ")"
}

func (o *graphOp) shape() string {
	return shapeString(append([]int{-1}, o.nodes[len(o.nodes)-1].Shape()...))
}

func (o *graphOp) params() int {
	if o.layer == nil {
		return 0
	}
	return layerParams(o.layer)
}

// kerasGraph is a Functional model's graph as Keras orders it for its
// summary.
type kerasGraph struct {
	ops   []*graphOp            // in Functional._operations order
	opOf  map[*nn.Node]*graphOp // the layer each node calls
	chain bool                  // print_summary's sequential_like
}

// kerasGraphOrder orders s's layers as map_graph and _build_map
// (keras/src/ops/function.py) order Functional._operations.
func kerasGraphOrder(s *nn.Stack) *kerasGraph {
	g := &kerasGraph{opOf: map[*nn.Node]*graphOp{}}
	byKey := map[any]*graphOp{}
	var all []*graphOp // in the order nodes run
	opFor := func(n *nn.Node) *graphOp {
		var key any = n.Layer()
		if n.Input() != nil {
			key = n.Input()
		}
		op := byKey[key]
		if op == nil {
			op = &graphOp{layer: n.Layer()}
			if n.Layer() != nil {
				op.name = n.Layer().LayerName()
			}
			byKey[key] = op
			all = append(all, op)
		}
		op.nodes = append(op.nodes, n)
		g.opOf[n] = op
		return op
	}
	for _, n := range s.GraphInputs() {
		opFor(n)
	}
	for _, n := range s.Nodes() {
		opFor(n)
	}
	nameInputs(all)

	// _build_map: a depth-first walk from the outputs. A layer's traversal
	// index is when the walk first enters one of its nodes; the nodes are
	// listed when left (inputs before consumers).
	index := map[*graphOp]int{}
	done := map[*nn.Node]bool{}
	var post []*nn.Node
	var visit func(n *nn.Node)
	visit = func(n *nn.Node) {
		if done[n] {
			return
		}
		op := g.opOf[n]
		if _, ok := index[op]; !ok {
			index[op] = len(index)
		}
		for _, in := range n.Inputs() {
			visit(in)
		}
		done[n] = true
		post = append(post, n)
	}
	for _, out := range s.GraphOutputs() {
		visit(out)
	}
	// map_graph: a node's depth is one more than its deepest consumer's
	// (outputs are 0); a layer's is its deepest node's, and a later call
	// of a shared layer is raised to it.
	nodeDepth := map[*nn.Node]int{}
	opDepth := map[*graphOp]int{}
	for i := len(post) - 1; i >= 0; i-- {
		n := post[i]
		op := g.opOf[n]
		d := max(nodeDepth[n], opDepth[op])
		opDepth[op], nodeDepth[n] = d, d
		for _, in := range n.Inputs() {
			nodeDepth[in] = max(nodeDepth[in], d+1)
		}
	}
	for _, in := range s.GraphInputs() { // an input no output needs
		if _, ok := opDepth[g.opOf[in]]; !ok {
			opDepth[g.opOf[in]], index[g.opOf[in]] = 0, -1
		}
	}
	g.ops = append(g.ops, all...)
	sort.SliceStable(g.ops, func(i, j int) bool {
		a, b := g.ops[i], g.ops[j]
		if opDepth[a] != opDepth[b] {
			return opDepth[a] > opDepth[b]
		}
		return index[a] < index[b]
	})

	// sequential_like: one node per depth, each with at most one input,
	// and no layer called twice.
	perDepth := map[int]int{}
	g.chain = true
	for n, d := range nodeDepth {
		perDepth[d]++
		if perDepth[d] > 1 || len(n.Inputs()) > 1 {
			g.chain = false
		}
	}
	for _, op := range g.ops {
		if len(op.nodes) > 1 {
			g.chain = false
		}
	}
	return g
}

// nameInputs gives unnamed inputs Keras 3's names (input_layer,
// input_layer_1, ...), skipping names the model's layers use. The
// InputLayers themselves are left as they are.
func nameInputs(ops []*graphOp) {
	taken := map[string]bool{}
	for _, op := range ops {
		if op.layer != nil {
			taken[op.name] = true
		} else if name := op.nodes[0].Input().LayerName(); name != "" {
			op.name = name
			taken[name] = true
		}
	}
	k := 0
	for _, op := range ops {
		if op.name != "" {
			continue
		}
		for {
			name := "input_layer"
			if k > 0 {
				name = fmt.Sprintf("input_layer_%d", k)
			}
			k++
			if !taken[name] {
				op.name, taken[name] = name, true
				break
			}
		}
	}
}

// connections is the "Connected to" cell of op: every input of every call,
// as name[node_index][tensor_index] (get_connections in summary_utils.py),
// or "-" for an input. gokeras layers have one output: tensor_index is 0.
func (g *kerasGraph) connections(op *graphOp) string {
	var parts []string
	for _, n := range op.nodes {
		for _, in := range n.Inputs() {
			from := g.opOf[in]
			k := 0
			for k < len(from.nodes) && from.nodes[k] != in {
				k++
			}
			parts = append(parts, fmt.Sprintf("%s[%d][0]", from.name, k))
		}
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}

// A tableLayout is a summary table's header, its columns' text widths and
// which column is right-aligned.
type tableLayout struct {
	header []string
	widths []int
	right  int
}

// The two tables Keras 3 prints where the output is not a terminal: print_summary
// (keras/src/utils/summary_utils.py) uses a line length of min(88, columns-4)
// for a Sequential-like model and min(108, columns-4) for any other
// Functional one, which is 76 for both where there is no terminal (Python's
// fallback is 80 columns), with the column positions [0.45, 0.80, 1.0] and
// [0.3, 0.56, 0.74, 1.0]; richWidths turns them into what rich draws.
var (
	sequentialTable = tableLayout{
		header: []string{"Layer (type)", "Output Shape", "Param #"},
		widths: richWidths(76, []float64{0.45, 0.80, 1.0}), // 31, 22, 13
		right:  2,
	}
	functionalTable = tableLayout{
		header: []string{"Layer (type)", "Output Shape", "Param #", "Connected to"},
		widths: richWidths(76, []float64{0.3, 0.56, 0.74, 1.0}), // 19, 17, 10, 17
		right:  2,
	}
)

// summaryWidths are the text widths of a Sequential summary's three columns.
var summaryWidths = sequentialTable.widths

// richWidths computes the text widths of the columns print_summary asks
// for and rich draws. Keras makes column i int(positions[i]*lineLength)
// minus the columns before it and gives rich a table of lineLength with
// those fixed widths. rich adds one space of padding on each side and
// fits the columns into the table's width less its rules (one per column,
// plus one): as no column may wrap, the excess is taken from the columns
// equally in turn, each share rounded half to even (rich's ratio_reduce
// with all ratios 1). For the Sequential table: 34, 26, 16 → 36+28+18 = 82
// into 72, 10 taken as 3, 4, 3; for the Functional one 22, 20, 14, 20 →
// 84 into 71, 13 taken as 3, 3, 4, 3.
func richWidths(lineLength int, positions []float64) []int {
	widths := make([]int, len(positions))
	current, total := 0, 0
	for i, p := range positions {
		widths[i] = int(p*float64(lineLength)) - current
		current += widths[i]
		widths[i] += 2 // padding
		total += widths[i]
	}
	if excess := total - (lineLength - len(positions) - 1); excess > 0 {
		remaining, ratios := float64(excess), float64(len(widths))
		for i := range widths {
			d := min(float64(widths[i]), math.RoundToEven(remaining/ratios))
			widths[i] -= int(d)
			remaining -= d
			ratios--
		}
	}
	for i := range widths {
		widths[i] -= 2
	}
	return widths
}

// writeSummaryTable writes the model line and the table of a Sequential
// summary.
func writeSummaryTable(b *strings.Builder, name string, rows [][3]string) {
	rs := make([][]string, len(rows))
	for i := range rows {
		rs[i] = rows[i][:]
	}
	writeTable(b, name, sequentialTable, rs)
}

// writeTable writes the model line and rich's HEAVY_HEAD box with a rule
// between rows.
func writeTable(b *strings.Builder, name string, layout tableLayout, rows [][]string) {
	b.WriteString("Model: \"" + name + "\"\n")
	t := summaryTable{w: b, layout: layout}
	t.rule('┏', '━', '┳', '┓')
	t.row('┃', layout.header)
	t.rule('┡', '━', '╇', '┩')
	for i, r := range rows {
		if i > 0 {
			t.rule('├', '─', '┼', '┤')
		}
		t.row('│', r)
	}
	t.rule('└', '─', '┴', '┘')
}

type summaryTable struct {
	w      *strings.Builder
	layout tableLayout
}

func (t summaryTable) rule(left, fill, cross, right rune) {
	t.w.WriteRune(left)
	for i, width := range t.layout.widths {
		if i > 0 {
			t.w.WriteRune(cross)
		}
		t.w.WriteString(strings.Repeat(string(fill), width+2))
	}
	t.w.WriteRune(right)
	t.w.WriteByte('\n')
}

// row writes one table row; cells wrap onto as many lines as the tallest
// needs, the others filled with blanks.
func (t summaryTable) row(bar rune, cells []string) {
	widths := t.layout.widths
	lines := make([][]string, len(cells))
	height := 0
	for i, c := range cells {
		lines[i] = wrapCell(c, widths[i], i == t.layout.right)
		height = max(height, len(lines[i]))
	}
	for k := range height {
		for i := range cells {
			t.w.WriteRune(bar)
			t.w.WriteByte(' ')
			if k < len(lines[i]) {
				t.w.WriteString(lines[i][k])
			} else {
				t.w.WriteString(strings.Repeat(" ", widths[i]))
			}
			t.w.WriteByte(' ')
		}
		t.w.WriteRune(bar)
		t.w.WriteByte('\n')
	}
}

// wrapCell lays text out in lines of exactly width characters, as rich
// does for a table cell with overflow "ellipsis" (rich/_wrap.py
// divide_line without folding, then text.py wrap and containers.py
// justify): a line breaks before a word that would pass the width; a word
// longer than the width gets a line of its own, cut to width-1 characters
// and "…"; lines are padded on the right, or on the left when right is set.
// Characters count one column each (rich counts East Asian wide ones as
// two; layer names rarely hold any).
func wrapCell(text string, width int, right bool) []string {
	var out []string
	for _, para := range strings.Split(text, "\n") {
		for _, line := range divideLine(para, width) {
			r := []rune(line)
			if right {
				r = []rune(strings.TrimRightFunc(line, unicode.IsSpace))
			} else if len(r) > width {
				// Trailing spaces past the width go first (rstrip_end).
				n := len(r) - len(strings.TrimRightFunc(line, unicode.IsSpace))
				r = r[:len(r)-min(n, len(r)-width)]
			}
			if len(r) > width {
				r = append(r[:width-1:width-1], '…')
			}
			pad := strings.Repeat(" ", width-len(r))
			if right {
				out = append(out, pad+string(r))
			} else {
				out = append(out, string(r)+pad)
			}
		}
	}
	return out
}

// divideLine splits s into lines of words, each word keeping the spaces
// after it: a word starts a new line when it would pass width, and a word
// longer than width sits on a line of its own.
func divideLine(s string, width int) []string {
	var lines []string
	start, pos := 0, 0 // start of the current line, its length so far
	for i := 0; i < len(s); {
		// A word: leading spaces (only at the start of s), non-spaces,
		// trailing spaces.
		j := i
		for j < len(s) && isSpaceAt(s, j) {
			j += runeLen(s, j)
		}
		if j == len(s) {
			break // only spaces left: rich's word pattern needs a non-space
		}
		for j < len(s) && !isSpaceAt(s, j) {
			j += runeLen(s, j)
		}
		bare := utf8.RuneCountInString(s[i:j])
		for j < len(s) && isSpaceAt(s, j) {
			j += runeLen(s, j)
		}
		full := utf8.RuneCountInString(s[i:j])
		if pos+bare > width && i > 0 && (pos > 0 || bare > width) {
			lines = append(lines, s[start:i])
			start, pos = i, full
		} else {
			pos += full
		}
		i = j
	}
	return append(lines, s[start:])
}

func isSpaceAt(s string, i int) bool {
	r, _ := utf8.DecodeRuneInString(s[i:])
	return unicode.IsSpace(r)
}

func runeLen(s string, i int) int {
	_, n := utf8.DecodeRuneInString(s[i:])
	return n
}

// optimizerVariables counts what Keras 3 lists in optimizer.variables
// (keras/src/optimizers/base_optimizer.py): the iteration counter, the
// learning rate unless a schedule sets it, and the slots. built is false
// until the optimizer has state (a step taken or state loaded), as Keras
// builds its optimizer at the start of training. Sizes are TensorFlow's,
// Keras's default backend: the counter is an int64 (8 bytes), the rest
// float32.
func optimizerVariables(o optim.Optimizer) (count int, bytes float64, built bool) {
	if o == nil {
		return 0, 0, false
	}
	if mo, ok := o.(*optim.MultiOptimizer); ok {
		// multi_optimizer.py: its own iteration counter and learning rate
		// (0.0), then each inner optimizer's variables.
		if o.Iterations() == 0 && len(o.State()) == 0 {
			return 0, 0, false
		}
		count, bytes = 2, 12
		for _, in := range mo.Optimizers() {
			c, b, _ := optimizerVariables(in)
			if c == 0 { // not stepped: its counter and rate, made in __init__
				c, b = 1, 8
				if in.Schedule() == nil {
					c, b = 2, 12
				}
			}
			count, bytes = count+c, bytes+b
		}
		return count, bytes, true
	}
	schedule := o.Schedule() != nil
	slots := o.State()
	if o.Iterations() == 0 && len(slots) == 0 {
		return 0, 0, false
	}
	count, bytes = 1, 8
	if !schedule {
		count, bytes = count+1, bytes+4
	}
	for _, s := range slots {
		n := s.Value.Shape.Size()
		count += n
		bytes += float64(n) * 4
	}
	return count, bytes, true
}

// readableSize formats a byte count as Keras's readable_memory_size does
// (keras/src/utils/summary_utils.py): divided by 1024 while that leaves at
// least 1, with two decimals and the unit: "8.42 MB", "144.00 B".
func readableSize(bytes float64) string {
	units := []string{"B", "KB", "MB", "GB", "TB", "PB"}
	for _, u := range units {
		if bytes/1024 < 1 {
			return strconv.FormatFloat(bytes, 'f', 2, 64) + " " + u
		}
		bytes /= 1024
	}
	// Past the last unit Keras has divided once more; so does this.
	return strconv.FormatFloat(bytes, 'f', 2, 64) + " " + units[len(units)-1]
}

func shapeString(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		if d < 0 {
			parts[i] = "None"
		} else {
			parts[i] = fmt.Sprint(d)
		}
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// commas formats 2207242 as "2,207,242".
func commas(n int) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
