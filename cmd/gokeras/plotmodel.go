package main

import (
	"strconv"
	"strings"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/plot"
)

// writeModelPlot draws m's graph as keras.utils.plot_model(model,
// show_shapes=True) does, into a PNG file at path: one box per layer call
// with its name, class and output shape, arrows from inputs to consumers.
func writeModelPlot(m *gokeras.Model, path string) error {
	calls, err := m.LayerCalls()
	if err != nil {
		return err
	}
	img, err := plot.Graph(graphNodes(calls))
	if err != nil {
		return err
	}
	return plot.WritePNG(path, img)
}

// graphNodes turns a model's layer calls into the boxes plot.Graph draws.
func graphNodes(calls []gokeras.LayerCall) []plot.GraphNode {
	nodes := make([]plot.GraphNode, len(calls))
	for i, c := range calls {
		dims := make([]string, len(c.OutputShape))
		for j, d := range c.OutputShape {
			if d < 0 {
				dims[j] = "None"
			} else {
				dims[j] = strconv.Itoa(d)
			}
		}
		nodes[i] = plot.GraphNode{
			Lines:  []string{c.Name + " (" + c.Class + ")", "(" + strings.Join(dims, ", ") + ")"},
			Inputs: c.Inputs,
		}
	}
	return nodes
}
