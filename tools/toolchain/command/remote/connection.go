package remote

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// endpoint is what Connection and ProxyConnection share (upstream's schema: the same fields and
// defaults in both types).
type endpoint struct {
	Host               *string  `pulumi:"host"`
	Port               *float64 `pulumi:"port,optional"`
	User               *string  `pulumi:"user,optional"`
	Password           *string  `pulumi:"password,optional" provider:"secret"`
	PrivateKey         *string  `pulumi:"privateKey,optional" provider:"secret"`
	PrivateKeyPassword *string  `pulumi:"privateKeyPassword,optional" provider:"secret"`
	AgentSocketPath    *string  `pulumi:"agentSocketPath,optional"`
	DialErrorLimit     *int     `pulumi:"dialErrorLimit,optional"`
	PerDialTimeout     *int     `pulumi:"perDialTimeout,optional"`
	HostKey            *string  `pulumi:"hostKey,optional"`
}

func (e *endpoint) annotate(a infer.Annotator, what string) {
	a.Describe(&e.Host, "The address of the "+what+".")
	a.Describe(&e.Port, "The SSH port. Defaults to 22.")
	a.SetDefault(&e.Port, 22)
	a.Describe(&e.User, "The user to log in as. Defaults to root.")
	a.SetDefault(&e.User, "root")
	a.Describe(&e.Password, "The password (also answers keyboard-interactive prompts).")
	a.Describe(&e.PrivateKey, "The private key (OpenSSH or PEM), tried before the password.")
	a.Describe(&e.PrivateKeyPassword, "The private key's passphrase, if it is encrypted.")
	a.Describe(&e.AgentSocketPath, "An SSH agent socket. Defaults to $SSH_AUTH_SOCK when set.")
	a.Describe(&e.DialErrorLimit, "How many failed dials are allowed before giving up; -1 means no limit "+
		"(until the operation's timeout). Defaults to 10.")
	a.SetDefault(&e.DialErrorLimit, defaultDialErrorLimit)
	a.Describe(&e.PerDialTimeout, "Seconds allowed for each dial attempt; 0 means no limit. Defaults to 15.")
	a.SetDefault(&e.PerDialTimeout, 15)
	a.Describe(&e.HostKey, "The host's public key (authorized_keys format). Unset: any host key is accepted.")
}

// Connection is how to reach the host, optionally through a bastion.
type Connection struct {
	endpoint
	Proxy *ProxyConnection `pulumi:"proxy,optional"`
}

func (c *Connection) Annotate(a infer.Annotator) {
	a.Describe(&c, "How to reach a remote host over SSH.")
	c.annotate(a, "host")
	a.Describe(&c.Proxy, "A bastion host to connect through.")
}

// ProxyConnection is the bastion host.
type ProxyConnection struct{ endpoint }

func (c *ProxyConnection) Annotate(a infer.Annotator) {
	a.Describe(&c, "How to reach a bastion host over SSH.")
	c.annotate(a, "bastion host")
}

const (
	defaultDialErrorLimit = 10
	// The pause between failed dials grows from 100 ms by half each time up to 5 s: upstream's (the
	// Pulumi SDK's retry.Until defaults). 10 immediate failures thus take about 11 s.
	firstRetryDelay = 100 * time.Millisecond
	maxRetryDelay   = 5 * time.Second
)

// Defaults for properties the engine has not filled in (Check applies the schema defaults, but a
// state written by hand or by another tool may lack them).
func (e *endpoint) user() string {
	if e.User == nil {
		return "root"
	}
	return *e.User
}

func (e *endpoint) address() string {
	port := 22
	if e.Port != nil {
		port = int(*e.Port)
	}
	host := ""
	if e.Host != nil {
		host = *e.Host
	}
	return net.JoinHostPort(host, strconv.Itoa(port))
}

func (e *endpoint) dialErrorLimit() int {
	if e.DialErrorLimit == nil {
		return defaultDialErrorLimit
	}
	return *e.DialErrorLimit
}

