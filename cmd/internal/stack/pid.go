package stack

// Pid is the process's id, for benchmarks that read its CPU time and
// memory from /proc.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }
