// Package remote implements command:remote:Command: run a command over SSH when the resource is
// created, updated or deleted. The schema (property names, types, defaults, secrets,
// replaceOnChanges) is that of pulumi-command v1.2.1, because @pulumi/command 1.2.1 sends and reads
// exactly those properties; the code is ours. The Go package is named "remote" because
// pulumi-go-provider's infer derives a type's token module from its Go package name, which yields
// command:remote:Command, command:remote:Connection, command:remote:ProxyConnection and
// command:remote:Logging, the upstream tokens.
package remote

import (
	"context"

	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Command is the resource. It keeps no state of its own: everything lives in the Pulumi state.
type Command struct{}

func (c *Command) Annotate(a infer.Annotator) {
	a.Describe(&c, "Runs commands on a remote host over SSH on create, update and delete.")
}

// Logging selects which of the command's streams are copied to the engine's log (both are always
// captured into the stdout/stderr outputs).
type Logging string

const (
	LogStdout          Logging = "stdout"
	LogStderr          Logging = "stderr"
	LogStdoutAndStderr Logging = "stdoutAndStderr"
	LogNone            Logging = "none"
)

func (Logging) Values() []infer.EnumValue[Logging] {
	return []infer.EnumValue[Logging]{
		{Name: string(LogStdout), Value: LogStdout, Description: "Log stdout only"},
		{Name: string(LogStderr), Value: LogStderr, Description: "Log stderr only"},
		{Name: string(LogStdoutAndStderr), Value: LogStdoutAndStderr, Description: "Log stdout and stderr"},
		{Name: string(LogNone), Value: LogNone, Description: "Log nothing"},
	}
}

// logs reports whether a stream is logged; an unset logging means both, as upstream.
func (l *Logging) logs(stream Logging) bool {
	return l == nil || *l == stream || *l == LogStdoutAndStderr
}

// Args are the resource's inputs. Pointers are optional properties; upstream's field set, tags and
// secretness are kept so the engine's diffs and the state look the same as with pulumi-command.
type Args struct {
	// Any change replaces the resource (delete of the old one, create of the new one).
	Triggers *[]any  `pulumi:"triggers,optional" provider:"replaceOnChanges"`
	Create   *string `pulumi:"create,optional"`
	Update   *string `pulumi:"update,optional"`
	Delete   *string `pulumi:"delete,optional"`

	Stdin   *string  `pulumi:"stdin,optional"`
	Logging *Logging `pulumi:"logging,optional"`
	// The whole connection is a secret in the state: it holds keys and passwords.
	Connection  *Connection       `pulumi:"connection" provider:"secret"`
	Environment map[string]string `pulumi:"environment,optional"`
	// Unset means true (upstream has no schema default for it either).
	AddPreviousOutputInEnv *bool `pulumi:"addPreviousOutputInEnv,optional"`
}

func (a *Args) Annotate(an infer.Annotator) {
	an.Describe(&a.Triggers, "Replace the resource when any of these values change.")
	an.Describe(&a.Create, "The command to run when the resource is created (and on update when `update` is unset).")
	an.Describe(&a.Update, "The command to run when the resource is updated. Defaults to `create`.")
	an.Describe(&a.Delete, "The command to run when the resource is deleted.")
	an.Describe(&a.Stdin, "Standard input for the command.")
	an.Describe(&a.Logging, "Which output streams to log. Defaults to stdoutAndStderr.")
	an.Describe(&a.Connection, "How to reach the remote host.")
	an.Describe(&a.Environment, "Environment variables for the command, sent as SSH env requests "+
		"(the SSH server must accept them with AcceptEnv, otherwise the command fails).")
	an.Describe(&a.AddPreviousOutputInEnv, "Pass the previous stdout/stderr as PULUMI_COMMAND_STDOUT and "+
		"PULUMI_COMMAND_STDERR. Defaults to true.")
}

// Output is the last run's captured output.
type Output struct {
	Stdout string `pulumi:"stdout"`
	Stderr string `pulumi:"stderr"`
}

func (o *Output) Annotate(a infer.Annotator) {
	a.Describe(&o.Stdout, "The command's standard output (one trailing newline removed).")
	a.Describe(&o.Stderr, "The command's standard error (one trailing newline removed).")
}

// State is what the state holds: the inputs plus the last run's output. Embedding Args makes infer
// carry each input's secretness over to the output of the same name (e.g. a secret stdin stays secret).
type State struct {
	Args
	Output
}

var (
	_ infer.CustomResource[Args, State] = (*Command)(nil)
	_ infer.CustomUpdate[Args, State]   = (*Command)(nil)
	_ infer.CustomDelete[State]         = (*Command)(nil)
)

// Create runs `create`. During preview nothing runs: infer marks stdout/stderr as unknown.
func (*Command) Create(ctx context.Context, req infer.CreateRequest[Args]) (infer.CreateResponse[State], error) {
	// The ID is only a unique name, as upstream's: "<name>" plus 8 random hex digits.
	id, err := resource.NewUniqueHex(req.Name, 8, 0)
	if err != nil {
		return infer.CreateResponse[State]{}, err
	}
	state := State{Args: req.Inputs}
	if !req.DryRun && req.Inputs.Create != nil {
		err = state.run(ctx, *req.Inputs.Create)
	}
	// On error infer discards the response: the resource is not recorded, so the next `up` creates it again.
	return infer.CreateResponse[State]{ID: id, Output: state}, err
}

// Update runs `update`, or `create` when there is no `update`, with the new inputs (including the new
// connection) and the previous outputs in PULUMI_COMMAND_STDOUT/STDERR.
func (*Command) Update(
	ctx context.Context, req infer.UpdateRequest[Args, State],
) (infer.UpdateResponse[State], error) {
	state := State{Args: req.Inputs, Output: req.State.Output}
	if req.DryRun {
		return infer.UpdateResponse[State]{Output: state}, nil
	}
	var err error
	switch {
	case req.Inputs.Update != nil:
		err = state.run(ctx, *req.Inputs.Update)
	case req.Inputs.Create != nil:
		err = state.run(ctx, *req.Inputs.Create)
	}
	// On error the old state is kept.
	return infer.UpdateResponse[State]{Output: state}, err
}

// Delete runs `delete`, if any, with the connection and outputs recorded in the state.
func (*Command) Delete(ctx context.Context, req infer.DeleteRequest[State]) (infer.DeleteResponse, error) {
	if req.State.Delete == nil {
		return infer.DeleteResponse{}, nil
	}
	state := req.State
	return infer.DeleteResponse{}, state.run(ctx, *state.Delete)
}