func (e *endpoint) perDialTimeout() time.Duration {
	if e.PerDialTimeout == nil {
		return 15 * time.Second
	}
	return time.Duration(*e.PerDialTimeout) * time.Second
}

// clientConfig builds the SSH client configuration. Auth methods in upstream's order: private key,
// password (plus keyboard-interactive answering every prompt with it), agent. The returned function
// releases the agent connection.
func (e *endpoint) clientConfig() (*ssh.ClientConfig, func(), error) {
	cfg := &ssh.ClientConfig{User: e.user()}
	release := func() {}

	if e.HostKey != nil {
		key, _, _, _, err := ssh.ParseAuthorizedKey([]byte(*e.HostKey))
		if err != nil {
			return nil, release, fmt.Errorf("failed to parse host key: %w", err)
		}
		cfg.HostKeyCallback = ssh.FixedHostKey(key)
		cfg.HostKeyAlgorithms = hostKeyAlgorithms(key.Type())
	} else {
		// Upstream's behaviour: without hostKey, any host key is accepted.
		cfg.HostKeyCallback = ssh.InsecureIgnoreHostKey() //nolint:gosec // as upstream, by design
	}

	if e.PrivateKey != nil {
		var signer ssh.Signer
		var err error
		if e.PrivateKeyPassword != nil {
			signer, err = ssh.ParsePrivateKeyWithPassphrase([]byte(*e.PrivateKey), []byte(*e.PrivateKeyPassword))
		} else {
			signer, err = ssh.ParsePrivateKey([]byte(*e.PrivateKey))
		}
		if err != nil {
			return nil, release, fmt.Errorf("failed to parse private key: %w", err)
		}
		cfg.Auth = append(cfg.Auth, ssh.PublicKeys(signer))
	}

	if e.Password != nil {
		password := *e.Password
		cfg.Auth = append(cfg.Auth, ssh.Password(password),
			ssh.KeyboardInteractive(func(_, _ string, questions []string, _ []bool) ([]string, error) {
				answers := make([]string, len(questions))
				for i := range answers {
					answers[i] = password
				}
				return answers, nil
			}))
	}

	socket, explicit := "", false
	if e.AgentSocketPath != nil {
		socket, explicit = *e.AgentSocketPath, true
	} else {
		socket = os.Getenv("SSH_AUTH_SOCK")
	}
	if socket != "" {
		conn, err := net.Dial("unix", socket)
		switch {
		case err == nil:
			cfg.Auth = append(cfg.Auth, ssh.PublicKeysCallback(agent.NewClient(conn).Signers))
			release = func() { conn.Close() }
		case explicit:
			return nil, release, fmt.Errorf("ssh agent %s: %w", socket, err)
		default:
			// A stale $SSH_AUTH_SOCK inherited from the shell is skipped (upstream fails on it).
		}
	}
	return cfg, release, nil
}

// hostKeyAlgorithms restricts the server's host key signature to the pinned key's type. An RSA key
// may sign with SHA-2 (what current OpenSSH servers offer) or SHA-1.
func hostKeyAlgorithms(keyType string) []string {
	if keyType == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	}
	return []string{keyType}
}

