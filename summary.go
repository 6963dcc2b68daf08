package gokeras

import (
	"fmt"
	"io"
	"strings"
)

// Summary writes Keras's model.summary() table:
//
//	Model: "sequential"
//	_________________________________________________________________
//	 Layer (type)                Output Shape              Param #
//	=================================================================
//	 conv2d (Conv2D)             (None, 6, 6, 10)          100
//	...
//	Total params: 6,349
//	Trainable params: 6,349
//	Non-trainable params: 0
//
// The model is built first if it can be.
func (m *Sequential) Summary(w io.Writer) error {
	if err := m.ensureBuilt(nil); err != nil {
		return err
	}
	const lineLen = 65
	cols := []int{29, 55, lineLen} // Keras 2's positions [.45, .85, 1.] of 65
	// Each field starts at its column; a long field pushes the next one
	// right, as Keras does.
	row := func(fields ...string) string {
		var b strings.Builder
		for i, f := range fields {
			if i > 0 && b.Len() < cols[i-1] {
				b.WriteString(strings.Repeat(" ", cols[i-1]-b.Len()))
			}
			b.WriteString(" " + f)
		}
		return b.String()
	}
	fmt.Fprintf(w, "Model: %q\n", m.Name)
	fmt.Fprintln(w, strings.Repeat("_", lineLen))
	fmt.Fprintln(w, row("Layer (type)", "Output Shape", "Param #"))
	fmt.Fprintln(w, strings.Repeat("=", lineLen))
	for i, l := range m.net.Layers {
		n := 0
		for _, p := range l.Params() {
			n += p.Value.Shape.Size()
		}
		shape := append([]int{-1}, m.net.LayerOutputShape(i)...)
		fmt.Fprintln(w, row(fmt.Sprintf("%s (%s)", l.LayerName(), l.Class()), shapeString(shape), fmt.Sprint(n)))
		if i < len(m.net.Layers)-1 {
			fmt.Fprintln(w)
		}
	}
	total, trainable, non := m.net.CountParams()
	fmt.Fprintln(w, strings.Repeat("=", lineLen))
	fmt.Fprintf(w, "Total params: %s\n", commas(total))
	fmt.Fprintf(w, "Trainable params: %s\n", commas(trainable))
	fmt.Fprintf(w, "Non-trainable params: %s\n", commas(non))
	fmt.Fprintln(w, strings.Repeat("_", lineLen))
	return nil
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
