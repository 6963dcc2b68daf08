module github.com/gokeras/gokeras/bench

go 1.26.0

require github.com/gokeras/gokeras v0.0.0

require golang.org/x/sys v0.50.0 // indirect

replace github.com/gokeras/gokeras => ../
