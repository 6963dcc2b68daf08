module github.com/gokeras/gokeras

go 1.26

require golang.org/x/sys v0.30.0
