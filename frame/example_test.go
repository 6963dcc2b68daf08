package frame_test

import (
	"fmt"
	"strings"

	"github.com/gokeras/gokeras/frame"
)

func ExampleReadCSV() {
	in := "city,rooms,price\nA,3,210.5\nB,4,NA\nC,2,150\nD,5,320\n"
	f, err := frame.ReadCSV(strings.NewReader(in))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range f.Columns() {
		fmt.Printf("%s: %v, %d missing\n", c.Name, c.Kind, c.Missing())
	}
	fmt.Print(f.Describe())
	// Output:
	// city: string, 0 missing
	// rooms: int, 0 missing
	// price: float, 1 missing
	//           rooms       price
	// count  4.000000    3.000000
	// mean   3.500000  226.833333
	// std    1.290994   86.168923
	// min    2.000000  150.000000
	// 25%    2.750000  180.250000
	// 50%    3.500000  210.500000
	// 75%    4.250000  265.250000
	// max    5.000000  320.000000
}

func ExampleFrame_Split() {
	in := "x,y\n1,2\n2,4\n3,6\n4,8\n5,10\n"
	f, _ := frame.ReadCSV(strings.NewReader(in))
	train, test, _ := f.Split(0.4, 1)
	s, _ := frame.FitScaler(train, "x") // training statistics only
	test, _ = s.Transform(test)
	x, _ := test.Tensor("x")
	fmt.Println(train.Len(), test.Len(), x.Shape)
	// Output: 3 2 (2, 1)
}
