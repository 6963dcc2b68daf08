package analysis_test

import (
	"fmt"

	"github.com/gokeras/gokeras/analysis"
	"gonum.org/v1/gonum/mat"
)

func ExampleOLS() {
	// y = 1 + 2x plus a little noise.
	x := mat.NewDense(5, 1, []float64{0, 1, 2, 3, 4})
	y := []float64{1.1, 2.9, 5.2, 6.8, 9.0}
	l, err := analysis.OLS(x, y, []string{"x"})
	if err != nil {
		fmt.Println(err)
		return
	}
	pred, err := l.Predict(x)
	if err != nil {
		fmt.Println(err)
		return
	}
	r2, err := analysis.R2(y, pred)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("intercept %.2f, slope %.2f, R² %.4f\n", l.Terms[0].Coef, l.Terms[1].Coef, r2)
	// Output: intercept 1.06, slope 1.97, R² 0.9977
}

func ExampleNewReport() {
	y := []int{0, 1, 2, 2, 2}
	pred := []int{0, 0, 2, 2, 1}
	fmt.Print(analysis.NewReport(y, pred, []string{"class 0", "class 1", "class 2"}))
	// Output:
	//               precision    recall  f1-score   support
	//
	//      class 0       0.50      1.00      0.67         1
	//      class 1       0.00      0.00      0.00         1
	//      class 2       1.00      0.67      0.80         3
	//
	//     accuracy                           0.60         5
	//    macro avg       0.50      0.56      0.49         5
	// weighted avg       0.70      0.60      0.61         5
}
