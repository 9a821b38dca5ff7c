package training

import "math"

// Schedule gives the learning rate at a step, from the base rate.
type Schedule struct {
	Name        string  // none, step, cosine or plateau; default none
	StepEpochs  int     // StepLR: epochs between decays; default DefaultLRStep (the baseline's)
	Gamma       float64 // step and plateau: the decay factor; default DefaultLRGamma
	Reductions  int     // plateau: the times the rate was lowered so far (Plateau)
	WarmupSteps int     // linear warm-up length in steps; 0: none
	WarmupFrom  float64 // rate at step 0 of the warm-up; default 1e-5 (the report's lesson)
	TotalSteps  int     // cosine: steps to decay over
}

// DefaultLRStep is the step schedule's epochs between halvings: the
// baseline's --lr_decay_step (the 2021 winners used 5: --lr-step 5).
const DefaultLRStep = 20

// The schedules' names (Config.Schedule, Schedule.Name).
const (
	ScheduleNone    = "none"    // a constant rate
	ScheduleStep    = "step"    // StepLR: ×Gamma every StepEpochs epochs
	ScheduleCosine  = "cosine"  // cosine annealing over the run's steps
	SchedulePlateau = "plateau" // ReduceLROnPlateau on validation macro F1 (plateau.go)
)

// ScheduleNames lists the schedule names.
var ScheduleNames = []string{ScheduleNone, ScheduleStep, ScheduleCosine, SchedulePlateau}

// Rate returns the learning rate at the given global step and epoch.
func (s Schedule) Rate(base float64, step, epoch int) float64 {
	lr := base
	g := s.Gamma
	if g == 0 {
		g = DefaultLRGamma
	}
	switch s.Name {
	case ScheduleStep:
		se := s.StepEpochs
		if se <= 0 {
			se = DefaultLRStep
		}
		lr = base * math.Pow(g, float64(epoch/se))
	case SchedulePlateau:
		lr = base * math.Pow(g, float64(s.Reductions))
	case ScheduleCosine:
		if s.TotalSteps > 0 {
			t := math.Min(float64(step)/float64(s.TotalSteps), 1)
			lr = base * 0.5 * (1 + math.Cos(math.Pi*t))
		}
	}
	if s.WarmupSteps > 0 && step < s.WarmupSteps {
		from := s.WarmupFrom
		if from == 0 {
			from = 1e-5
		}
		from = math.Min(from, lr)
		lr = from + (lr-from)*float64(step)/float64(s.WarmupSteps)
	}
	return lr
}
