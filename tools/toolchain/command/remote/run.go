package remote

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"

	p "github.com/pulumi/pulumi-go-provider"
)

// The environment variables that carry the previous run's output (upstream's names).
const (
	envPreviousStdout = "PULUMI_COMMAND_STDOUT"
	envPreviousStderr = "PULUMI_COMMAND_STDERR"
)

// run executes cmd once on the remote host: a new SSH connection and one session, in which the remote
// user's login shell runs cmd (`sh -c`-like, as `ssh host cmd` does). On success it records the
// captured output in s.Output. On failure the error carries the exit status, cmd and the combined
// output, in upstream's format: "Process exited with status N: running \"cmd\":\n<output>".
func (s *State) run(ctx context.Context, cmd string) error {
	if s.Connection == nil {
		return errNoConnection
	}
	client, closeAll, err := s.Connection.dial(ctx)
	if err != nil {
		return err
	}
	defer closeAll()

	session, err := client.NewSession()
	if err != nil {
		return err
	}
	defer session.Close()

	log := p.GetLogger(ctx)
	// Upstream fails the run when the server refuses a variable from `environment` (sshd without a
	// matching AcceptEnv refuses it), and only warns for the previous-output variables.
	for name, value := range s.Environment {
		if err := session.Setenv(name, value); err != nil {
			log.Error(setenvAdvice(name))
			return fmt.Errorf("could not set environment variable %q: %w", name, err)
		}
	}
	if s.AddPreviousOutputInEnv == nil || *s.AddPreviousOutputInEnv {
		for name, value := range map[string]string{envPreviousStdout: s.Stdout, envPreviousStderr: s.Stderr} {
			if value == "" {
				continue
			}
			if err := session.Setenv(name, value); err != nil {
				log.Warning(setenvAdvice(name))
			}
		}
	}
	if s.Stdin != nil && *s.Stdin != "" {
		session.Stdin = strings.NewReader(*s.Stdin)
	}

	// Each stream is captured on its own and into a combined buffer (for the error message), and its
	// complete lines go to the engine as status messages, as upstream does.
	var combined lockedBuffer
	logLine := func(line string) { log.InfoStatus(line) }
	stdout := &stream{combined: &combined}
	stderr := &stream{combined: &combined}
	if s.Logging.logs(LogStdout) {
		stdout.logLine = logLine
	}
	if s.Logging.logs(LogStderr) {
		stderr.logLine = logLine
	}
	session.Stdout, session.Stderr = stdout, stderr

	// session.Run does not watch ctx: close the connection when the operation's timeout expires or
	// it is cancelled, so Run returns (upstream keeps waiting for the command).
	stop := context.AfterFunc(ctx, closeAll)
	err = session.Run(cmd)
	stop()
	stdout.flush()
	stderr.flush()

	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%w)", ctx.Err(), err)
		}
		return fmt.Errorf("%w: running %q:\n%s", err, cmd, combined.String())
	}
	s.Output = Output{
		Stdout: strings.TrimSuffix(stdout.all.String(), "\n"),
		Stderr: strings.TrimSuffix(stderr.all.String(), "\n"),
	}
	return nil
}

func setenvAdvice(name string) string {
	return fmt.Sprintf("Unable to set '%s'. The SSH server accepts only the variables its AcceptEnv lists. "+
		"If a Bash-like shell runs the command, prefix the command with 'VAR=value' instead.", name)
}

// lockedBuffer is written by both streams, which the SSH session copies in two goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(data []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(data)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// stream captures one output stream and, when logLine is set, logs it line by line. Written by a
// single goroutine. Lines have no length limit (upstream's bufio.Scanner stops at 64 KiB per line,
// and its pipe then blocks the command's output).
type stream struct {
	all      bytes.Buffer
	combined *lockedBuffer
	logLine  func(string)
	partial  []byte
}

func (s *stream) Write(data []byte) (int, error) {
	s.all.Write(data)
	s.combined.Write(data)
	if s.logLine != nil {
		s.partial = append(s.partial, data...)
		for {
			i := bytes.IndexByte(s.partial, '\n')
			if i < 0 {
				break
			}
			s.logLine(string(bytes.TrimSuffix(s.partial[:i], []byte("\r"))))
			s.partial = s.partial[i+1:]
		}
	}
	return len(data), nil
}

// flush logs a last line that had no newline.
func (s *stream) flush() {
	if s.logLine != nil && len(s.partial) > 0 {
		s.logLine(string(s.partial))
		s.partial = nil
	}
}
