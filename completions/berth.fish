# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_berth_global_optspecs
    string join \n root= log-level= events-backend= h/help V/version
end

function __fish_berth_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_berth_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_berth_using_subcommand
    set -l cmd (__fish_berth_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c berth -n "__fish_berth_needs_command" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_needs_command" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_needs_command" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_needs_command" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_needs_command" -s V -l version -d 'Print version'
complete -c berth -n "__fish_berth_needs_command" -f -a "attach" -d 'Show a running container\'s output as it comes, until it exits'
complete -c berth -n "__fish_berth_needs_command" -f -a "build" -d 'Build an image from a Dockerfile'
complete -c berth -n "__fish_berth_needs_command" -f -a "create" -d 'Create a container without starting it'
complete -c berth -n "__fish_berth_needs_command" -f -a "start" -d 'Start created or exited containers'
complete -c berth -n "__fish_berth_needs_command" -f -a "stats" -d 'Show running containers\' resource use'
complete -c berth -n "__fish_berth_needs_command" -f -a "stop" -d 'Stop running containers: their stop signal, then SIGKILL after the timeout'
complete -c berth -n "__fish_berth_needs_command" -f -a "kill" -d 'Send a signal to running containers\' first process'
complete -c berth -n "__fish_berth_needs_command" -f -a "wait" -d 'Wait for containers to stop (or to run) and print their exit codes'
complete -c berth -n "__fish_berth_needs_command" -f -a "restart" -d 'Stop containers (when running) and start them again, detached'
complete -c berth -n "__fish_berth_needs_command" -f -a "rename" -d 'Rename a container'
complete -c berth -n "__fish_berth_needs_command" -f -a "exec" -d 'Run a command in a running container'
complete -c berth -n "__fish_berth_needs_command" -f -a "builder" -d 'Manage the build cache'
complete -c berth -n "__fish_berth_needs_command" -f -a "commit" -d 'Create an image from a container\'s changes'
complete -c berth -n "__fish_berth_needs_command" -f -a "container" -d 'Manage containers'
complete -c berth -n "__fish_berth_needs_command" -f -a "diff" -d 'Show what a container changed in its image\'s files: A added, C changed, D deleted'
complete -c berth -n "__fish_berth_needs_command" -f -a "events" -d 'Show events: container lifecycle, health status, image pulls, tags, builds'
complete -c berth -n "__fish_berth_needs_command" -f -a "cp" -d 'Copy files between a container and the host'
complete -c berth -n "__fish_berth_needs_command" -f -a "export" -d 'Export a container\'s filesystem as a tar archive'
complete -c berth -n "__fish_berth_needs_command" -f -a "generate" -d 'Generate configuration for other tools'
complete -c berth -n "__fish_berth_needs_command" -f -a "image" -d 'Manage images'
complete -c berth -n "__fish_berth_needs_command" -f -a "images" -d 'List images in local storage'
complete -c berth -n "__fish_berth_needs_command" -f -a "import" -d 'Create an image from a root filesystem tarball (plain, gzip or zstd)'
complete -c berth -n "__fish_berth_needs_command" -f -a "inspect" -d 'Show containers\' or images\' details as JSON (the shapes of `podman inspect`)'
complete -c berth -n "__fish_berth_needs_command" -f -a "healthcheck" -d 'Run a container\'s healthcheck'
complete -c berth -n "__fish_berth_needs_command" -f -a "info" -d 'Show how berth runs here: mode, id mapping, store, and problems found'
complete -c berth -n "__fish_berth_needs_command" -f -a "history" -d 'Show how an image was made, newest step first'
complete -c berth -n "__fish_berth_needs_command" -f -a "tag" -d 'Give an image more names'
complete -c berth -n "__fish_berth_needs_command" -f -a "top" -d 'Show the processes running in a container'
complete -c berth -n "__fish_berth_needs_command" -f -a "untag" -d 'Remove names from an image (all of them when none are given); the image stays'
complete -c berth -n "__fish_berth_needs_command" -f -a "pause" -d 'Pause a container\'s processes (needs a delegated cgroup v2; refused where there is none)'
complete -c berth -n "__fish_berth_needs_command" -f -a "unpause" -d 'Pause a container\'s processes (needs a delegated cgroup v2; refused where there is none)'
complete -c berth -n "__fish_berth_needs_command" -f -a "port" -d 'List a container\'s published ports, or the host address of one'
complete -c berth -n "__fish_berth_needs_command" -f -a "ps" -d 'List containers'
complete -c berth -n "__fish_berth_needs_command" -f -a "pull" -d 'Pull an image from a registry'
complete -c berth -n "__fish_berth_needs_command" -f -a "push" -d 'Push an image to a registry'
complete -c berth -n "__fish_berth_needs_command" -f -a "rm" -d 'Remove stopped containers'
complete -c berth -n "__fish_berth_needs_command" -f -a "rmi" -d 'Remove images; blobs and layers no other image uses go with them'
complete -c berth -n "__fish_berth_needs_command" -f -a "run" -d 'Run a command in a new container, as a child of this process'
complete -c berth -n "__fish_berth_needs_command" -f -a "save" -d 'Write images to a tar archive (stdout unless -o)'
complete -c berth -n "__fish_berth_needs_command" -f -a "sbom" -d 'List the packages installed in an image (its software bill of materials)'
complete -c berth -n "__fish_berth_needs_command" -f -a "scan" -d 'Scan an image or an SBOM for known vulnerabilities (OSV), offline'
complete -c berth -n "__fish_berth_needs_command" -f -a "search" -d 'Search a registry for images (Docker Hub\'s search, or the registry\'s catalog)'
complete -c berth -n "__fish_berth_needs_command" -f -a "load" -d 'Load images from a docker-archive or oci-archive (stdin unless -i; gzip too)'
complete -c berth -n "__fish_berth_needs_command" -f -a "login" -d 'Log in to a registry: check the credentials with it, then store them'
complete -c berth -n "__fish_berth_needs_command" -f -a "logout" -d 'Remove a registry\'s stored credentials'
complete -c berth -n "__fish_berth_needs_command" -f -a "logs" -d 'Show a container\'s output (its k8s-file log, or the journal\'s entries)'
complete -c berth -n "__fish_berth_needs_command" -f -a "manifest" -d 'Create, inspect and push multi-platform image lists (OCI image indexes)'
complete -c berth -n "__fish_berth_needs_command" -f -a "network" -d 'List the networks containers can join (berth\'s are fixed: private, host, none)'
complete -c berth -n "__fish_berth_needs_command" -f -a "system" -d 'Look after the store'
complete -c berth -n "__fish_berth_needs_command" -f -a "version" -d 'Show berth\'s version'
complete -c berth -n "__fish_berth_needs_command" -f -a "volume" -d 'Manage named volumes'
complete -c berth -n "__fish_berth_needs_command" -f -a "completion" -d 'Print a shell completion script'
complete -c berth -n "__fish_berth_using_subcommand attach" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand attach" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand attach" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand attach" -l no-stdin -d 'Accepted for podman\'s scripts: stdin is never attached (a detached container\'s stdin is /dev/null)'
complete -c berth -n "__fish_berth_using_subcommand attach" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand build" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand build" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand build" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand build" -s f -l file -d 'The Dockerfile (default: CONTEXT/Dockerfile; `-` for stdin)' -r -F
complete -c berth -n "__fish_berth_using_subcommand build" -s t -l tag -d 'Name the image (repeatable)' -r
complete -c berth -n "__fish_berth_using_subcommand build" -l build-arg -d 'Set a build argument' -r
complete -c berth -n "__fish_berth_using_subcommand build" -l target -d 'Build up to this stage' -r
complete -c berth -n "__fish_berth_using_subcommand build" -l label -d 'Add a label to the image' -r
complete -c berth -n "__fish_berth_using_subcommand build" -l timestamp -d 'Clamp created times and file mtimes to this epoch (reproducible builds)' -r
complete -c berth -n "__fish_berth_using_subcommand build" -l iidfile -d 'Write the image id to FILE' -r -F
complete -c berth -n "__fish_berth_using_subcommand build" -l network -d 'Network for RUN steps: private (default: pasta\'s user-mode network, as `berth run`; no access to the host\'s loopback), none, or host (which also allows `RUN --network=host`)' -r
complete -c berth -n "__fish_berth_using_subcommand build" -l allow -d 'Grant an entitlement (repeatable): network.host lets `RUN --network=host` steps use the host\'s network and `ADD <url>` fetch from host-only addresses (loopback, link-local)' -r
complete -c berth -n "__fish_berth_using_subcommand build" -l secret -d 'A secret for `RUN --mount=type=secret`: id=ID,src=FILE (never stored in the image or the cache)' -r
complete -c berth -n "__fish_berth_using_subcommand build" -l pull -d 'When to pull FROM images: always, missing, never, newer (`--pull` alone: newer, as podman)' -r
complete -c berth -n "__fish_berth_using_subcommand build" -l platform -d 'The platform of FROM images to pull, as os/arch[/variant] [default: this machine\'s]' -r
complete -c berth -n "__fish_berth_using_subcommand build" -l tls-verify -d 'Require HTTPS and verify the registry\'s certificate (default true; loopback registries may answer plain HTTP)' -r -f -a "true\t''
false\t''"
complete -c berth -n "__fish_berth_using_subcommand build" -l cert-dir -d 'Directory of certificates for the registry: *.crt CAs, *.cert/*.key client pairs [default: certs.d/HOST under $XDG_CONFIG_HOME/containers, /etc/containers, /etc/docker]' -r -F
complete -c berth -n "__fish_berth_using_subcommand build" -l authfile -d 'Credentials file [default: $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json]' -r -F
complete -c berth -n "__fish_berth_using_subcommand build" -l creds -d 'Credentials for the registry as USER:PASSWORD (instead of the credentials file)' -r
complete -c berth -n "__fish_berth_using_subcommand build" -l no-cache -d 'Run every step again'
complete -c berth -n "__fish_berth_using_subcommand build" -s q -l quiet -d 'Print only the image id'
complete -c berth -n "__fish_berth_using_subcommand build" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand create" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand create" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand create" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand create" -l name -d 'Name of the container' -r
complete -c berth -n "__fish_berth_using_subcommand create" -s e -l env -d 'Set an environment variable (KEY=VALUE, or KEY to take it from berth\'s environment)' -r
complete -c berth -n "__fish_berth_using_subcommand create" -l env-file -d 'Read environment variables from a file' -r -F
complete -c berth -n "__fish_berth_using_subcommand create" -l entrypoint -d 'Override the image\'s entrypoint' -r
complete -c berth -n "__fish_berth_using_subcommand create" -s u -l user -d 'Run as USER[:GROUP] (names or numbers)' -r
complete -c berth -n "__fish_berth_using_subcommand create" -l group-add -d 'Additional groups for the process' -r
complete -c berth -n "__fish_berth_using_subcommand create" -s w -l workdir -d 'Working directory in the container (created when missing)' -r
complete -c berth -n "__fish_berth_using_subcommand create" -s v -l volume -d 'Bind mount or named volume: SRC:DST[:ro|rw]' -r
complete -c berth -n "__fish_berth_using_subcommand create" -l mount -d 'Mount: type=bind|volume|tmpfs,source=…,target=…[,readonly]' -r
complete -c berth -n "__fish_berth_using_subcommand create" -l device -d 'Give the container a host device node you can open: HOST[:CONTAINER][:rwm]' -r
complete -c berth -n "__fish_berth_using_subcommand create" -l tmpfs -d 'Mount a tmpfs at DST' -r
complete -c berth -n "__fish_berth_using_subcommand create" -l hostname -d 'Container hostname' -r
complete -c berth -n "__fish_berth_using_subcommand create" -l add-host -d 'Add HOST:IP to /etc/hosts' -r
complete -c berth -n "__fish_berth_using_subcommand create" -l dns -d 'DNS server for /etc/resolv.conf' -r
complete -c berth -n "__fish_berth_using_subcommand create" -l cap-add -d 'Add a capability (or ALL)' -r
complete -c berth -n "__fish_berth_using_subcommand create" -l cap-drop -d 'Drop a capability (or ALL)' -r
complete -c berth -n "__fish_berth_using_subcommand create" -l security-opt -d 'seccomp=unconfined|FILE.json, no-new-privileges[=true|false]' -r
complete -c berth -n "__fish_berth_using_subcommand create" -l ulimit -d 'Resource limit NAME=SOFT[:HARD]' -r
complete -c berth -n "__fish_berth_using_subcommand create" -l preserve-fds -d 'Pass N more fds (3 to 3+N-1) from berth\'s caller to the container (socket activation passes LISTEN_FDS of them by itself)' -r
complete -c berth -n "__fish_berth_using_subcommand create" -l cidfile -d 'Write the container\'s id to FILE (refused if it exists; removed with --rm)' -r -F
complete -c berth -n "__fish_berth_using_subcommand create" -l stop-signal -d 'Signal that stops the container' -r
complete -c berth -n "__fish_berth_using_subcommand create" -l stop-timeout -d 'Seconds `stop` waits after the stop signal before killing the container [default: 10]' -r
complete -c berth -n "__fish_berth_using_subcommand create" -s l -l label -d 'Set a label on the container (KEY=VALUE)' -r
complete -c berth -n "__fish_berth_using_subcommand create" -l restart -d 'Restart policy: no, on-failure[:N], always, unless-stopped' -r
complete -c berth -n "__fish_berth_using_subcommand create" -l health-cmd -d 'Healthcheck command: a shell command (CMD-SHELL), a JSON array, or `none`' -r
complete -c berth -n "__fish_berth_using_subcommand create" -l health-interval -d 'Time between healthchecks (30s, 500ms, 1m30s) [default: 30s]' -r
complete -c berth -n "__fish_berth_using_subcommand create" -l health-retries -d 'Consecutive failed checks that make the container unhealthy [default: 3]' -r
complete -c berth -n "__fish_berth_using_subcommand create" -l health-start-period -d 'Time after the start during which failed checks do not count [default: 0s]' -r
complete -c berth -n "__fish_berth_using_subcommand create" -l health-timeout -d 'Time a check may run before it is killed and counted failed [default: 30s]' -r
complete -c berth -n "__fish_berth_using_subcommand create" -l health-on-failure -d 'What to do when the container turns unhealthy: none, kill, restart, stop' -r
complete -c berth -n "__fish_berth_using_subcommand create" -l sig-proxy -d 'Forward signals berth receives to the container' -r -f -a "true\t''
false\t''"
complete -c berth -n "__fish_berth_using_subcommand create" -l userns -d 'User namespace: `keep-id` maps your own uid and gid to themselves and runs as them' -r
complete -c berth -n "__fish_berth_using_subcommand create" -l network -d 'Network: none, host, private (the default; through pasta) or slirp4netns' -r -f -a "none\t''
host\t''
private\t''
slirp4netns\t''"
complete -c berth -n "__fish_berth_using_subcommand create" -s p -l publish -d 'Publish a container port on the host: [IP:]HOST:CTR[/tcp|udp]' -r
complete -c berth -n "__fish_berth_using_subcommand create" -l log-driver -d 'Where the output is kept: k8s-file, journald, passthrough or none [default: passthrough in the foreground]' -r
complete -c berth -n "__fish_berth_using_subcommand create" -l log-opt -d 'A log driver option: max-size=SIZE (k8s-file starts afresh before passing it), path=FILE' -r
complete -c berth -n "__fish_berth_using_subcommand create" -l expose -d 'Expose a port (PORT[/tcp|udp]) for --publish-all' -r
complete -c berth -n "__fish_berth_using_subcommand create" -s m -l memory -d 'Memory limit (needs a delegated cgroup v2; refused where there is none)' -r
complete -c berth -n "__fish_berth_using_subcommand create" -l cpus -d 'CPU limit, in CPUs (needs a delegated cgroup v2; refused where there is none)' -r
complete -c berth -n "__fish_berth_using_subcommand create" -l pids-limit -d 'Limit on the number of processes (needs a delegated cgroup v2; refused where there is none)' -r
complete -c berth -n "__fish_berth_using_subcommand create" -l pull -d 'When to pull the image: always, missing, never, newer' -r
complete -c berth -n "__fish_berth_using_subcommand create" -l platform -d 'The platform of the image to pull, as os/arch[/variant] [default: this machine\'s]' -r
complete -c berth -n "__fish_berth_using_subcommand create" -l tls-verify -d 'Require HTTPS and verify the registry\'s certificate (default true; loopback registries may answer plain HTTP)' -r -f -a "true\t''
false\t''"
complete -c berth -n "__fish_berth_using_subcommand create" -l cert-dir -d 'Directory of certificates for the registry: *.crt CAs, *.cert/*.key client pairs [default: certs.d/HOST under $XDG_CONFIG_HOME/containers, /etc/containers, /etc/docker]' -r -F
complete -c berth -n "__fish_berth_using_subcommand create" -l authfile -d 'Credentials file [default: $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json]' -r -F
complete -c berth -n "__fish_berth_using_subcommand create" -l creds -d 'Credentials for the registry as USER:PASSWORD (instead of the credentials file)' -r
complete -c berth -n "__fish_berth_using_subcommand create" -l scan-gate -d 'Refuse the image when it has known vulnerabilities at or above this severity in the OSV database (see `berth scan`)' -r
complete -c berth -n "__fish_berth_using_subcommand create" -l scan-db -d 'The OSV database --scan-gate reads [default: <root>/osv, as `berth scan --db-update` fills it]' -r -F
complete -c berth -n "__fish_berth_using_subcommand create" -l rm -d 'Remove the container when it exits'
complete -c berth -n "__fish_berth_using_subcommand create" -s i -l interactive -d 'Keep stdin open'
complete -c berth -n "__fish_berth_using_subcommand create" -s t -l tty -d 'Allocate a pseudo-terminal'
complete -c berth -n "__fish_berth_using_subcommand create" -l read-only -d 'Mount the root filesystem read-only'
complete -c berth -n "__fish_berth_using_subcommand create" -l privileged -d 'Every capability in the user namespace, no seccomp, no masked paths'
complete -c berth -n "__fish_berth_using_subcommand create" -l init -d 'Run berth\'s tiny init as pid 1: it forwards signals and reaps zombies. Without it the command is pid 1, and the kernel drops signals pid 1 has no handler for: Ctrl-C or `berth stop`\'s SIGTERM do not stop `sh` or `httpd` (as with Docker; stop then ends it with SIGKILL after its timeout)'
complete -c berth -n "__fish_berth_using_subcommand create" -l replace -d 'Stop and remove the container of the same --name first, if there is one'
complete -c berth -n "__fish_berth_using_subcommand create" -l no-healthcheck -d 'Run no healthcheck, not even the image\'s'
complete -c berth -n "__fish_berth_using_subcommand create" -s P -l publish-all -d 'Publish every port the image exposes (and --expose) on a free host port'
complete -c berth -n "__fish_berth_using_subcommand create" -s q -l quiet -d 'Print nothing while pulling the image'
complete -c berth -n "__fish_berth_using_subcommand create" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand start" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand start" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand start" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand start" -l sig-proxy -d 'Forward signals berth receives to the container (with --attach)' -r -f -a "true\t''
false\t''"
complete -c berth -n "__fish_berth_using_subcommand start" -s a -l attach -d 'Stay attached: run the container in the foreground, its output on berth\'s, and exit with its exit code'
complete -c berth -n "__fish_berth_using_subcommand start" -s i -l interactive -d 'With --attach: the container\'s stdin is berth\'s'
complete -c berth -n "__fish_berth_using_subcommand start" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand stats" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand stats" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand stats" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand stats" -l format -d 'json, table, or a Go template (`{{.Name}} {{.CPUPerc}} {{.MemUsage}}`)' -r
complete -c berth -n "__fish_berth_using_subcommand stats" -s i -l interval -d 'Seconds between samples when streaming' -r
complete -c berth -n "__fish_berth_using_subcommand stats" -l no-stream -d 'Print one sample and exit'
complete -c berth -n "__fish_berth_using_subcommand stats" -l no-trunc -d 'Show full container ids'
complete -c berth -n "__fish_berth_using_subcommand stats" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand stop" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand stop" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand stop" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand stop" -s t -l time -l timeout -d 'Seconds to wait after the stop signal before SIGKILL [default: the container\'s --stop-timeout, else 10]' -r
complete -c berth -n "__fish_berth_using_subcommand stop" -l cidfile -d 'Also the container whose id FILE holds (as `run --cidfile` wrote it)' -r -F
complete -c berth -n "__fish_berth_using_subcommand stop" -s a -l all -d 'Stop every running container'
complete -c berth -n "__fish_berth_using_subcommand stop" -s i -l ignore -d 'A container that does not exist (or a missing --cidfile) is no error'
complete -c berth -n "__fish_berth_using_subcommand stop" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand kill" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand kill" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand kill" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand kill" -s s -l signal -d 'The signal, by name or number' -r
complete -c berth -n "__fish_berth_using_subcommand kill" -s a -l all -d 'Signal every running container'
complete -c berth -n "__fish_berth_using_subcommand kill" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand wait" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand wait" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand wait" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand wait" -l condition -d 'What to wait for: stopped (also exited), or running' -r -f -a "stopped\t''
exited\t''
running\t''"
complete -c berth -n "__fish_berth_using_subcommand wait" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand restart" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand restart" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand restart" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand restart" -s t -l time -d 'Seconds to wait after the stop signal before SIGKILL' -r
complete -c berth -n "__fish_berth_using_subcommand restart" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand rename" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand rename" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand rename" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand rename" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand exec" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand exec" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand exec" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand exec" -s u -l user -d 'Run as USER[:GROUP] (names from the container\'s /etc/passwd and /etc/group, or numbers)' -r
complete -c berth -n "__fish_berth_using_subcommand exec" -s e -l env -d 'Set an environment variable (KEY=VALUE, or KEY to take it from berth\'s environment)' -r
complete -c berth -n "__fish_berth_using_subcommand exec" -l env-file -d 'Read environment variables from a file' -r -F
complete -c berth -n "__fish_berth_using_subcommand exec" -s w -l workdir -d 'Working directory in the container [default: the container\'s]' -r
complete -c berth -n "__fish_berth_using_subcommand exec" -l preserve-fds -d 'Pass N more fds (3 to 3+N-1) from berth\'s caller to the command' -r
complete -c berth -n "__fish_berth_using_subcommand exec" -s i -l interactive -d 'Keep stdin open'
complete -c berth -n "__fish_berth_using_subcommand exec" -s t -l tty -d 'Allocate a pseudo-terminal'
complete -c berth -n "__fish_berth_using_subcommand exec" -s d -l detach -d 'Start the command and return at once; its output is discarded'
complete -c berth -n "__fish_berth_using_subcommand exec" -l privileged -d 'Every capability the container\'s user namespace allows (seccomp stays)'
complete -c berth -n "__fish_berth_using_subcommand exec" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand builder; and not __fish_seen_subcommand_from prune" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand builder; and not __fish_seen_subcommand_from prune" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand builder; and not __fish_seen_subcommand_from prune" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand builder; and not __fish_seen_subcommand_from prune" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand builder; and not __fish_seen_subcommand_from prune" -f -a "prune" -d 'Drop the build cache (step results and RUN --mount=type=cache dirs) and the layers only it kept'
complete -c berth -n "__fish_berth_using_subcommand builder; and __fish_seen_subcommand_from prune" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand builder; and __fish_seen_subcommand_from prune" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand builder; and __fish_seen_subcommand_from prune" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand builder; and __fish_seen_subcommand_from prune" -s f -l force -d 'Accepted for compatibility: berth never asks'
complete -c berth -n "__fish_berth_using_subcommand builder; and __fish_seen_subcommand_from prune" -s a -l all -d 'Also drop the cache mounts (RUN --mount=type=cache)'
complete -c berth -n "__fish_berth_using_subcommand builder; and __fish_seen_subcommand_from prune" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand commit" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand commit" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand commit" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand commit" -s m -l message -d 'Commit message recorded in the image\'s history' -r
complete -c berth -n "__fish_berth_using_subcommand commit" -s a -l author -d 'Author recorded in the image' -r
complete -c berth -n "__fish_berth_using_subcommand commit" -s c -l change -d 'Apply a Dockerfile instruction to the config: CMD ENTRYPOINT ENV EXPOSE LABEL ONBUILD STOPSIGNAL USER VOLUME WORKDIR' -r
complete -c berth -n "__fish_berth_using_subcommand commit" -s f -l format -d 'The image format (only oci)' -r
complete -c berth -n "__fish_berth_using_subcommand commit" -s p -l pause -d 'Pause a running container while it is committed (needs a cgroup freezer); without it a running container\'s files are taken as they are'
complete -c berth -n "__fish_berth_using_subcommand commit" -s q -l quiet -d 'Print nothing but the image id'
complete -c berth -n "__fish_berth_using_subcommand commit" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ps ls list pause port prune rename restart rm run start stats stop top unpause wait" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ps ls list pause port prune rename restart rm run start stats stop top unpause wait" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ps ls list pause port prune rename restart rm run start stats stop top unpause wait" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ps ls list pause port prune rename restart rm run start stats stop top unpause wait" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ps ls list pause port prune rename restart rm run start stats stop top unpause wait" -f -a "attach" -d 'Show a running container\'s output as it comes, until it exits'
complete -c berth -n "__fish_berth_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ps ls list pause port prune rename restart rm run start stats stop top unpause wait" -f -a "commit" -d 'Create an image from a container\'s changes'
complete -c berth -n "__fish_berth_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ps ls list pause port prune rename restart rm run start stats stop top unpause wait" -f -a "cp" -d 'Copy files between a container and the host'
complete -c berth -n "__fish_berth_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ps ls list pause port prune rename restart rm run start stats stop top unpause wait" -f -a "create" -d 'Create a container without starting it'
complete -c berth -n "__fish_berth_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ps ls list pause port prune rename restart rm run start stats stop top unpause wait" -f -a "diff" -d 'Show what a container changed in its image\'s files: A added, C changed, D deleted'
complete -c berth -n "__fish_berth_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ps ls list pause port prune rename restart rm run start stats stop top unpause wait" -f -a "exec" -d 'Run a command in a running container'
complete -c berth -n "__fish_berth_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ps ls list pause port prune rename restart rm run start stats stop top unpause wait" -f -a "export" -d 'Export a container\'s filesystem as a tar archive'
complete -c berth -n "__fish_berth_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ps ls list pause port prune rename restart rm run start stats stop top unpause wait" -f -a "inspect" -d 'Show containers\' or images\' details as JSON (the shapes of `podman inspect`)'
complete -c berth -n "__fish_berth_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ps ls list pause port prune rename restart rm run start stats stop top unpause wait" -f -a "kill" -d 'Send a signal to running containers\' first process'
complete -c berth -n "__fish_berth_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ps ls list pause port prune rename restart rm run start stats stop top unpause wait" -f -a "logs" -d 'Show a container\'s output (its k8s-file log, or the journal\'s entries)'
complete -c berth -n "__fish_berth_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ps ls list pause port prune rename restart rm run start stats stop top unpause wait" -f -a "ps" -d 'List containers'
complete -c berth -n "__fish_berth_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ps ls list pause port prune rename restart rm run start stats stop top unpause wait" -f -a "ls" -d 'List containers'
complete -c berth -n "__fish_berth_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ps ls list pause port prune rename restart rm run start stats stop top unpause wait" -f -a "list" -d 'List containers'
complete -c berth -n "__fish_berth_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ps ls list pause port prune rename restart rm run start stats stop top unpause wait" -f -a "pause" -d 'Pause a container\'s processes (needs a delegated cgroup v2; refused where there is none)'
complete -c berth -n "__fish_berth_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ps ls list pause port prune rename restart rm run start stats stop top unpause wait" -f -a "port" -d 'List a container\'s published ports, or the host address of one'
complete -c berth -n "__fish_berth_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ps ls list pause port prune rename restart rm run start stats stop top unpause wait" -f -a "prune" -d 'Remove every exited container'
complete -c berth -n "__fish_berth_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ps ls list pause port prune rename restart rm run start stats stop top unpause wait" -f -a "rename" -d 'Rename a container'
complete -c berth -n "__fish_berth_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ps ls list pause port prune rename restart rm run start stats stop top unpause wait" -f -a "restart" -d 'Stop containers (when running) and start them again, detached'
complete -c berth -n "__fish_berth_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ps ls list pause port prune rename restart rm run start stats stop top unpause wait" -f -a "rm" -d 'Remove stopped containers'
complete -c berth -n "__fish_berth_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ps ls list pause port prune rename restart rm run start stats stop top unpause wait" -f -a "run" -d 'Run a command in a new container, as a child of this process'
complete -c berth -n "__fish_berth_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ps ls list pause port prune rename restart rm run start stats stop top unpause wait" -f -a "start" -d 'Start created or exited containers'
complete -c berth -n "__fish_berth_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ps ls list pause port prune rename restart rm run start stats stop top unpause wait" -f -a "stats" -d 'Show running containers\' resource use'
complete -c berth -n "__fish_berth_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ps ls list pause port prune rename restart rm run start stats stop top unpause wait" -f -a "stop" -d 'Stop running containers: their stop signal, then SIGKILL after the timeout'
complete -c berth -n "__fish_berth_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ps ls list pause port prune rename restart rm run start stats stop top unpause wait" -f -a "top" -d 'Show the processes running in a container'
complete -c berth -n "__fish_berth_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ps ls list pause port prune rename restart rm run start stats stop top unpause wait" -f -a "unpause" -d 'Pause a container\'s processes (needs a delegated cgroup v2; refused where there is none)'
complete -c berth -n "__fish_berth_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ps ls list pause port prune rename restart rm run start stats stop top unpause wait" -f -a "wait" -d 'Wait for containers to stop (or to run) and print their exit codes'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from attach" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from attach" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from attach" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from attach" -l no-stdin -d 'Accepted for podman\'s scripts: stdin is never attached (a detached container\'s stdin is /dev/null)'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from attach" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from commit" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from commit" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from commit" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from commit" -s m -l message -d 'Commit message recorded in the image\'s history' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from commit" -s a -l author -d 'Author recorded in the image' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from commit" -s c -l change -d 'Apply a Dockerfile instruction to the config: CMD ENTRYPOINT ENV EXPOSE LABEL ONBUILD STOPSIGNAL USER VOLUME WORKDIR' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from commit" -s f -l format -d 'The image format (only oci)' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from commit" -s p -l pause -d 'Pause a running container while it is committed (needs a cgroup freezer); without it a running container\'s files are taken as they are'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from commit" -s q -l quiet -d 'Print nothing but the image id'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from commit" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from cp" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from cp" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from cp" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from cp" -s a -l archive -d 'Archive mode: keep the files\' uid and gid (default: owned by the container\'s root when copied in)'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from cp" -s L -l follow-link -d 'Follow a symlink given as the source'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from cp" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -l name -d 'Name of the container' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -s e -l env -d 'Set an environment variable (KEY=VALUE, or KEY to take it from berth\'s environment)' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -l env-file -d 'Read environment variables from a file' -r -F
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -l entrypoint -d 'Override the image\'s entrypoint' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -s u -l user -d 'Run as USER[:GROUP] (names or numbers)' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -l group-add -d 'Additional groups for the process' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -s w -l workdir -d 'Working directory in the container (created when missing)' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -s v -l volume -d 'Bind mount or named volume: SRC:DST[:ro|rw]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -l mount -d 'Mount: type=bind|volume|tmpfs,source=…,target=…[,readonly]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -l device -d 'Give the container a host device node you can open: HOST[:CONTAINER][:rwm]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -l tmpfs -d 'Mount a tmpfs at DST' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -l hostname -d 'Container hostname' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -l add-host -d 'Add HOST:IP to /etc/hosts' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -l dns -d 'DNS server for /etc/resolv.conf' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -l cap-add -d 'Add a capability (or ALL)' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -l cap-drop -d 'Drop a capability (or ALL)' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -l security-opt -d 'seccomp=unconfined|FILE.json, no-new-privileges[=true|false]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -l ulimit -d 'Resource limit NAME=SOFT[:HARD]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -l preserve-fds -d 'Pass N more fds (3 to 3+N-1) from berth\'s caller to the container (socket activation passes LISTEN_FDS of them by itself)' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -l cidfile -d 'Write the container\'s id to FILE (refused if it exists; removed with --rm)' -r -F
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -l stop-signal -d 'Signal that stops the container' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -l stop-timeout -d 'Seconds `stop` waits after the stop signal before killing the container [default: 10]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -s l -l label -d 'Set a label on the container (KEY=VALUE)' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -l restart -d 'Restart policy: no, on-failure[:N], always, unless-stopped' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -l health-cmd -d 'Healthcheck command: a shell command (CMD-SHELL), a JSON array, or `none`' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -l health-interval -d 'Time between healthchecks (30s, 500ms, 1m30s) [default: 30s]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -l health-retries -d 'Consecutive failed checks that make the container unhealthy [default: 3]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -l health-start-period -d 'Time after the start during which failed checks do not count [default: 0s]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -l health-timeout -d 'Time a check may run before it is killed and counted failed [default: 30s]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -l health-on-failure -d 'What to do when the container turns unhealthy: none, kill, restart, stop' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -l sig-proxy -d 'Forward signals berth receives to the container' -r -f -a "true\t''
false\t''"
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -l userns -d 'User namespace: `keep-id` maps your own uid and gid to themselves and runs as them' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -l network -d 'Network: none, host, private (the default; through pasta) or slirp4netns' -r -f -a "none\t''
host\t''
private\t''
slirp4netns\t''"
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -s p -l publish -d 'Publish a container port on the host: [IP:]HOST:CTR[/tcp|udp]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -l log-driver -d 'Where the output is kept: k8s-file, journald, passthrough or none [default: passthrough in the foreground]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -l log-opt -d 'A log driver option: max-size=SIZE (k8s-file starts afresh before passing it), path=FILE' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -l expose -d 'Expose a port (PORT[/tcp|udp]) for --publish-all' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -s m -l memory -d 'Memory limit (needs a delegated cgroup v2; refused where there is none)' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -l cpus -d 'CPU limit, in CPUs (needs a delegated cgroup v2; refused where there is none)' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -l pids-limit -d 'Limit on the number of processes (needs a delegated cgroup v2; refused where there is none)' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -l pull -d 'When to pull the image: always, missing, never, newer' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -l platform -d 'The platform of the image to pull, as os/arch[/variant] [default: this machine\'s]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -l tls-verify -d 'Require HTTPS and verify the registry\'s certificate (default true; loopback registries may answer plain HTTP)' -r -f -a "true\t''
false\t''"
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -l cert-dir -d 'Directory of certificates for the registry: *.crt CAs, *.cert/*.key client pairs [default: certs.d/HOST under $XDG_CONFIG_HOME/containers, /etc/containers, /etc/docker]' -r -F
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -l authfile -d 'Credentials file [default: $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json]' -r -F
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -l creds -d 'Credentials for the registry as USER:PASSWORD (instead of the credentials file)' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -l scan-gate -d 'Refuse the image when it has known vulnerabilities at or above this severity in the OSV database (see `berth scan`)' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -l scan-db -d 'The OSV database --scan-gate reads [default: <root>/osv, as `berth scan --db-update` fills it]' -r -F
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -l rm -d 'Remove the container when it exits'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -s i -l interactive -d 'Keep stdin open'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -s t -l tty -d 'Allocate a pseudo-terminal'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -l read-only -d 'Mount the root filesystem read-only'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -l privileged -d 'Every capability in the user namespace, no seccomp, no masked paths'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -l init -d 'Run berth\'s tiny init as pid 1: it forwards signals and reaps zombies. Without it the command is pid 1, and the kernel drops signals pid 1 has no handler for: Ctrl-C or `berth stop`\'s SIGTERM do not stop `sh` or `httpd` (as with Docker; stop then ends it with SIGKILL after its timeout)'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -l replace -d 'Stop and remove the container of the same --name first, if there is one'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -l no-healthcheck -d 'Run no healthcheck, not even the image\'s'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -s P -l publish-all -d 'Publish every port the image exposes (and --expose) on a free host port'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -s q -l quiet -d 'Print nothing while pulling the image'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from diff" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from diff" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from diff" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from diff" -l format -r -f -a "table\t''
json\t''"
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from diff" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from exec" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from exec" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from exec" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from exec" -s u -l user -d 'Run as USER[:GROUP] (names from the container\'s /etc/passwd and /etc/group, or numbers)' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from exec" -s e -l env -d 'Set an environment variable (KEY=VALUE, or KEY to take it from berth\'s environment)' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from exec" -l env-file -d 'Read environment variables from a file' -r -F
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from exec" -s w -l workdir -d 'Working directory in the container [default: the container\'s]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from exec" -l preserve-fds -d 'Pass N more fds (3 to 3+N-1) from berth\'s caller to the command' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from exec" -s i -l interactive -d 'Keep stdin open'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from exec" -s t -l tty -d 'Allocate a pseudo-terminal'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from exec" -s d -l detach -d 'Start the command and return at once; its output is discarded'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from exec" -l privileged -d 'Every capability the container\'s user namespace allows (seccomp stays)'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from exec" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from export" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from export" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from export" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from export" -s o -l output -d 'Write to FILE instead of stdout' -r -F
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from inspect" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from inspect" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from inspect" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from inspect" -s k -l type -d 'What the names are: container, image, or all (a container first, as podman)' -r -f -a "container\t''
image\t''
all\t''"
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from inspect" -s f -l format -d 'json, or a Go template rendered for each object (`{{.State.Pid}}`, `{{json .Config}}`)' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from inspect" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from kill" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from kill" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from kill" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from kill" -s s -l signal -d 'The signal, by name or number' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from kill" -s a -l all -d 'Signal every running container'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from kill" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from logs" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from logs" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from logs" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from logs" -l tail -d 'Only the last N lines (-1: all)' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from logs" -l since -d 'Only output since TIME (RFC 3339, 2006-01-02, Unix seconds, or a duration before now: 10m)' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from logs" -l until -d 'Only output until TIME (as --since; a duration counts from now on, as podman)' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from logs" -s f -l follow -d 'Keep printing new output until the container\'s monitor has exited'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from logs" -s t -l timestamps -d 'Show each line\'s timestamp'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from logs" -s n -l names -d 'With several containers, prefix lines with the container\'s name, not its id'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from logs" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from ps" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from ps" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from ps" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from ps" -s n -l last -d 'Show the N latest created containers (all states)' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from ps" -s f -l filter -d 'Only containers matching KEY=VALUE: status, name, ancestor, label, id, exited (repeated: the same key ORs, different keys AND)' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from ps" -l format -d 'json, table, or a Go template (`{{.ID}} {{.Names}}`, `table {{.ID}}\\t{{.Status}}`)' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from ps" -s a -l all -d 'Show stopped containers too'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from ps" -s q -l quiet -d 'Print container ids only'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from ps" -l no-trunc -d 'Do not truncate ids and commands'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from ps" -s l -l latest -d 'Show only the latest created container (all states)'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from ps" -s s -l size -d 'Show the sizes of the writable layer and the whole root filesystem'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from ps" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from ls" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from ls" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from ls" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from ls" -s n -l last -d 'Show the N latest created containers (all states)' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from ls" -s f -l filter -d 'Only containers matching KEY=VALUE: status, name, ancestor, label, id, exited (repeated: the same key ORs, different keys AND)' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from ls" -l format -d 'json, table, or a Go template (`{{.ID}} {{.Names}}`, `table {{.ID}}\\t{{.Status}}`)' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from ls" -s a -l all -d 'Show stopped containers too'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from ls" -s q -l quiet -d 'Print container ids only'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from ls" -l no-trunc -d 'Do not truncate ids and commands'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from ls" -s l -l latest -d 'Show only the latest created container (all states)'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from ls" -s s -l size -d 'Show the sizes of the writable layer and the whole root filesystem'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from ls" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from list" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from list" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from list" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from list" -s n -l last -d 'Show the N latest created containers (all states)' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from list" -s f -l filter -d 'Only containers matching KEY=VALUE: status, name, ancestor, label, id, exited (repeated: the same key ORs, different keys AND)' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from list" -l format -d 'json, table, or a Go template (`{{.ID}} {{.Names}}`, `table {{.ID}}\\t{{.Status}}`)' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from list" -s a -l all -d 'Show stopped containers too'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print container ids only'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from list" -l no-trunc -d 'Do not truncate ids and commands'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from list" -s l -l latest -d 'Show only the latest created container (all states)'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from list" -s s -l size -d 'Show the sizes of the writable layer and the whole root filesystem'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from pause" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from pause" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from pause" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from pause" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from port" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from port" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from port" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from port" -s a -l all -d 'Every container\'s ports, each line after its short id'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from port" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from prune" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from prune" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from prune" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from prune" -s f -l force -d 'Do not ask for confirmation'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from prune" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from rename" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from rename" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from rename" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from rename" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from restart" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from restart" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from restart" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from restart" -s t -l time -d 'Seconds to wait after the stop signal before SIGKILL' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from restart" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from rm" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from rm" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from rm" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from rm" -l cidfile -d 'Also the container whose id FILE holds (as `run --cidfile` wrote it)' -r -F
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from rm" -s f -l force -d 'Kill a running or orphaned container first (its whole pid namespace)'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from rm" -s v -l volumes -d 'Accepted as podman\'s: berth makes no anonymous volumes, and named ones outlive their containers'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from rm" -s a -l all -d 'Remove every container (with --force, running ones too)'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from rm" -s i -l ignore -d 'A container that does not exist (or a missing --cidfile) is no error'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from rm" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -l sdnotify -d 'Who tells systemd the service is ready: conmon (berth, once the command runs), container (the container, through a socket berth relays), healthy (berth, once the healthcheck passes), ignore [default: conmon under NOTIFY_SOCKET]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -l pidfile -d 'Write the container\'s pid 1 (as the host sees it) to FILE once it runs' -r -F
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -s a -l attach -d 'Attach only these streams: stdin, stdout, stderr (repeatable; stdin needs -i)' -r -f -a "stdin\t''
stdout\t''
stderr\t''"
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -l name -d 'Name of the container' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -s e -l env -d 'Set an environment variable (KEY=VALUE, or KEY to take it from berth\'s environment)' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -l env-file -d 'Read environment variables from a file' -r -F
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -l entrypoint -d 'Override the image\'s entrypoint' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -s u -l user -d 'Run as USER[:GROUP] (names or numbers)' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -l group-add -d 'Additional groups for the process' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -s w -l workdir -d 'Working directory in the container (created when missing)' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -s v -l volume -d 'Bind mount or named volume: SRC:DST[:ro|rw]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -l mount -d 'Mount: type=bind|volume|tmpfs,source=…,target=…[,readonly]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -l device -d 'Give the container a host device node you can open: HOST[:CONTAINER][:rwm]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -l tmpfs -d 'Mount a tmpfs at DST' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -l hostname -d 'Container hostname' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -l add-host -d 'Add HOST:IP to /etc/hosts' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -l dns -d 'DNS server for /etc/resolv.conf' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -l cap-add -d 'Add a capability (or ALL)' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -l cap-drop -d 'Drop a capability (or ALL)' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -l security-opt -d 'seccomp=unconfined|FILE.json, no-new-privileges[=true|false]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -l ulimit -d 'Resource limit NAME=SOFT[:HARD]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -l preserve-fds -d 'Pass N more fds (3 to 3+N-1) from berth\'s caller to the container (socket activation passes LISTEN_FDS of them by itself)' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -l cidfile -d 'Write the container\'s id to FILE (refused if it exists; removed with --rm)' -r -F
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -l stop-signal -d 'Signal that stops the container' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -l stop-timeout -d 'Seconds `stop` waits after the stop signal before killing the container [default: 10]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -s l -l label -d 'Set a label on the container (KEY=VALUE)' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -l restart -d 'Restart policy: no, on-failure[:N], always, unless-stopped' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -l health-cmd -d 'Healthcheck command: a shell command (CMD-SHELL), a JSON array, or `none`' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -l health-interval -d 'Time between healthchecks (30s, 500ms, 1m30s) [default: 30s]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -l health-retries -d 'Consecutive failed checks that make the container unhealthy [default: 3]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -l health-start-period -d 'Time after the start during which failed checks do not count [default: 0s]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -l health-timeout -d 'Time a check may run before it is killed and counted failed [default: 30s]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -l health-on-failure -d 'What to do when the container turns unhealthy: none, kill, restart, stop' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -l sig-proxy -d 'Forward signals berth receives to the container' -r -f -a "true\t''
false\t''"
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -l userns -d 'User namespace: `keep-id` maps your own uid and gid to themselves and runs as them' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -l network -d 'Network: none, host, private (the default; through pasta) or slirp4netns' -r -f -a "none\t''
host\t''
private\t''
slirp4netns\t''"
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -s p -l publish -d 'Publish a container port on the host: [IP:]HOST:CTR[/tcp|udp]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -l log-driver -d 'Where the output is kept: k8s-file, journald, passthrough or none [default: passthrough in the foreground]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -l log-opt -d 'A log driver option: max-size=SIZE (k8s-file starts afresh before passing it), path=FILE' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -l expose -d 'Expose a port (PORT[/tcp|udp]) for --publish-all' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -s m -l memory -d 'Memory limit (needs a delegated cgroup v2; refused where there is none)' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -l cpus -d 'CPU limit, in CPUs (needs a delegated cgroup v2; refused where there is none)' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -l pids-limit -d 'Limit on the number of processes (needs a delegated cgroup v2; refused where there is none)' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -l pull -d 'When to pull the image: always, missing, never, newer' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -l platform -d 'The platform of the image to pull, as os/arch[/variant] [default: this machine\'s]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -l tls-verify -d 'Require HTTPS and verify the registry\'s certificate (default true; loopback registries may answer plain HTTP)' -r -f -a "true\t''
false\t''"
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -l cert-dir -d 'Directory of certificates for the registry: *.crt CAs, *.cert/*.key client pairs [default: certs.d/HOST under $XDG_CONFIG_HOME/containers, /etc/containers, /etc/docker]' -r -F
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -l authfile -d 'Credentials file [default: $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json]' -r -F
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -l creds -d 'Credentials for the registry as USER:PASSWORD (instead of the credentials file)' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -l scan-gate -d 'Refuse the image when it has known vulnerabilities at or above this severity in the OSV database (see `berth scan`)' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -l scan-db -d 'The OSV database --scan-gate reads [default: <root>/osv, as `berth scan --db-update` fills it]' -r -F
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -l rm -d 'Remove the container when it exits'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -s d -l detach -d 'Run in the background and print the container\'s id'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -s i -l interactive -d 'Keep stdin open'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -s t -l tty -d 'Allocate a pseudo-terminal'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -l read-only -d 'Mount the root filesystem read-only'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -l privileged -d 'Every capability in the user namespace, no seccomp, no masked paths'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -l init -d 'Run berth\'s tiny init as pid 1: it forwards signals and reaps zombies. Without it the command is pid 1, and the kernel drops signals pid 1 has no handler for: Ctrl-C or `berth stop`\'s SIGTERM do not stop `sh` or `httpd` (as with Docker; stop then ends it with SIGKILL after its timeout)'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -l replace -d 'Stop and remove the container of the same --name first, if there is one'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -l no-healthcheck -d 'Run no healthcheck, not even the image\'s'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -s P -l publish-all -d 'Publish every port the image exposes (and --expose) on a free host port'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -s q -l quiet -d 'Print nothing while pulling the image'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from run" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from start" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from start" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from start" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from start" -l sig-proxy -d 'Forward signals berth receives to the container (with --attach)' -r -f -a "true\t''
false\t''"
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from start" -s a -l attach -d 'Stay attached: run the container in the foreground, its output on berth\'s, and exit with its exit code'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from start" -s i -l interactive -d 'With --attach: the container\'s stdin is berth\'s'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from start" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from stats" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from stats" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from stats" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from stats" -l format -d 'json, table, or a Go template (`{{.Name}} {{.CPUPerc}} {{.MemUsage}}`)' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from stats" -s i -l interval -d 'Seconds between samples when streaming' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from stats" -l no-stream -d 'Print one sample and exit'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from stats" -l no-trunc -d 'Show full container ids'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from stats" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from stop" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from stop" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from stop" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from stop" -s t -l time -l timeout -d 'Seconds to wait after the stop signal before SIGKILL [default: the container\'s --stop-timeout, else 10]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from stop" -l cidfile -d 'Also the container whose id FILE holds (as `run --cidfile` wrote it)' -r -F
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from stop" -s a -l all -d 'Stop every running container'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from stop" -s i -l ignore -d 'A container that does not exist (or a missing --cidfile) is no error'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from stop" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from top" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from top" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from top" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from top" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from unpause" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from unpause" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from unpause" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from unpause" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from wait" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from wait" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from wait" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from wait" -l condition -d 'What to wait for: stopped (also exited), or running' -r -f -a "stopped\t''
exited\t''
running\t''"
complete -c berth -n "__fish_berth_using_subcommand container; and __fish_seen_subcommand_from wait" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand diff" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand diff" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand diff" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand diff" -l format -r -f -a "table\t''
json\t''"
complete -c berth -n "__fish_berth_using_subcommand diff" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand events" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand events" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand events" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand events" -l since -d 'Only events at or after this time (RFC 3339, Unix seconds, or a duration ago: 10m)' -r
complete -c berth -n "__fish_berth_using_subcommand events" -l until -d 'Only events before this time (same forms); ends -f there' -r
complete -c berth -n "__fish_berth_using_subcommand events" -l filter -d 'Only events matching KEY=VALUE: type, event, container, image, label (repeated: the same key ORs, different keys AND)' -r
complete -c berth -n "__fish_berth_using_subcommand events" -l format -d 'json (one object a line), or a Go template (`{{.Status}} {{.Name}}`)' -r
complete -c berth -n "__fish_berth_using_subcommand events" -s f -l stream -d 'Follow: print new events as they are recorded (until Ctrl-C or --until)'
complete -c berth -n "__fish_berth_using_subcommand events" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand cp" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand cp" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand cp" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand cp" -s a -l archive -d 'Archive mode: keep the files\' uid and gid (default: owned by the container\'s root when copied in)'
complete -c berth -n "__fish_berth_using_subcommand cp" -s L -l follow-link -d 'Follow a symlink given as the source'
complete -c berth -n "__fish_berth_using_subcommand cp" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c berth -n "__fish_berth_using_subcommand export" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand export" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand export" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand export" -s o -l output -d 'Write to FILE instead of stdout' -r -F
complete -c berth -n "__fish_berth_using_subcommand export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c berth -n "__fish_berth_using_subcommand generate; and not __fish_seen_subcommand_from systemd" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand generate; and not __fish_seen_subcommand_from systemd" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand generate; and not __fish_seen_subcommand_from systemd" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand generate; and not __fish_seen_subcommand_from systemd" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand generate; and not __fish_seen_subcommand_from systemd" -f -a "systemd" -d 'A systemd unit that runs a container'
complete -c berth -n "__fish_berth_using_subcommand generate; and __fish_seen_subcommand_from systemd" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand generate; and __fish_seen_subcommand_from systemd" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand generate; and __fish_seen_subcommand_from systemd" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand generate; and __fish_seen_subcommand_from systemd" -l restart-policy -d 'The unit\'s Restart=' -r -f -a "no\t''
on-success\t''
on-failure\t''
on-abnormal\t''
on-watchdog\t''
on-abort\t''
always\t''"
complete -c berth -n "__fish_berth_using_subcommand generate; and __fish_seen_subcommand_from systemd" -l restart-sec -d 'The unit\'s RestartSec=' -r
complete -c berth -n "__fish_berth_using_subcommand generate; and __fish_seen_subcommand_from systemd" -s t -l stop-timeout -d 'Seconds `stop` waits before SIGKILL [default: the container\'s --stop-timeout, else 10]' -r
complete -c berth -n "__fish_berth_using_subcommand generate; and __fish_seen_subcommand_from systemd" -l container-prefix -d 'The unit file name\'s prefix' -r
complete -c berth -n "__fish_berth_using_subcommand generate; and __fish_seen_subcommand_from systemd" -l separator -d 'Between the prefix and the name' -r
complete -c berth -n "__fish_berth_using_subcommand generate; and __fish_seen_subcommand_from systemd" -l new -d 'A unit that creates the container anew at each start (`berth run` of its create command) and removes it at the end'
complete -c berth -n "__fish_berth_using_subcommand generate; and __fish_seen_subcommand_from systemd" -s n -l name -d 'Name the unit after the container\'s name, not its id'
complete -c berth -n "__fish_berth_using_subcommand generate; and __fish_seen_subcommand_from systemd" -s f -l files -d 'Write the unit to PREFIX-NAME.service in the current directory and print its path'
complete -c berth -n "__fish_berth_using_subcommand generate; and __fish_seen_subcommand_from systemd" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand image; and not __fish_seen_subcommand_from exists log rollback prune" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand image; and not __fish_seen_subcommand_from exists log rollback prune" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand image; and not __fish_seen_subcommand_from exists log rollback prune" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand image; and not __fish_seen_subcommand_from exists log rollback prune" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand image; and not __fish_seen_subcommand_from exists log rollback prune" -f -a "exists" -d 'Exit 0 if the image is in local storage, 1 if not (for scripts; no output)'
complete -c berth -n "__fish_berth_using_subcommand image; and not __fish_seen_subcommand_from exists log rollback prune" -f -a "log" -d 'Show what a name pointed to over time, newest first'
complete -c berth -n "__fish_berth_using_subcommand image; and not __fish_seen_subcommand_from exists log rollback prune" -f -a "rollback" -d 'Point a name back at what it named before (recorded like any change)'
complete -c berth -n "__fish_berth_using_subcommand image; and not __fish_seen_subcommand_from exists log rollback prune" -f -a "prune" -d 'Expire the name history, then remove unnamed images nothing uses and unreferenced layers'
complete -c berth -n "__fish_berth_using_subcommand image; and __fish_seen_subcommand_from exists" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand image; and __fish_seen_subcommand_from exists" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand image; and __fish_seen_subcommand_from exists" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand image; and __fish_seen_subcommand_from exists" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand image; and __fish_seen_subcommand_from log" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand image; and __fish_seen_subcommand_from log" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand image; and __fish_seen_subcommand_from log" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand image; and __fish_seen_subcommand_from log" -l format -d 'json, table, or a Go template (`{{.Index}} {{.New}} {{.Command}}`)' -r
complete -c berth -n "__fish_berth_using_subcommand image; and __fish_seen_subcommand_from log" -s n -l max-count -d 'Show at most N entries' -r
complete -c berth -n "__fish_berth_using_subcommand image; and __fish_seen_subcommand_from log" -l no-trunc -d 'Show whole ids and commands'
complete -c berth -n "__fish_berth_using_subcommand image; and __fish_seen_subcommand_from log" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand image; and __fish_seen_subcommand_from rollback" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand image; and __fish_seen_subcommand_from rollback" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand image; and __fish_seen_subcommand_from rollback" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand image; and __fish_seen_subcommand_from rollback" -l to -d 'The entry to go back to: N entries back (`image log` numbers them; 0 is now, the default 1 the target before the last change), or an image id or digest the name\'s history holds' -r
complete -c berth -n "__fish_berth_using_subcommand image; and __fish_seen_subcommand_from rollback" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand image; and __fish_seen_subcommand_from prune" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand image; and __fish_seen_subcommand_from prune" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand image; and __fish_seen_subcommand_from prune" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand image; and __fish_seen_subcommand_from prune" -l expire -d 'Drop name-history entries older than this (`30d`, `12h`, `90m`, `now` or `0` for all, `never`); the images only they kept go with them' -r
complete -c berth -n "__fish_berth_using_subcommand image; and __fish_seen_subcommand_from prune" -s f -l force -d 'Accepted for compatibility: berth never asks'
complete -c berth -n "__fish_berth_using_subcommand image; and __fish_seen_subcommand_from prune" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand images" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand images" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand images" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand images" -l format -d 'json, table, or a Go template (`{{.Repository}}:{{.Tag}}`, `table {{.ID}}\\t{{.Size}}`)' -r
complete -c berth -n "__fish_berth_using_subcommand images" -s q -l quiet -d 'Print image ids only'
complete -c berth -n "__fish_berth_using_subcommand images" -l digests -d 'Show manifest digests'
complete -c berth -n "__fish_berth_using_subcommand images" -l no-trunc -d 'Do not truncate ids'
complete -c berth -n "__fish_berth_using_subcommand images" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand import" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand import" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand import" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand import" -s c -l change -d 'Apply a Dockerfile instruction to the config: CMD ENTRYPOINT ENV EXPOSE LABEL STOPSIGNAL USER VOLUME WORKDIR' -r
complete -c berth -n "__fish_berth_using_subcommand import" -s m -l message -d 'Commit message recorded in the image\'s history' -r
complete -c berth -n "__fish_berth_using_subcommand import" -s q -l quiet -d 'Print only the image id (what berth prints anyway; podman\'s flag)'
complete -c berth -n "__fish_berth_using_subcommand import" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand inspect" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand inspect" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand inspect" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand inspect" -s k -l type -d 'What the names are: container, image, or all (a container first, as podman)' -r -f -a "container\t''
image\t''
all\t''"
complete -c berth -n "__fish_berth_using_subcommand inspect" -s f -l format -d 'json, or a Go template rendered for each object (`{{.State.Pid}}`, `{{json .Config}}`)' -r
complete -c berth -n "__fish_berth_using_subcommand inspect" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand healthcheck; and not __fish_seen_subcommand_from run" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand healthcheck; and not __fish_seen_subcommand_from run" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand healthcheck; and not __fish_seen_subcommand_from run" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand healthcheck; and not __fish_seen_subcommand_from run" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand healthcheck; and not __fish_seen_subcommand_from run" -f -a "run" -d 'Run the healthcheck once now and record its result (exit 0 healthy, 1 not)'
complete -c berth -n "__fish_berth_using_subcommand healthcheck; and __fish_seen_subcommand_from run" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand healthcheck; and __fish_seen_subcommand_from run" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand healthcheck; and __fish_seen_subcommand_from run" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand healthcheck; and __fish_seen_subcommand_from run" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand info" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand info" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand info" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand info" -s f -l format -d 'json, or a Go template (`{{.Host.Security.Rootless}}`, `{{json .Store}}`)' -r
complete -c berth -n "__fish_berth_using_subcommand info" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand history" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand history" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand history" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand history" -l format -d 'json, table, or a Go template (`{{.ID}} {{.CreatedBy}}`, `table {{.ID}}\\t{{.Size}}`)' -r
complete -c berth -n "__fish_berth_using_subcommand history" -l no-trunc -d 'Do not truncate the CREATED BY column'
complete -c berth -n "__fish_berth_using_subcommand history" -s q -l quiet -d 'Print only the layer ids'
complete -c berth -n "__fish_berth_using_subcommand history" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand tag" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand tag" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand tag" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand tag" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand top" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand top" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand top" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand top" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand untag" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand untag" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand untag" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand untag" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand pause" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand pause" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand pause" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand pause" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand unpause" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand unpause" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand unpause" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand unpause" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand port" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand port" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand port" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand port" -s a -l all -d 'Every container\'s ports, each line after its short id'
complete -c berth -n "__fish_berth_using_subcommand port" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand ps" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand ps" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand ps" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand ps" -s n -l last -d 'Show the N latest created containers (all states)' -r
complete -c berth -n "__fish_berth_using_subcommand ps" -s f -l filter -d 'Only containers matching KEY=VALUE: status, name, ancestor, label, id, exited (repeated: the same key ORs, different keys AND)' -r
complete -c berth -n "__fish_berth_using_subcommand ps" -l format -d 'json, table, or a Go template (`{{.ID}} {{.Names}}`, `table {{.ID}}\\t{{.Status}}`)' -r
complete -c berth -n "__fish_berth_using_subcommand ps" -s a -l all -d 'Show stopped containers too'
complete -c berth -n "__fish_berth_using_subcommand ps" -s q -l quiet -d 'Print container ids only'
complete -c berth -n "__fish_berth_using_subcommand ps" -l no-trunc -d 'Do not truncate ids and commands'
complete -c berth -n "__fish_berth_using_subcommand ps" -s l -l latest -d 'Show only the latest created container (all states)'
complete -c berth -n "__fish_berth_using_subcommand ps" -s s -l size -d 'Show the sizes of the writable layer and the whole root filesystem'
complete -c berth -n "__fish_berth_using_subcommand ps" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand pull" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand pull" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand pull" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand pull" -l platform -d 'The platform to pick from a multi-platform image, as os/arch[/variant] [default: this machine\'s]' -r
complete -c berth -n "__fish_berth_using_subcommand pull" -l arch -d 'The architecture to pick, on this machine\'s OS unless --os says' -r
complete -c berth -n "__fish_berth_using_subcommand pull" -l os -d 'The OS to pick, with this machine\'s architecture unless --arch says' -r
complete -c berth -n "__fish_berth_using_subcommand pull" -l variant -d 'The architecture\'s variant to pick (e.g. v7)' -r
complete -c berth -n "__fish_berth_using_subcommand pull" -l tls-verify -d 'Require HTTPS and verify the registry\'s certificate (default true; loopback registries may answer plain HTTP)' -r -f -a "true\t''
false\t''"
complete -c berth -n "__fish_berth_using_subcommand pull" -l cert-dir -d 'Directory of certificates for the registry: *.crt CAs, *.cert/*.key client pairs [default: certs.d/HOST under $XDG_CONFIG_HOME/containers, /etc/containers, /etc/docker]' -r -F
complete -c berth -n "__fish_berth_using_subcommand pull" -l authfile -d 'Credentials file [default: $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json]' -r -F
complete -c berth -n "__fish_berth_using_subcommand pull" -l creds -d 'Credentials for the registry as USER:PASSWORD (instead of the credentials file)' -r
complete -c berth -n "__fish_berth_using_subcommand pull" -s a -l all-tags -d 'Pull every tag of the repository'
complete -c berth -n "__fish_berth_using_subcommand pull" -s q -l quiet -d 'Print only the image id'
complete -c berth -n "__fish_berth_using_subcommand pull" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand push" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand push" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand push" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand push" -l format -d 'Manifest format' -r -f -a "oci\t'OCI image manifest'
v2s2\t'Docker image manifest, schema 2'"
complete -c berth -n "__fish_berth_using_subcommand push" -l compression-format -d 'How to compress layers stored uncompressed (compressed ones go as they are)' -r -f -a "gzip\t''
zstd\t''"
complete -c berth -n "__fish_berth_using_subcommand push" -l digestfile -d 'Also write the pushed manifest\'s digest to FILE' -r -F
complete -c berth -n "__fish_berth_using_subcommand push" -l tls-verify -d 'Require HTTPS and verify the registry\'s certificate (default true; loopback registries may answer plain HTTP)' -r -f -a "true\t''
false\t''"
complete -c berth -n "__fish_berth_using_subcommand push" -l cert-dir -d 'Directory of certificates for the registry: *.crt CAs, *.cert/*.key client pairs [default: certs.d/HOST under $XDG_CONFIG_HOME/containers, /etc/containers, /etc/docker]' -r -F
complete -c berth -n "__fish_berth_using_subcommand push" -l authfile -d 'Credentials file [default: $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json]' -r -F
complete -c berth -n "__fish_berth_using_subcommand push" -l creds -d 'Credentials for the registry as USER:PASSWORD (instead of the credentials file)' -r
complete -c berth -n "__fish_berth_using_subcommand push" -l scan-gate -d 'Refuse the image when it has known vulnerabilities at or above this severity in the OSV database (see `berth scan`)' -r
complete -c berth -n "__fish_berth_using_subcommand push" -l scan-db -d 'The OSV database --scan-gate reads [default: <root>/osv, as `berth scan --db-update` fills it]' -r -F
complete -c berth -n "__fish_berth_using_subcommand push" -s q -l quiet -d 'No progress lines: only the digest'
complete -c berth -n "__fish_berth_using_subcommand push" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c berth -n "__fish_berth_using_subcommand rm" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand rm" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand rm" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand rm" -l cidfile -d 'Also the container whose id FILE holds (as `run --cidfile` wrote it)' -r -F
complete -c berth -n "__fish_berth_using_subcommand rm" -s f -l force -d 'Kill a running or orphaned container first (its whole pid namespace)'
complete -c berth -n "__fish_berth_using_subcommand rm" -s v -l volumes -d 'Accepted as podman\'s: berth makes no anonymous volumes, and named ones outlive their containers'
complete -c berth -n "__fish_berth_using_subcommand rm" -s a -l all -d 'Remove every container (with --force, running ones too)'
complete -c berth -n "__fish_berth_using_subcommand rm" -s i -l ignore -d 'A container that does not exist (or a missing --cidfile) is no error'
complete -c berth -n "__fish_berth_using_subcommand rm" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand rmi" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand rmi" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand rmi" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand rmi" -s f -l force -d 'Remove an image by id even when it has several names'
complete -c berth -n "__fish_berth_using_subcommand rmi" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand run" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand run" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand run" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand run" -l sdnotify -d 'Who tells systemd the service is ready: conmon (berth, once the command runs), container (the container, through a socket berth relays), healthy (berth, once the healthcheck passes), ignore [default: conmon under NOTIFY_SOCKET]' -r
complete -c berth -n "__fish_berth_using_subcommand run" -l pidfile -d 'Write the container\'s pid 1 (as the host sees it) to FILE once it runs' -r -F
complete -c berth -n "__fish_berth_using_subcommand run" -s a -l attach -d 'Attach only these streams: stdin, stdout, stderr (repeatable; stdin needs -i)' -r -f -a "stdin\t''
stdout\t''
stderr\t''"
complete -c berth -n "__fish_berth_using_subcommand run" -l name -d 'Name of the container' -r
complete -c berth -n "__fish_berth_using_subcommand run" -s e -l env -d 'Set an environment variable (KEY=VALUE, or KEY to take it from berth\'s environment)' -r
complete -c berth -n "__fish_berth_using_subcommand run" -l env-file -d 'Read environment variables from a file' -r -F
complete -c berth -n "__fish_berth_using_subcommand run" -l entrypoint -d 'Override the image\'s entrypoint' -r
complete -c berth -n "__fish_berth_using_subcommand run" -s u -l user -d 'Run as USER[:GROUP] (names or numbers)' -r
complete -c berth -n "__fish_berth_using_subcommand run" -l group-add -d 'Additional groups for the process' -r
complete -c berth -n "__fish_berth_using_subcommand run" -s w -l workdir -d 'Working directory in the container (created when missing)' -r
complete -c berth -n "__fish_berth_using_subcommand run" -s v -l volume -d 'Bind mount or named volume: SRC:DST[:ro|rw]' -r
complete -c berth -n "__fish_berth_using_subcommand run" -l mount -d 'Mount: type=bind|volume|tmpfs,source=…,target=…[,readonly]' -r
complete -c berth -n "__fish_berth_using_subcommand run" -l device -d 'Give the container a host device node you can open: HOST[:CONTAINER][:rwm]' -r
complete -c berth -n "__fish_berth_using_subcommand run" -l tmpfs -d 'Mount a tmpfs at DST' -r
complete -c berth -n "__fish_berth_using_subcommand run" -l hostname -d 'Container hostname' -r
complete -c berth -n "__fish_berth_using_subcommand run" -l add-host -d 'Add HOST:IP to /etc/hosts' -r
complete -c berth -n "__fish_berth_using_subcommand run" -l dns -d 'DNS server for /etc/resolv.conf' -r
complete -c berth -n "__fish_berth_using_subcommand run" -l cap-add -d 'Add a capability (or ALL)' -r
complete -c berth -n "__fish_berth_using_subcommand run" -l cap-drop -d 'Drop a capability (or ALL)' -r
complete -c berth -n "__fish_berth_using_subcommand run" -l security-opt -d 'seccomp=unconfined|FILE.json, no-new-privileges[=true|false]' -r
complete -c berth -n "__fish_berth_using_subcommand run" -l ulimit -d 'Resource limit NAME=SOFT[:HARD]' -r
complete -c berth -n "__fish_berth_using_subcommand run" -l preserve-fds -d 'Pass N more fds (3 to 3+N-1) from berth\'s caller to the container (socket activation passes LISTEN_FDS of them by itself)' -r
complete -c berth -n "__fish_berth_using_subcommand run" -l cidfile -d 'Write the container\'s id to FILE (refused if it exists; removed with --rm)' -r -F
complete -c berth -n "__fish_berth_using_subcommand run" -l stop-signal -d 'Signal that stops the container' -r
complete -c berth -n "__fish_berth_using_subcommand run" -l stop-timeout -d 'Seconds `stop` waits after the stop signal before killing the container [default: 10]' -r
complete -c berth -n "__fish_berth_using_subcommand run" -s l -l label -d 'Set a label on the container (KEY=VALUE)' -r
complete -c berth -n "__fish_berth_using_subcommand run" -l restart -d 'Restart policy: no, on-failure[:N], always, unless-stopped' -r
complete -c berth -n "__fish_berth_using_subcommand run" -l health-cmd -d 'Healthcheck command: a shell command (CMD-SHELL), a JSON array, or `none`' -r
complete -c berth -n "__fish_berth_using_subcommand run" -l health-interval -d 'Time between healthchecks (30s, 500ms, 1m30s) [default: 30s]' -r
complete -c berth -n "__fish_berth_using_subcommand run" -l health-retries -d 'Consecutive failed checks that make the container unhealthy [default: 3]' -r
complete -c berth -n "__fish_berth_using_subcommand run" -l health-start-period -d 'Time after the start during which failed checks do not count [default: 0s]' -r
complete -c berth -n "__fish_berth_using_subcommand run" -l health-timeout -d 'Time a check may run before it is killed and counted failed [default: 30s]' -r
complete -c berth -n "__fish_berth_using_subcommand run" -l health-on-failure -d 'What to do when the container turns unhealthy: none, kill, restart, stop' -r
complete -c berth -n "__fish_berth_using_subcommand run" -l sig-proxy -d 'Forward signals berth receives to the container' -r -f -a "true\t''
false\t''"
complete -c berth -n "__fish_berth_using_subcommand run" -l userns -d 'User namespace: `keep-id` maps your own uid and gid to themselves and runs as them' -r
complete -c berth -n "__fish_berth_using_subcommand run" -l network -d 'Network: none, host, private (the default; through pasta) or slirp4netns' -r -f -a "none\t''
host\t''
private\t''
slirp4netns\t''"
complete -c berth -n "__fish_berth_using_subcommand run" -s p -l publish -d 'Publish a container port on the host: [IP:]HOST:CTR[/tcp|udp]' -r
complete -c berth -n "__fish_berth_using_subcommand run" -l log-driver -d 'Where the output is kept: k8s-file, journald, passthrough or none [default: passthrough in the foreground]' -r
complete -c berth -n "__fish_berth_using_subcommand run" -l log-opt -d 'A log driver option: max-size=SIZE (k8s-file starts afresh before passing it), path=FILE' -r
complete -c berth -n "__fish_berth_using_subcommand run" -l expose -d 'Expose a port (PORT[/tcp|udp]) for --publish-all' -r
complete -c berth -n "__fish_berth_using_subcommand run" -s m -l memory -d 'Memory limit (needs a delegated cgroup v2; refused where there is none)' -r
complete -c berth -n "__fish_berth_using_subcommand run" -l cpus -d 'CPU limit, in CPUs (needs a delegated cgroup v2; refused where there is none)' -r
complete -c berth -n "__fish_berth_using_subcommand run" -l pids-limit -d 'Limit on the number of processes (needs a delegated cgroup v2; refused where there is none)' -r
complete -c berth -n "__fish_berth_using_subcommand run" -l pull -d 'When to pull the image: always, missing, never, newer' -r
complete -c berth -n "__fish_berth_using_subcommand run" -l platform -d 'The platform of the image to pull, as os/arch[/variant] [default: this machine\'s]' -r
complete -c berth -n "__fish_berth_using_subcommand run" -l tls-verify -d 'Require HTTPS and verify the registry\'s certificate (default true; loopback registries may answer plain HTTP)' -r -f -a "true\t''
false\t''"
complete -c berth -n "__fish_berth_using_subcommand run" -l cert-dir -d 'Directory of certificates for the registry: *.crt CAs, *.cert/*.key client pairs [default: certs.d/HOST under $XDG_CONFIG_HOME/containers, /etc/containers, /etc/docker]' -r -F
complete -c berth -n "__fish_berth_using_subcommand run" -l authfile -d 'Credentials file [default: $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json]' -r -F
complete -c berth -n "__fish_berth_using_subcommand run" -l creds -d 'Credentials for the registry as USER:PASSWORD (instead of the credentials file)' -r
complete -c berth -n "__fish_berth_using_subcommand run" -l scan-gate -d 'Refuse the image when it has known vulnerabilities at or above this severity in the OSV database (see `berth scan`)' -r
complete -c berth -n "__fish_berth_using_subcommand run" -l scan-db -d 'The OSV database --scan-gate reads [default: <root>/osv, as `berth scan --db-update` fills it]' -r -F
complete -c berth -n "__fish_berth_using_subcommand run" -l rm -d 'Remove the container when it exits'
complete -c berth -n "__fish_berth_using_subcommand run" -s d -l detach -d 'Run in the background and print the container\'s id'
complete -c berth -n "__fish_berth_using_subcommand run" -s i -l interactive -d 'Keep stdin open'
complete -c berth -n "__fish_berth_using_subcommand run" -s t -l tty -d 'Allocate a pseudo-terminal'
complete -c berth -n "__fish_berth_using_subcommand run" -l read-only -d 'Mount the root filesystem read-only'
complete -c berth -n "__fish_berth_using_subcommand run" -l privileged -d 'Every capability in the user namespace, no seccomp, no masked paths'
complete -c berth -n "__fish_berth_using_subcommand run" -l init -d 'Run berth\'s tiny init as pid 1: it forwards signals and reaps zombies. Without it the command is pid 1, and the kernel drops signals pid 1 has no handler for: Ctrl-C or `berth stop`\'s SIGTERM do not stop `sh` or `httpd` (as with Docker; stop then ends it with SIGKILL after its timeout)'
complete -c berth -n "__fish_berth_using_subcommand run" -l replace -d 'Stop and remove the container of the same --name first, if there is one'
complete -c berth -n "__fish_berth_using_subcommand run" -l no-healthcheck -d 'Run no healthcheck, not even the image\'s'
complete -c berth -n "__fish_berth_using_subcommand run" -s P -l publish-all -d 'Publish every port the image exposes (and --expose) on a free host port'
complete -c berth -n "__fish_berth_using_subcommand run" -s q -l quiet -d 'Print nothing while pulling the image'
complete -c berth -n "__fish_berth_using_subcommand run" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand save" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand save" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand save" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand save" -s o -l output -d 'Write to FILE instead of stdout' -r -F
complete -c berth -n "__fish_berth_using_subcommand save" -l format -d 'Archive format' -r -f -a "docker-archive\t''
oci-archive\t''"
complete -c berth -n "__fish_berth_using_subcommand save" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand sbom" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand sbom" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand sbom" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand sbom" -l format -d 'table, json (berth\'s own), spdx-json (SPDX 2.3) or cyclonedx-json (CycloneDX 1.5)' -r -f -a "table\t''
json\t''
spdx-json\t''
cyclonedx-json\t''"
complete -c berth -n "__fish_berth_using_subcommand sbom" -s o -l output -d 'Write to FILE (atomically) instead of standard output' -r -F
complete -c berth -n "__fish_berth_using_subcommand sbom" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand scan" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand scan" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand scan" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand scan" -l sbom -d 'Scan an SPDX 2.x or CycloneDX 1.x JSON SBOM (berth\'s, syft\'s, trivy\'s) instead' -r -F
complete -c berth -n "__fish_berth_using_subcommand scan" -l db -d 'The OSV database: a directory of OSV JSON records and/or <ECOSYSTEM>/all.zip exports, or one all.zip [default: <root>/osv]' -r -F
complete -c berth -n "__fish_berth_using_subcommand scan" -l osv-url -d 'Where --db-update fetches from' -r
complete -c berth -n "__fish_berth_using_subcommand scan" -l ecosystem -d 'The ecosystems --db-update fetches: Debian, Alpine, crates.io, PyPI, npm, Go [default: all]' -r
complete -c berth -n "__fish_berth_using_subcommand scan" -l severity -d 'Report only findings at or above this severity' -r
complete -c berth -n "__fish_berth_using_subcommand scan" -l ignore -d 'A vulnerability id or alias (CVE) to leave out' -r
complete -c berth -n "__fish_berth_using_subcommand scan" -l ignore-file -d 'A file of ids to leave out, one a line, # comments (.trivyignore)' -r -F
complete -c berth -n "__fish_berth_using_subcommand scan" -l format -d 'Output format' -r -f -a "table\t''
json\t''
sarif\t''"
complete -c berth -n "__fish_berth_using_subcommand scan" -l exit-code -d 'Exit with this code when findings remain after the filters' -r
complete -c berth -n "__fish_berth_using_subcommand scan" -l db-update -d 'Fetch <URL>/<ECOSYSTEM>/all.zip into the database directory and index it'
complete -c berth -n "__fish_berth_using_subcommand scan" -l ignore-unfixed -d 'Leave out vulnerabilities no version fixes yet'
complete -c berth -n "__fish_berth_using_subcommand scan" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand search" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand search" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand search" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand search" -l limit -d 'At most this many results (tags with --list-tags)' -r
complete -c berth -n "__fish_berth_using_subcommand search" -l format -d 'json, table, or a Go template (`{{.Name}}\\t{{.Stars}}`; with --list-tags `{{.Name}} {{.Tag}}`)' -r
complete -c berth -n "__fish_berth_using_subcommand search" -l tls-verify -d 'Require HTTPS and verify the registry\'s certificate (default true; loopback registries may answer plain HTTP)' -r -f -a "true\t''
false\t''"
complete -c berth -n "__fish_berth_using_subcommand search" -l cert-dir -d 'Directory of certificates for the registry: *.crt CAs, *.cert/*.key client pairs [default: certs.d/HOST under $XDG_CONFIG_HOME/containers, /etc/containers, /etc/docker]' -r -F
complete -c berth -n "__fish_berth_using_subcommand search" -l authfile -d 'Credentials file [default: $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json]' -r -F
complete -c berth -n "__fish_berth_using_subcommand search" -l creds -d 'Credentials for the registry as USER:PASSWORD (instead of the credentials file)' -r
complete -c berth -n "__fish_berth_using_subcommand search" -l list-tags -d 'List the tags of the repository TERM names'
complete -c berth -n "__fish_berth_using_subcommand search" -l no-trunc -d 'Do not truncate descriptions'
complete -c berth -n "__fish_berth_using_subcommand search" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand load" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand load" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand load" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand load" -s i -l input -d 'Read from FILE instead of stdin' -r
complete -c berth -n "__fish_berth_using_subcommand load" -s q -l quiet -d 'Print nothing but errors'
complete -c berth -n "__fish_berth_using_subcommand load" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand login" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand login" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand login" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand login" -s u -l username -d 'User name (asked for on a terminal when not given)' -r
complete -c berth -n "__fish_berth_using_subcommand login" -s p -l password -d 'Password (other users can see it in the process list: prefer --password-stdin)' -r
complete -c berth -n "__fish_berth_using_subcommand login" -l authfile -d 'The auth file to read and write [default: $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json]' -r -F
complete -c berth -n "__fish_berth_using_subcommand login" -l tls-verify -d 'Verify the registry\'s TLS certificate; false also allows plain HTTP' -r -f -a "true\t''
false\t''"
complete -c berth -n "__fish_berth_using_subcommand login" -l cert-dir -d 'A directory of CA certificates (*.crt) and a client certificate (*.cert with its *.key) for the registry [default: certs.d/HOST under $XDG_CONFIG_HOME/containers, /etc/containers, /etc/docker]' -r -F
complete -c berth -n "__fish_berth_using_subcommand login" -l password-stdin -d 'Read the password from stdin (its first line)'
complete -c berth -n "__fish_berth_using_subcommand login" -l get-login -d 'Print the user name stored for REGISTRY; log in to nothing'
complete -c berth -n "__fish_berth_using_subcommand login" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand logout" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand logout" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand logout" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand logout" -l authfile -d 'The auth file to edit [default: $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json]' -r -F
complete -c berth -n "__fish_berth_using_subcommand logout" -s a -l all -d 'Remove the credentials of every registry'
complete -c berth -n "__fish_berth_using_subcommand logout" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand logs" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand logs" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand logs" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand logs" -l tail -d 'Only the last N lines (-1: all)' -r
complete -c berth -n "__fish_berth_using_subcommand logs" -l since -d 'Only output since TIME (RFC 3339, 2006-01-02, Unix seconds, or a duration before now: 10m)' -r
complete -c berth -n "__fish_berth_using_subcommand logs" -l until -d 'Only output until TIME (as --since; a duration counts from now on, as podman)' -r
complete -c berth -n "__fish_berth_using_subcommand logs" -s f -l follow -d 'Keep printing new output until the container\'s monitor has exited'
complete -c berth -n "__fish_berth_using_subcommand logs" -s t -l timestamps -d 'Show each line\'s timestamp'
complete -c berth -n "__fish_berth_using_subcommand logs" -s n -l names -d 'With several containers, prefix lines with the container\'s name, not its id'
complete -c berth -n "__fish_berth_using_subcommand logs" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand manifest; and not __fish_seen_subcommand_from create add inspect push rm" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand manifest; and not __fish_seen_subcommand_from create add inspect push rm" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand manifest; and not __fish_seen_subcommand_from create add inspect push rm" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand manifest; and not __fish_seen_subcommand_from create add inspect push rm" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand manifest; and not __fish_seen_subcommand_from create add inspect push rm" -f -a "create" -d 'Create a manifest list of images in the store'
complete -c berth -n "__fish_berth_using_subcommand manifest; and not __fish_seen_subcommand_from create add inspect push rm" -f -a "add" -d 'Add an image (from the store, else from a registry) to a manifest list'
complete -c berth -n "__fish_berth_using_subcommand manifest; and not __fish_seen_subcommand_from create add inspect push rm" -f -a "inspect" -d 'Show a manifest list of the store, else a registry\'s manifest or index, as JSON'
complete -c berth -n "__fish_berth_using_subcommand manifest; and not __fish_seen_subcommand_from create add inspect push rm" -f -a "push" -d 'Push a manifest list and its images to a registry'
complete -c berth -n "__fish_berth_using_subcommand manifest; and not __fish_seen_subcommand_from create add inspect push rm" -f -a "rm" -d 'Remove manifest lists (not their images)'
complete -c berth -n "__fish_berth_using_subcommand manifest; and __fish_seen_subcommand_from create" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand manifest; and __fish_seen_subcommand_from create" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand manifest; and __fish_seen_subcommand_from create" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand manifest; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand manifest; and __fish_seen_subcommand_from add" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand manifest; and __fish_seen_subcommand_from add" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand manifest; and __fish_seen_subcommand_from add" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand manifest; and __fish_seen_subcommand_from add" -l os -d 'The entry\'s OS instead of the image config\'s' -r
complete -c berth -n "__fish_berth_using_subcommand manifest; and __fish_seen_subcommand_from add" -l arch -d 'The entry\'s architecture instead of the image config\'s' -r
complete -c berth -n "__fish_berth_using_subcommand manifest; and __fish_seen_subcommand_from add" -l variant -d 'The entry\'s architecture variant instead of the image config\'s' -r
complete -c berth -n "__fish_berth_using_subcommand manifest; and __fish_seen_subcommand_from add" -l tls-verify -d 'Require HTTPS and verify the registry\'s certificate (default true; loopback registries may answer plain HTTP)' -r -f -a "true\t''
false\t''"
complete -c berth -n "__fish_berth_using_subcommand manifest; and __fish_seen_subcommand_from add" -l cert-dir -d 'Directory of certificates for the registry: *.crt CAs, *.cert/*.key client pairs [default: certs.d/HOST under $XDG_CONFIG_HOME/containers, /etc/containers, /etc/docker]' -r -F
complete -c berth -n "__fish_berth_using_subcommand manifest; and __fish_seen_subcommand_from add" -l authfile -d 'Credentials file [default: $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json]' -r -F
complete -c berth -n "__fish_berth_using_subcommand manifest; and __fish_seen_subcommand_from add" -l creds -d 'Credentials for the registry as USER:PASSWORD (instead of the credentials file)' -r
complete -c berth -n "__fish_berth_using_subcommand manifest; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand manifest; and __fish_seen_subcommand_from inspect" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand manifest; and __fish_seen_subcommand_from inspect" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand manifest; and __fish_seen_subcommand_from inspect" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand manifest; and __fish_seen_subcommand_from inspect" -l tls-verify -d 'Require HTTPS and verify the registry\'s certificate (default true; loopback registries may answer plain HTTP)' -r -f -a "true\t''
false\t''"
complete -c berth -n "__fish_berth_using_subcommand manifest; and __fish_seen_subcommand_from inspect" -l cert-dir -d 'Directory of certificates for the registry: *.crt CAs, *.cert/*.key client pairs [default: certs.d/HOST under $XDG_CONFIG_HOME/containers, /etc/containers, /etc/docker]' -r -F
complete -c berth -n "__fish_berth_using_subcommand manifest; and __fish_seen_subcommand_from inspect" -l authfile -d 'Credentials file [default: $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json]' -r -F
complete -c berth -n "__fish_berth_using_subcommand manifest; and __fish_seen_subcommand_from inspect" -l creds -d 'Credentials for the registry as USER:PASSWORD (instead of the credentials file)' -r
complete -c berth -n "__fish_berth_using_subcommand manifest; and __fish_seen_subcommand_from inspect" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand manifest; and __fish_seen_subcommand_from push" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand manifest; and __fish_seen_subcommand_from push" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand manifest; and __fish_seen_subcommand_from push" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand manifest; and __fish_seen_subcommand_from push" -l all -d 'Push the list\'s images too, not only the list [default: true]' -r -f -a "true\t''
false\t''"
complete -c berth -n "__fish_berth_using_subcommand manifest; and __fish_seen_subcommand_from push" -s f -l format -d 'Manifest format: oci (an OCI image index) or v2s2 (a Docker manifest list)' -r -f -a "oci\t'OCI image manifest'
v2s2\t'Docker image manifest, schema 2'"
complete -c berth -n "__fish_berth_using_subcommand manifest; and __fish_seen_subcommand_from push" -l compression-format -d 'How to compress layers stored uncompressed (compressed ones go as they are)' -r -f -a "gzip\t''
zstd\t''"
complete -c berth -n "__fish_berth_using_subcommand manifest; and __fish_seen_subcommand_from push" -l digestfile -d 'Also write the pushed list\'s digest to FILE' -r -F
complete -c berth -n "__fish_berth_using_subcommand manifest; and __fish_seen_subcommand_from push" -l tls-verify -d 'Require HTTPS and verify the registry\'s certificate (default true; loopback registries may answer plain HTTP)' -r -f -a "true\t''
false\t''"
complete -c berth -n "__fish_berth_using_subcommand manifest; and __fish_seen_subcommand_from push" -l cert-dir -d 'Directory of certificates for the registry: *.crt CAs, *.cert/*.key client pairs [default: certs.d/HOST under $XDG_CONFIG_HOME/containers, /etc/containers, /etc/docker]' -r -F
complete -c berth -n "__fish_berth_using_subcommand manifest; and __fish_seen_subcommand_from push" -l authfile -d 'Credentials file [default: $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json]' -r -F
complete -c berth -n "__fish_berth_using_subcommand manifest; and __fish_seen_subcommand_from push" -l creds -d 'Credentials for the registry as USER:PASSWORD (instead of the credentials file)' -r
complete -c berth -n "__fish_berth_using_subcommand manifest; and __fish_seen_subcommand_from push" -l rm -d 'Remove the list from the store once it is pushed'
complete -c berth -n "__fish_berth_using_subcommand manifest; and __fish_seen_subcommand_from push" -s q -l quiet -d 'No progress lines: only the digest'
complete -c berth -n "__fish_berth_using_subcommand manifest; and __fish_seen_subcommand_from push" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c berth -n "__fish_berth_using_subcommand manifest; and __fish_seen_subcommand_from rm" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand manifest; and __fish_seen_subcommand_from rm" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand manifest; and __fish_seen_subcommand_from rm" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand manifest; and __fish_seen_subcommand_from rm" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand network; and not __fish_seen_subcommand_from ls list inspect exists" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand network; and not __fish_seen_subcommand_from ls list inspect exists" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand network; and not __fish_seen_subcommand_from ls list inspect exists" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand network; and not __fish_seen_subcommand_from ls list inspect exists" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand network; and not __fish_seen_subcommand_from ls list inspect exists" -f -a "ls" -d 'List networks'
complete -c berth -n "__fish_berth_using_subcommand network; and not __fish_seen_subcommand_from ls list inspect exists" -f -a "list" -d 'List networks'
complete -c berth -n "__fish_berth_using_subcommand network; and not __fish_seen_subcommand_from ls list inspect exists" -f -a "inspect" -d 'Show networks as JSON'
complete -c berth -n "__fish_berth_using_subcommand network; and not __fish_seen_subcommand_from ls list inspect exists" -f -a "exists" -d 'Exit 0 if the network exists, 1 if not (for scripts; no output)'
complete -c berth -n "__fish_berth_using_subcommand network; and __fish_seen_subcommand_from ls" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand network; and __fish_seen_subcommand_from ls" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand network; and __fish_seen_subcommand_from ls" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand network; and __fish_seen_subcommand_from ls" -s f -l filter -d 'name=TEXT (part of the name) or driver=DRIVER; repeated filters must all match' -r
complete -c berth -n "__fish_berth_using_subcommand network; and __fish_seen_subcommand_from ls" -l format -d 'json, table, or a Go template (`{{.Name}}\\t{{.Driver}}`)' -r
complete -c berth -n "__fish_berth_using_subcommand network; and __fish_seen_subcommand_from ls" -s q -l quiet -d 'Print network names only'
complete -c berth -n "__fish_berth_using_subcommand network; and __fish_seen_subcommand_from ls" -l no-trunc -d 'Print full network ids in the table'
complete -c berth -n "__fish_berth_using_subcommand network; and __fish_seen_subcommand_from ls" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand network; and __fish_seen_subcommand_from list" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand network; and __fish_seen_subcommand_from list" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand network; and __fish_seen_subcommand_from list" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand network; and __fish_seen_subcommand_from list" -s f -l filter -d 'name=TEXT (part of the name) or driver=DRIVER; repeated filters must all match' -r
complete -c berth -n "__fish_berth_using_subcommand network; and __fish_seen_subcommand_from list" -l format -d 'json, table, or a Go template (`{{.Name}}\\t{{.Driver}}`)' -r
complete -c berth -n "__fish_berth_using_subcommand network; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print network names only'
complete -c berth -n "__fish_berth_using_subcommand network; and __fish_seen_subcommand_from list" -l no-trunc -d 'Print full network ids in the table'
complete -c berth -n "__fish_berth_using_subcommand network; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand network; and __fish_seen_subcommand_from inspect" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand network; and __fish_seen_subcommand_from inspect" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand network; and __fish_seen_subcommand_from inspect" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand network; and __fish_seen_subcommand_from inspect" -s f -l format -d 'A Go template to render each network with instead' -r
complete -c berth -n "__fish_berth_using_subcommand network; and __fish_seen_subcommand_from inspect" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand network; and __fish_seen_subcommand_from exists" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand network; and __fish_seen_subcommand_from exists" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand network; and __fish_seen_subcommand_from exists" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand network; and __fish_seen_subcommand_from exists" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand system; and not __fish_seen_subcommand_from check prune df reset" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand system; and not __fish_seen_subcommand_from check prune df reset" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand system; and not __fish_seen_subcommand_from check prune df reset" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand system; and not __fish_seen_subcommand_from check prune df reset" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand system; and not __fish_seen_subcommand_from check prune df reset" -f -a "check" -d 'Verify the store: every image complete and intact; list garbage'
complete -c berth -n "__fish_berth_using_subcommand system; and not __fish_seen_subcommand_from check prune df reset" -f -a "prune" -d 'Remove garbage: unreferenced blobs and layers, leftovers of interrupted commands, expired name history'
complete -c berth -n "__fish_berth_using_subcommand system; and not __fish_seen_subcommand_from check prune df reset" -f -a "df" -d 'Show disk usage: images, containers, local volumes, build cache'
complete -c berth -n "__fish_berth_using_subcommand system; and not __fish_seen_subcommand_from check prune df reset" -f -a "reset" -d 'Remove everything under the root directory'
complete -c berth -n "__fish_berth_using_subcommand system; and __fish_seen_subcommand_from check" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand system; and __fish_seen_subcommand_from check" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand system; and __fish_seen_subcommand_from check" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand system; and __fish_seen_subcommand_from check" -l verify -d 'Also re-hash every layer blob'
complete -c berth -n "__fish_berth_using_subcommand system; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand system; and __fish_seen_subcommand_from prune" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand system; and __fish_seen_subcommand_from prune" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand system; and __fish_seen_subcommand_from prune" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand system; and __fish_seen_subcommand_from prune" -l expire -d 'Drop name-history entries older than this (`30d`, `12h`, `90m`, `now` or `0` for all, `never`); the images only they kept go with them' -r
complete -c berth -n "__fish_berth_using_subcommand system; and __fish_seen_subcommand_from prune" -s f -l force -d 'Accepted for compatibility: berth never asks'
complete -c berth -n "__fish_berth_using_subcommand system; and __fish_seen_subcommand_from prune" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand system; and __fish_seen_subcommand_from df" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand system; and __fish_seen_subcommand_from df" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand system; and __fish_seen_subcommand_from df" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand system; and __fish_seen_subcommand_from df" -l format -d 'json, table, or a Go template over the rows (`{{.Type}}\\t{{.Size}}`; fields Type, Total, Active, Size, Reclaimable)' -r
complete -c berth -n "__fish_berth_using_subcommand system; and __fish_seen_subcommand_from df" -s v -l verbose -d 'Also list each image, container and volume'
complete -c berth -n "__fish_berth_using_subcommand system; and __fish_seen_subcommand_from df" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand system; and __fish_seen_subcommand_from reset" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand system; and __fish_seen_subcommand_from reset" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand system; and __fish_seen_subcommand_from reset" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand system; and __fish_seen_subcommand_from reset" -s f -l force -d 'Do not ask for confirmation'
complete -c berth -n "__fish_berth_using_subcommand system; and __fish_seen_subcommand_from reset" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand version" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand version" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand version" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand version" -l format -r -f -a "table\t''
json\t''"
complete -c berth -n "__fish_berth_using_subcommand version" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand volume; and not __fish_seen_subcommand_from create ls list inspect rm remove prune exists" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand volume; and not __fish_seen_subcommand_from create ls list inspect rm remove prune exists" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand volume; and not __fish_seen_subcommand_from create ls list inspect rm remove prune exists" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand volume; and not __fish_seen_subcommand_from create ls list inspect rm remove prune exists" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand volume; and not __fish_seen_subcommand_from create ls list inspect rm remove prune exists" -f -a "create" -d 'Create a volume and print its name (a generated one when none is given)'
complete -c berth -n "__fish_berth_using_subcommand volume; and not __fish_seen_subcommand_from create ls list inspect rm remove prune exists" -f -a "ls" -d 'List volumes'
complete -c berth -n "__fish_berth_using_subcommand volume; and not __fish_seen_subcommand_from create ls list inspect rm remove prune exists" -f -a "list" -d 'List volumes'
complete -c berth -n "__fish_berth_using_subcommand volume; and not __fish_seen_subcommand_from create ls list inspect rm remove prune exists" -f -a "inspect" -d 'Show volumes as JSON'
complete -c berth -n "__fish_berth_using_subcommand volume; and not __fish_seen_subcommand_from create ls list inspect rm remove prune exists" -f -a "rm" -d 'Remove volumes no container uses'
complete -c berth -n "__fish_berth_using_subcommand volume; and not __fish_seen_subcommand_from create ls list inspect rm remove prune exists" -f -a "remove" -d 'Remove volumes no container uses'
complete -c berth -n "__fish_berth_using_subcommand volume; and not __fish_seen_subcommand_from create ls list inspect rm remove prune exists" -f -a "prune" -d 'Remove every volume no container uses, printing their names'
complete -c berth -n "__fish_berth_using_subcommand volume; and not __fish_seen_subcommand_from create ls list inspect rm remove prune exists" -f -a "exists" -d 'Exit 0 if the volume exists, 1 if not (for scripts; no output)'
complete -c berth -n "__fish_berth_using_subcommand volume; and __fish_seen_subcommand_from create" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand volume; and __fish_seen_subcommand_from create" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand volume; and __fish_seen_subcommand_from create" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand volume; and __fish_seen_subcommand_from create" -s l -l label -d 'Set a label on the volume (KEY=VALUE, or KEY for an empty value)' -r
complete -c berth -n "__fish_berth_using_subcommand volume; and __fish_seen_subcommand_from create" -s o -l opt -d 'Driver options: berth\'s volumes are plain directories and take none (podman\'s type=, device= and o= mount a filesystem)' -r
complete -c berth -n "__fish_berth_using_subcommand volume; and __fish_seen_subcommand_from create" -s d -l driver -d 'The volume driver: only `local`' -r
complete -c berth -n "__fish_berth_using_subcommand volume; and __fish_seen_subcommand_from create" -l ignore -d 'Print the name of an existing volume instead of failing (its labels are left as they are)'
complete -c berth -n "__fish_berth_using_subcommand volume; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand volume; and __fish_seen_subcommand_from ls" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand volume; and __fish_seen_subcommand_from ls" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand volume; and __fish_seen_subcommand_from ls" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand volume; and __fish_seen_subcommand_from ls" -s f -l filter -d 'name=TEXT (part of the name), label=KEY[=VALUE], dangling=true|false (used by no container); repeated filters must all match' -r
complete -c berth -n "__fish_berth_using_subcommand volume; and __fish_seen_subcommand_from ls" -l format -d 'json, table, or a Go template (`{{.Name}}\\t{{.Mountpoint}}`)' -r
complete -c berth -n "__fish_berth_using_subcommand volume; and __fish_seen_subcommand_from ls" -s q -l quiet -d 'Print volume names only'
complete -c berth -n "__fish_berth_using_subcommand volume; and __fish_seen_subcommand_from ls" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand volume; and __fish_seen_subcommand_from list" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand volume; and __fish_seen_subcommand_from list" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand volume; and __fish_seen_subcommand_from list" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand volume; and __fish_seen_subcommand_from list" -s f -l filter -d 'name=TEXT (part of the name), label=KEY[=VALUE], dangling=true|false (used by no container); repeated filters must all match' -r
complete -c berth -n "__fish_berth_using_subcommand volume; and __fish_seen_subcommand_from list" -l format -d 'json, table, or a Go template (`{{.Name}}\\t{{.Mountpoint}}`)' -r
complete -c berth -n "__fish_berth_using_subcommand volume; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print volume names only'
complete -c berth -n "__fish_berth_using_subcommand volume; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand volume; and __fish_seen_subcommand_from inspect" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand volume; and __fish_seen_subcommand_from inspect" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand volume; and __fish_seen_subcommand_from inspect" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand volume; and __fish_seen_subcommand_from inspect" -s f -l format -d 'A Go template to render each volume with instead' -r
complete -c berth -n "__fish_berth_using_subcommand volume; and __fish_seen_subcommand_from inspect" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand volume; and __fish_seen_subcommand_from rm" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand volume; and __fish_seen_subcommand_from rm" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand volume; and __fish_seen_subcommand_from rm" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand volume; and __fish_seen_subcommand_from rm" -s f -l force -d 'Also remove the containers that use them (running ones are killed)'
complete -c berth -n "__fish_berth_using_subcommand volume; and __fish_seen_subcommand_from rm" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand volume; and __fish_seen_subcommand_from remove" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand volume; and __fish_seen_subcommand_from remove" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand volume; and __fish_seen_subcommand_from remove" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand volume; and __fish_seen_subcommand_from remove" -s f -l force -d 'Also remove the containers that use them (running ones are killed)'
complete -c berth -n "__fish_berth_using_subcommand volume; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand volume; and __fish_seen_subcommand_from prune" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand volume; and __fish_seen_subcommand_from prune" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand volume; and __fish_seen_subcommand_from prune" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand volume; and __fish_seen_subcommand_from prune" -s f -l force -d 'Do not ask (without it, berth asks on a terminal and refuses otherwise)'
complete -c berth -n "__fish_berth_using_subcommand volume; and __fish_seen_subcommand_from prune" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand volume; and __fish_seen_subcommand_from exists" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand volume; and __fish_seen_subcommand_from exists" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand volume; and __fish_seen_subcommand_from exists" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand volume; and __fish_seen_subcommand_from exists" -s h -l help -d 'Print help'
complete -c berth -n "__fish_berth_using_subcommand completion" -l root -d 'Directory for images, layers and containers [default: $BERTH_ROOT, else ~/.local/share/berth ($XDG_DATA_HOME/berth); /var/lib/berth for root]' -r -F
complete -c berth -n "__fish_berth_using_subcommand completion" -l log-level -d 'Log messages at this level and above to stderr: error, warn, info, debug, trace' -r
complete -c berth -n "__fish_berth_using_subcommand completion" -l events-backend -d 'Where events are recorded and `events` reads them: file (under the root), journald, none [default: containers.conf\'s events_logger, else file]' -r
complete -c berth -n "__fish_berth_using_subcommand completion" -s h -l help -d 'Print help'
