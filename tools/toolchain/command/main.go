// pulumi-resource-command: our own build of the Pulumi plugin "command" that serves the one resource
// this project uses, command:remote:Command, with the schema and behaviour of pulumi-command v1.2.1.
// The upstream provider module is refused by the Go module proxy, so it cannot be built here (see
// ../README.md). The SDK (@pulumi/command 1.2.1) cannot tell the difference for this resource.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/pulumi/pulumi-go-provider/infer"

	"pactus-secure-node/tools/toolchain/command/remote"
)

// version is what the plugin reports to the engine; build.sh sets it from COMMAND_PROVIDER_VERSION
// (-X main.version=1.2.1) so it matches the version the SDK asks for.
var version = "1.2.1"

func main() {
	provider, err := infer.NewProviderBuilder().
		WithDisplayName("Command").
		WithDescription("pactus-secure-node's implementation of pulumi-command's remote.Command " +
			"(same schema as pulumi-command v" + version + ").").
		WithResources(infer.Resource(&remote.Command{})).
		Build()
	if err == nil {
		err = provider.Run(context.Background(), "command", version)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-command: %v\n", err)
		os.Exit(1)
	}
}