// dial connects and authenticates, retrying as upstream does: a failed TCP connect, SSH handshake or
// authentication all count as a dial error (a host that is still booting may accept TCP before sshd
// has keys, or refuse a key cloud-init has not installed yet). On success the returned function closes
// everything dial opened (client, bastion, agent); on failure dial has closed it all already.
func (c *Connection) dial(ctx context.Context) (*ssh.Client, func(), error) {
	cfg, release, err := c.clientConfig()
	if err != nil {
		return nil, nil, err
	}
	if c.Proxy == nil {
		client, err := retryDial(ctx, "Dial", c.dialErrorLimit(), func() (*ssh.Client, error) {
			return dialOnce(ctx, nil, c.address(), cfg, c.perDialTimeout())
		})
		if err != nil {
			release()
			return nil, nil, err
		}
		return client, func() { client.Close(); release() }, nil
	}

	// Through a bastion: log in to it (with its own retry settings), then open a TCP channel from it
	// to the host and run the SSH handshake over that channel (with the host's retry settings).
	proxyCfg, proxyRelease, err := c.Proxy.clientConfig()
	if err != nil {
		release()
		return nil, nil, fmt.Errorf("proxy: %w", err)
	}
	bastion, err := retryDial(ctx, "Dial proxy", c.Proxy.dialErrorLimit(), func() (*ssh.Client, error) {
		return dialOnce(ctx, nil, c.Proxy.address(), proxyCfg, c.Proxy.perDialTimeout())
	})
	var client *ssh.Client
	if err == nil {
		client, err = retryDial(ctx, "Dial from proxy", c.dialErrorLimit(), func() (*ssh.Client, error) {
			return dialOnce(ctx, bastion, c.address(), cfg, c.perDialTimeout())
		})
	}
	closeAll := func() {
		if client != nil {
			client.Close()
		}
		if bastion != nil {
			bastion.Close()
		}
		proxyRelease()
		release()
	}
	if err != nil {
		closeAll()
		return nil, nil, fmt.Errorf("proxy: %w", err)
	}
	return client, closeAll, nil
}

// dialOnce makes one attempt: TCP connect (directly or from the bastion), then SSH handshake and
// authentication, all within perDial (upstream bounds only the TCP connect, so a server that accepts
// TCP but never answers hung the attempt for good).
func dialOnce(
	ctx context.Context, via *ssh.Client, addr string, cfg *ssh.ClientConfig, perDial time.Duration,
) (*ssh.Client, error) {
	attemptCtx, cancel := ctx, context.CancelFunc(func() {})
	if perDial > 0 {
		attemptCtx, cancel = context.WithTimeout(ctx, perDial)
	}
	defer cancel()

	var conn net.Conn
	var err error
	if via == nil {
		conn, err = (&net.Dialer{}).DialContext(attemptCtx, "tcp", addr)
	} else {
		conn, err = via.DialContext(attemptCtx, "tcp", addr)
	}
	if err != nil {
		return nil, err
	}
	// Closing the connection is the only way to interrupt a handshake in progress.
	stop := context.AfterFunc(attemptCtx, func() { conn.Close() })
	sshConn, chans, reqs, err := ssh.NewClientConn(conn, addr, cfg)
	if !stop() {
		if err == nil {
			sshConn.Close()
		}
		return nil, fmt.Errorf("ssh handshake with %s: %w", addr, attemptCtx.Err())
	}
	if err != nil {
		return nil, err
	}
	return ssh.NewClient(sshConn, chans, reqs), nil
}

// retryDial calls try until it succeeds, it has failed more than limit times (limit -1: no limit), or
// ctx ends (the operation's custom timeout, or a cancel). Progress goes to the engine as status.
func retryDial[T any](ctx context.Context, what string, limit int, try func() (T, error)) (T, error) {
	var zero T
	limitText := "inf"
	if limit >= 0 {
		limitText = strconv.Itoa(limit)
	}
	delay := firstRetryDelay
	for failures := 1; ; failures++ {
		v, err := try()
		if err == nil {
			return v, nil
		}
		if ctx.Err() != nil {
			return zero, gaveUp(ctx, failures, err)
		}
		if limit >= 0 && failures > limit {
			return zero, fmt.Errorf("after %d failed attempts: %w", failures, err)
		}
		p.GetLogger(ctx).InfoStatusf("%s %d/%s failed: retrying (%v)", what, failures, limitText, err)
		timer := time.NewTimer(delay)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return zero, gaveUp(ctx, failures, err)
		}
		delay = min(delay*3/2, maxRetryDelay)
	}
}

// gaveUp keeps the last dial error next to the context's (upstream returns only the latter).
func gaveUp(ctx context.Context, failures int, last error) error {
	return fmt.Errorf("gave up dialing after %d failed attempts: %w (last error: %w)",
		failures, ctx.Err(), last)
}

// errNoConnection is returned when the inputs have no connection at all (the schema requires one).
var errNoConnection = errors.New("connection is required")
