package gokeras

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gokeras/gokeras/tensor"
)

// TableInputs splits x, a table of shape (rows, len(columns)) whose
// columns are named by columns, into one array per input of m, each the
// column named after the input, as Keras's fit(dict(dataframe)) feeds a
// model with one Input per column. Every input must have shape (1,). A
// model with one input gets nil: it takes the rows whole.
func TableInputs(m *Model, columns []string, x *tensor.Tensor) (Named, error) {
	names := m.InputNames()
	if len(names) < 2 {
		return nil, nil
	}
	if columns == nil {
		return nil, fmt.Errorf("gokeras: the model has %d inputs (%s); it takes the columns of a table named after them, and this data has no column names", len(names), strings.Join(names, ", "))
	}
	if len(x.Shape) != 2 || x.Shape[1] != len(columns) {
		return nil, fmt.Errorf("gokeras: the table has shape %v but %d column names", x.Shape, len(columns))
	}
	shapes := m.net.InputShapes()
	named := Named{}
	rows, width := x.Shape[0], x.Shape[1]
	for i, name := range names {
		j := slices.Index(columns, name)
		if j < 0 {
			return nil, fmt.Errorf("gokeras: the model's input %q names no column of the table (%s); name each input after the column it takes", name, strings.Join(columns, ", "))
		}
		if !shapes[i].Equal(tensor.Shape{1}) {
			return nil, fmt.Errorf("gokeras: the model's input %q has shape %v; an input fed from a column takes one value, shape (1,)", name, shapes[i])
		}
		col := tensor.New(rows, 1)
		for r := range rows {
			col.Data[r] = x.Data[r*width+j]
		}
		named[name] = col
	}
	return named, nil
}
