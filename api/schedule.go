package api

// Replanner is the scheduler as the API sees it: told when tasks change so
// that their waiting instances are planned again.
type Replanner interface {
	Replan()
}

// SetScheduler hands the server the scheduler, which the server is built
// before; nil leaves planning to the schedule.
func (s *Server) SetScheduler(r Replanner) { s.replan = r }

// replanSoon asks the scheduler, if any, to plan again.
func (s *Server) replanSoon() {
	if s.replan != nil {
		s.replan.Replan()
	}
}
