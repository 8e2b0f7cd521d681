package quality

import (
	"math"
	"slices"
	"time"
)

// Observation is a metric's value on one day.
type Observation struct {
	Day   time.Time
	Value float64
}

// Band is what the anomaly model expects on a day.
type Band struct {
	Expected, Low, High float64
	Model               string // which model made it, for the result's threshold
}

// weekdayMin is the history from which the model also learns a weekday
// effect: two of each weekday.
const weekdayMin = 14

// Fit learns a band for day from history, oldest first. The model is a
// linear trend plus, with two weeks of history or more, one effect per
// weekday, fitted by least squares; points whose residual is beyond 3.5
// robust σ are dropped and the model refitted once, so one past incident
// does not widen the band for weeks. The band is expected ± k robust σ of
// the residuals (σ = 1.4826·MAD), with a floor of 1% of the expected value
// so a metric that never moved does not alarm on the smallest change.
func Fit(history []Observation, day time.Time, k float64) Band {
	weekly := len(history) >= weekdayMin
	obs := history
	var coef []float64
	for range 2 {
		coef = leastSquares(obs, weekly)
		res := residuals(obs, coef, weekly)
		s := robustSigma(res)
		var kept []Observation
		for i, o := range obs {
			if math.Abs(res[i]) <= 3.5*s || s == 0 {
				kept = append(kept, o)
			}
		}
		if len(kept) == len(obs) || len(kept) < len(history)/2 {
			break
		}
		obs = kept
	}
	sigma := robustSigma(residuals(obs, coef, weekly))
	t0 := history[0].Day
	exp := predict(coef, features(day, t0, weekly))
	sigma = max(sigma, 0.01*math.Abs(exp))
	model := "linear trend"
	if weekly {
		model = "trend + weekday effects"
	}
	return Band{Expected: exp, Low: exp - k*sigma, High: exp + k*sigma, Model: model}
}

// features is the regression row of a day: intercept, days since t0, and
// six weekday indicators (Sunday is the base) when weekly.
func features(day, t0 time.Time, weekly bool) []float64 {
	x := []float64{1, day.Sub(t0).Hours() / 24}
	if weekly {
		for wd := time.Monday; wd <= time.Saturday; wd++ {
			v := 0.0
			if day.Weekday() == wd {
				v = 1
			}
			x = append(x, v)
		}
	}
	return x
}

func predict(coef, x []float64) float64 {
	var y float64
	for i := range coef {
		y += coef[i] * x[i]
	}
	return y
}

func residuals(obs []Observation, coef []float64, weekly bool) []float64 {
	out := make([]float64, len(obs))
	for i, o := range obs {
		out[i] = o.Value - predict(coef, features(o.Day, obs[0].Day, weekly))
	}
	return out
}

// leastSquares solves the normal equations with a small ridge term, which
// keeps them solvable when a weekday or the trend is not identified.
func leastSquares(obs []Observation, weekly bool) []float64 {
	p := len(features(obs[0].Day, obs[0].Day, weekly))
	a := make([][]float64, p)
	for i := range a {
		a[i] = make([]float64, p+1)
	}
	for _, o := range obs {
		x := features(o.Day, obs[0].Day, weekly)
		for i := range p {
			for j := range p {
				a[i][j] += x[i] * x[j]
			}
			a[i][p] += x[i] * o.Value
		}
	}
	for i := 1; i < p; i++ {
		a[i][i] += 1e-6
	}
	return solve(a)
}

// solve does Gaussian elimination with partial pivoting on an augmented matrix.
func solve(a [][]float64) []float64 {
	n := len(a)
	for c := range n {
		piv := c
		for r := c + 1; r < n; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[piv][c]) {
				piv = r
			}
		}
		a[c], a[piv] = a[piv], a[c]
		if a[c][c] == 0 {
			continue
		}
		for r := range n {
			if r == c {
				continue
			}
			f := a[r][c] / a[c][c]
			for k := c; k <= n; k++ {
				a[r][k] -= f * a[c][k]
			}
		}
	}
	out := make([]float64, n)
	for i := range n {
		if a[i][i] != 0 {
			out[i] = a[i][n] / a[i][i]
		}
	}
	return out
}

func robustSigma(res []float64) float64 {
	abs := make([]float64, len(res))
	med := quantile(res, 0.5)
	for i, r := range res {
		abs[i] = math.Abs(r - med)
	}
	return 1.4826 * quantile(abs, 0.5)
}

// quantile is the q-quantile of vals with linear interpolation.
func quantile(vals []float64, q float64) float64 {
	if len(vals) == 0 {
		return 0
	}
	s := slices.Clone(vals)
	slices.Sort(s)
	pos := q * float64(len(s)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(s)-1)
	return s[lo] + (s[hi]-s[lo])*(pos-float64(lo))
}

func meanSD(vals []float64) (float64, float64) {
	var m float64
	for _, v := range vals {
		m += v
	}
	m /= float64(len(vals))
	var ss float64
	for _, v := range vals {
		ss += (v - m) * (v - m)
	}
	if len(vals) < 2 {
		return m, 0
	}
	return m, math.Sqrt(ss / float64(len(vals)-1))
}
