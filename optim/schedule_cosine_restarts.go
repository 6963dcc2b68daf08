package optim

import "math"

// CosineDecayRestarts is Keras's CosineDecayRestarts, SGDR
// (keras/src/optimizers/schedules/learning_rate_schedule.py): a cosine
// decay from InitialLearningRate to Alpha times it over FirstDecaySteps,
// then a restart; restart i lasts TMul^i times as long and starts from
// MMul^i times the initial rate. With f = step/FirstDecaySteps:
//
//	TMul = 1: i = floor(f);  f -= i
//	else:     i = floor(log(1 - f*(1-TMul))/log(TMul))
//	          f = (f - (1-TMul^i)/(1-TMul)) / TMul^i
//	rate = lr0 * ((1-Alpha) * MMul^i * (1 + cos(π f))/2 + Alpha)
//
// Zero TMul and MMul mean Keras's defaults, 2 and 1.
type CosineDecayRestarts struct {
	InitialLearningRate float64
	FirstDecaySteps     int64
	TMul                float64
	MMul                float64
	Alpha               float64
}

// Rate returns the rate at step.
func (c CosineDecayRestarts) Rate(step int64) float64 {
	tMul, mMul := or(c.TMul, 2), or(c.MMul, 1)
	f := float64(step) / float64(c.FirstDecaySteps)
	var i float64
	if tMul == 1 {
		i = math.Floor(f)
		f -= i
	} else {
		i = math.Floor(math.Log(1-f*(1-tMul)) / math.Log(tMul))
		sum := (1 - math.Pow(tMul, i)) / (1 - tMul)
		f = (f - sum) / math.Pow(tMul, i)
	}
	cos := 0.5 * math.Pow(mMul, i) * (1 + math.Cos(math.Pi*f))
	return c.InitialLearningRate * ((1-c.Alpha)*cos + c.Alpha)
}
