//! The command line, as clap parses it.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// What `keyway --version` prints after the name: the crate's version and the plugin contract this build
/// serves (read from `wit/` by the build script).
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (plugin contract ", env!("KEYWAY_CONTRACT"), ")");

/// keyway: secrets for workflow engines, from any secret manager, through sandboxed plugins.
#[derive(Debug, Parser)]
#[command(name = "keyway", version = VERSION, about, long_about = None)]
#[command(after_help = "Without a configuration file, keyway uses one manager named `local`: an encrypted store in \
$KEYWAY_HOME (default: the user's data folder). Example:\n  keyway put local/db/password 's3cr3t'\n  keyway get local/db/password")]
pub struct Cli {
    /// The configuration file (default: $KEYWAY_CONFIG, ./keyway.yaml, or the user's config folder).
    #[arg(long, global = true, env = "KEYWAY_CONFIG")]
    pub config: Option<PathBuf>,
    /// The caller's namespace, checked against managers' access rules (e.g. company.team).
    #[arg(long, global = true, env = "KEYWAY_NAMESPACE")]
    pub namespace: Option<String>,
    /// A group the caller belongs to; repeat for several.
    #[arg(long = "group", global = true)]
    pub groups: Vec<String>,
    /// The flow recorded in audit records.
    #[arg(long, global = true)]
    pub flow: Option<String>,
    /// How log lines are written to standard error: `text` (default) or `json` (one object per line, for log
    /// collectors). Which lines: $KEYWAY_LOG (e.g. `info,keyway=debug`).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text, env = "KEYWAY_LOG_FORMAT")]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line: time, level, target, message, fields and the spans they happened in.
    Json,
}

/// keyway's commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print a secret's value (raw, so `$(keyway get ...)` works). MANAGER/NAME/KEY reads as in a placeholder:
    /// when no secret has the full name, KEY is a key of the JSON secret MANAGER/NAME.
    #[command(
        after_help = "Examples:\n  keyway get local/db/password\n  keyway get aws/prod/db --key password\n  keyway get vault/app/db/password   # key `password` of JSON secret app/db, unless app/db/password exists\n  keyway get aws/prod/db --label AWSPREVIOUS\n  keyway get local/cert --json   # value (base64 if binary) and metadata"
    )]
    Get(GetArgs),
    /// Print a secret's metadata, never its value.
    #[command(after_help = "Example:\n  keyway describe local/db/password --json")]
    Describe(RefArgs),
    /// Create a secret (or a new version with --overwrite).
    #[command(
        after_help = "Examples:\n  keyway put local/db/password 's3cr3t' --tag team=payments\n  keyway put local/tls/key --file key.pem --binary\n  printf %s \"$TOKEN\" | keyway put local/api/token --stdin --overwrite"
    )]
    Put(PutArgs),
    /// Change a secret's value (a new version) and/or attributes.
    #[command(
        after_help = "Examples:\n  keyway update local/db/password 'n3w'\n  keyway update local/db/password --tag owner=ops --untag env --description 'app db'"
    )]
    Update(UpdateArgs),
    /// Delete a secret (recoverable unless --force).
    #[command(
        after_help = "Examples:\n  keyway delete local/db/password --recovery-days 7\n  keyway delete local/db/password --force"
    )]
    Delete(DeleteArgs),
    /// Recover a deleted secret.
    #[command(after_help = "Example:\n  keyway restore local/db/password")]
    Restore(RefArgs),
    /// List a manager's secrets (metadata only).
    #[command(
        after_help = "Examples:\n  keyway list local\n  keyway list aws --prefix prod/ --tag team=payments --json"
    )]
    List(ListArgs),
    /// List a secret's versions; with --history, keyway's records of them (fingerprints, who, when).
    #[command(
        after_help = "Examples:\n  keyway versions local/db/password\n  keyway versions aws/prod/db --history   # keyway's records: number, fingerprint, origin (keyway, outside, first-seen), who"
    )]
    Versions(VersionsArgs),
    /// Renew a secret now by its manager's renewal rule: a new value for its type (set and tested first by
    /// the rule's rotation hook, when it has one) becomes the current version.
    #[command(
        after_help = "Example:\n  keyway renew local/app/api-key\nRules: managers.NAME.renewal in the configuration; `keyway serve` renews what is due by itself."
    )]
    Renew(RefArgs),
    /// Compliance of the secrets bound to profiles: `keyway compliance report [PROFILE]`.
    #[command(
        subcommand,
        after_help = "Example:\n  keyway compliance report production-db\nRules: profiles.NAME.compliance in the configuration (the README, section \"Secret profiles\")."
    )]
    Compliance(ComplianceCommand),
    /// Bind a secret to a profile (its manager becomes the secret's source when the profile synchronises).
    #[command(
        after_help = "Examples:\n  keyway bind aws/prod/db/password production-db\n  keyway unbind aws/prod/db/password\nProfiles also bind secrets by pattern: profiles.NAME.secrets in the configuration."
    )]
    Bind(BindArgs),
    /// Remove a binding made by `keyway bind` (copies stay where they are).
    #[command(after_help = "Example:\n  keyway unbind aws/prod/db/password")]
    Unbind(RefArgs),
    /// Make another manager the source of a bound secret: it gets the current value first, the former source
    /// becomes a copy.
    #[command(after_help = "Example:\n  keyway change-source aws/prod/db/password vault")]
    ChangeSource(ChangeSourceArgs),
    /// Synchronisation of profiles' secrets to their sync managers: `keyway sync status|run [PROFILE]`.
    #[command(subcommand, after_help = "Examples:\n  keyway sync status\n  keyway sync run production-db")]
    Sync(SyncCommand),
    /// Changes waiting for approval: `keyway approvals list|show|approve|reject`.
    #[command(
        subcommand,
        after_help = "Examples:\n  keyway approvals list\n  keyway --group admins approvals approve 3f9a0c"
    )]
    Approvals(ApprovalsCommand),
    /// Show what went wrong with secrets (failed reads, backend errors, renewals), newest first.
    #[command(after_help = "Examples:\n  keyway errors\n  keyway errors aws\n  keyway errors aws/prod/db --json")]
    Errors(ErrorsArgs),
    /// List the configured managers: plugin, prefix, access, capabilities, and whether the plugin opened
    /// with its settings. No backend is called, so a backend that is down still shows `ok` here: `keyway
    /// check` tests reachability and credentials.
    #[command(after_help = "Examples:\n  keyway managers --json\n  keyway check   # each backend asked for real")]
    Managers(FormatArgs),
    /// Test managers for real: each backend asked one cheap question with keyway's credentials (a list of at
    /// most one secret, or a describe), capabilities, secrets read on request, and secrets keyway's records
    /// say expire soon (warnings).
    #[command(
        after_help = "Examples:\n  keyway check\n  keyway check vault aws --read vault/app/db --expiring-within 14d\n  \
keyway check --json | jq '.managers[] | select(.status != \"ok\")'\n\
Exit codes: 0 every check passed (expiring secrets are only listed as warnings); 1 a backend is unreachable,\n\
refused keyway's credentials, or a --read failed; 6 a manager's configuration is wrong (this wins over 1);\n\
4 a manager or secret named here is one the caller may not use."
    )]
    Check(CheckArgs),
    /// List available plugins with versions, capabilities and egress.
    #[command(after_help = "Example:\n  keyway plugins")]
    Plugins(FormatArgs),
    /// Resolve the secret placeholders of a flow step file (JSON or YAML); values are masked unless --reveal.
    #[command(
        after_help = "Examples:\n  keyway resolve step.yaml --namespace company.team\n  keyway resolve step.json --reveal > resolved.json"
    )]
    Resolve(ResolveArgs),
    /// Run a command with secrets in its environment; its output is masked, signals are passed on to it.
    #[command(
        after_help = "Examples:\n  keyway exec --env 'PGPASSWORD=${secret:local/db/password}' -- psql -h db app\n  \
keyway exec --env-file app.env -- ./deploy.sh\n  keyway exec --no-masking --env 'KEY=${secret:local/tls/key}' -- tar czf - certs > out.tgz\n\
SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 are passed on to the command (to its process group when\n\
standard input is not a terminal); keyway exits with the command's code, or 128+N when signal N ended it."
    )]
    Exec(ExecArgs),
    /// Render a text template with its placeholders resolved into a file only its owner can read.
    #[command(
        after_help = "Examples:\n  keyway inject -i app.properties.tpl -o app.properties\n  keyway inject -i - -o .env < env.tpl"
    )]
    Inject(InjectArgs),
    /// Plugin tools for plugin authors: the conformance suite, and grants for third-party plugins.
    #[command(
        subcommand,
        after_help = "Examples:\n  keyway plugin test my_plugin.wasm --config test.yaml\n  keyway plugin trust plugins/acme.wasm"
    )]
    Plugin(PluginCommand),
    /// Serve the JSON API on local HTTP, for engines in other languages (holds the shared cache).
    #[command(after_help = "Examples:\n  keyway serve\n  keyway serve --listen 127.0.0.1:9000\n  \
keyway serve --listen unix:/run/keyway/keyway.sock\n  \
keyway serve --listen 0.0.0.0:8750 --allow-remote --tls-cert tls.crt --tls-key tls.key\n\
Clients authenticate with the token keyway writes to $KEYWAY_HOME/serve.token, or as configured in serve.clients.\n\
Endpoints: GET /v1/openapi.json (the OpenAPI document); metrics, readiness and the admin page: the README, section \"Operating keyway\".")]
    Serve(ServeArgs),
    /// Inspect or clear the cache of a running `keyway serve` (names and ages, never values).
    #[command(subcommand, after_help = "Examples:\n  keyway cache list\n  keyway cache clear aws/prod/db")]
    Cache(CacheCommand),
    /// Maintain the embedded encrypted store: seal it with a new passphrase or key.
    #[command(subcommand, after_help = "Example:\n  keyway store rekey local --new-passphrase-env NEW")]
    Store(StoreCommand),
    /// Print a completion script for a shell.
    #[command(after_help = "Examples:\n  keyway completions bash > /etc/bash_completion.d/keyway\n  \
keyway completions zsh > \"${fpath[1]}/_keyway\"\n  keyway completions fish > ~/.config/fish/completions/keyway.fish")]
    Completions(CompletionsArgs),
    /// Print the manual page (roff), or write one page per command to a folder.
    #[command(
        after_help = "Examples:\n  keyway man | man -l -\n  keyway man --dir /usr/local/share/man/man1   # keyway.1, keyway-get.1, ..."
    )]
    Man(ManArgs),
}

/// `keyway check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The managers to check; all configured ones when none is given.
    pub managers: Vec<String>,
    /// Also read this secret (MANAGER/NAME) from its backend, past the cache; repeat for several. The value
    /// is never printed.
    #[arg(long = "read", value_name = "MANAGER/NAME")]
    pub reads: Vec<String>,
    /// List secrets keyway's records say expire within this time (or have expired), e.g. 7d, 12h.
    #[arg(long = "expiring-within", value_name = "DURATION", default_value = "7d")]
    pub expiring_within: humantime::Duration,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `keyway completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    pub shell: clap_complete::Shell,
}

/// `keyway man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write `keyway.1` and one page per command (`keyway-get.1`, ...) to this folder instead of printing
    /// the main page.
    #[arg(long, value_name = "FOLDER")]
    pub dir: Option<PathBuf>,
}

/// `keyway store ...`.
#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Seal a store with a new passphrase or key: a new data key, every file encrypted anew. Safe to
    /// interrupt: until it finishes both the old and the new credential open the store, and running it again
    /// finishes it. Other keyway processes keep reading meanwhile; their writes wait.
    #[command(after_help = "Examples:\n  \
read -rs NEW && export NEW && keyway store rekey local --new-passphrase-env NEW\n  \
KEYWAY_NEW_KEY=$(openssl rand -base64 32) keyway store rekey vault-cache --new-key-env KEYWAY_NEW_KEY\n\
The current passphrase or key comes from the manager's settings (for the built-in `local`: \
$KEYWAY_LOCAL_PASSPHRASE, else its key file). Afterwards only the new one opens the store: configure it \
(`passphrase: ${env:...}` or `key: ${env:...}` in the manager's settings, or KEYWAY_LOCAL_PASSPHRASE for \
the built-in `local`).")]
    Rekey(RekeyArgs),
}

/// `keyway store rekey`.
#[derive(Debug, Args)]
pub struct RekeyArgs {
    /// The manager whose store to re-key (one on the built-in `local` plugin).
    #[arg(default_value = "local")]
    pub manager: String,
    /// The environment variable holding the new passphrase (at least 12 characters).
    #[arg(
        long = "new-passphrase-env",
        value_name = "VAR",
        required_unless_present = "new_key_env",
        conflicts_with = "new_key_env"
    )]
    pub new_passphrase_env: Option<String>,
    /// The environment variable holding the new key (32 bytes in base64).
    #[arg(long = "new-key-env", value_name = "VAR")]
    pub new_key_env: Option<String>,
    /// Print the outcome as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `keyway cache ...`.
#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// List what the service has cached: names, managers, versions, ages, expiry and hits, never values.
    #[command(
        after_help = "Examples:\n  keyway cache list\n  keyway cache list --json --server http://127.0.0.1:9000"
    )]
    List(CacheListArgs),
    /// Drop cached secrets at once (revocation): everything, one manager, or one secret.
    #[command(
        after_help = "Examples:\n  keyway cache clear                  # everything\n  keyway cache clear aws              # one manager\n  keyway cache clear aws/prod/db      # one secret, every version"
    )]
    Clear(CacheClearArgs),
}

/// How to reach a running `keyway serve`.
#[derive(Debug, Args)]
pub struct ServerArgs {
    /// The service's address.
    #[arg(long, env = "KEYWAY_SERVER", default_value = "http://127.0.0.1:8750")]
    pub server: String,
    /// The environment variable holding the service's bearer token; when it is not set, the token file
    /// the service wrote to keyway's home (`$KEYWAY_HOME/serve.token`) is read.
    #[arg(long = "token-env", value_name = "VAR", default_value = "KEYWAY_TOKEN")]
    pub token_env: String,
    /// A CA certificate (PEM) to trust for an https:// server.
    #[arg(long = "ca-file", value_name = "FILE")]
    pub ca_file: Option<std::path::PathBuf>,
}

/// `keyway cache list`.
#[derive(Debug, Args)]
pub struct CacheListArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `keyway cache clear`.
#[derive(Debug, Args)]
pub struct CacheClearArgs {
    /// MANAGER or MANAGER/NAME; everything when omitted.
    pub target: Option<String>,
    #[command(flatten)]
    pub server: ServerArgs,
}

/// `keyway serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Where to listen: HOST:PORT (port 0 picks a free port; the address is printed on standard output) or
    /// unix:PATH (a Unix socket; peers whose uid is a client's need no token).
    #[arg(long, default_value = "127.0.0.1:8750")]
    pub listen: String,
    /// Accept a listen address that is not loopback (needs TLS, or --insecure-plain-http).
    #[arg(long = "allow-remote")]
    pub allow_remote: bool,
    /// Serve other machines over plain HTTP (only where a secure network carries the traffic).
    #[arg(long = "insecure-plain-http", requires = "allow_remote")]
    pub insecure_plain_http: bool,
    /// The TLS certificate chain (PEM), instead of serve.tls.cert_file.
    #[arg(long = "tls-cert", value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<std::path::PathBuf>,
    /// The TLS private key (PEM), instead of serve.tls.key_file.
    #[arg(long = "tls-key", value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<std::path::PathBuf>,
    /// The environment variable holding the built-in client's token, instead of the generated token file
    /// (only without serve.clients).
    #[arg(long = "token-env", value_name = "VAR")]
    pub token_env: Option<String>,
}

/// `keyway plugin ...`.
#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Write a new plugin crate: an HTTP key-value example, its manifest, a test.yaml and a README.
    #[command(
        after_help = "Example:\n  keyway plugin new acme-kv && cd acme-kv\n  cargo build --release --target wasm32-wasip2\n\
The crate builds wherever it lies (it has its own [workspace] table) and depends on the SDK of the keyway checkout\n\
this binary was built from, or on --sdk PATH. Its README gives the commands to pack and test it."
    )]
    New(PluginNewArgs),
    /// Embed a manifest in a plugin component, so the one .wasm file is what ships.
    #[command(
        after_help = "Example:\n  keyway plugin pack target/wasm32-wasip2/release/acme_kv.wasm --manifest acme-kv.toml -o dist/acme-kv.wasm\n\
The manifest goes into a custom section named `keyway-manifest` (replacing any it carried), so the file's SHA-256\n\
covers the code and the manifest. keyway reads it from there first, and from the .toml beside the .wasm otherwise."
    )]
    Pack(PluginPackArgs),
    /// Run the conformance suite against a plugin and a live backend.
    #[command(
        after_help = "Example:\n  keyway plugin test target/wasm32-wasip2/release/my_plugin.wasm --config test.yaml\n\
The manifest is the one the .wasm carries (`keyway plugin pack`), or the .toml file beside it. test.yaml holds the\n\
plugin's settings under `settings:`, and optionally `egress:`, `auth:`, `name_prefix:`, `invalid_name:`, `current_label:`,\n\
`previous_label:`, `descriptions:` (`false` for a backend that keeps no descriptions).\n\
It prints a table of the cases; a skipped case names the capability to declare or the option to set to run it.\n\
Exit codes: 0 no case failed; 1 a case failed; 6 the plugin, its manifest or test.yaml is wrong."
    )]
    Test(PluginTestArgs),
    /// Print the grant that lets a third-party plugin reach what its manifest requests, for this exact build.
    #[command(
        after_help = "Example:\n  keyway plugin trust plugins/acme.wasm >> keyway.yaml   # under `plugins: grants:`\n\
A plugin's manifest only requests egress; the grant names the plugin's SHA-256, so another build gets nothing\n\
until it is trusted again. Built-in plugins need no grant."
    )]
    Trust(PluginTrustArgs),
}

/// `keyway plugin trust`.
#[derive(Debug, Args)]
pub struct PluginTrustArgs {
    /// The plugin component; its manifest is the one it carries, or the `.toml` file beside it.
    pub wasm: PathBuf,
}

/// `keyway plugin new`.
#[derive(Debug, Args)]
pub struct PluginNewArgs {
    /// The plugin's name, also its crate's: lower-case letters, digits, '-' and '_', starting with a letter.
    pub name: String,
    /// The folder to create; it must not exist (default: ./NAME).
    #[arg(long, value_name = "PATH")]
    pub dir: Option<PathBuf>,
    /// The SDK to depend on by path: the plugins/sdk folder of a keyway checkout (default: the one this
    /// keyway was built from, when it is still there).
    #[arg(long, value_name = "PATH")]
    pub sdk: Option<PathBuf>,
}

/// `keyway plugin pack`.
#[derive(Debug, Args)]
pub struct PluginPackArgs {
    /// The plugin component, as built for wasm32-wasip2.
    pub wasm: PathBuf,
    /// The manifest to embed (default: the `.toml` file beside the `.wasm`).
    #[arg(long, value_name = "FILE")]
    pub manifest: Option<PathBuf>,
    /// Where to write the packed plugin (default: NAME.wasm in the working directory, NAME being the
    /// manifest's name, which is the file name keyway loads it by).
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    pub output: Option<PathBuf>,
}

/// A secret reference.
#[derive(Debug, Args)]
pub struct RefArgs {
    /// MANAGER/NAME, e.g. local/db/password (the name may contain slashes).
    pub reference: String,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `keyway compliance ...`.
#[derive(Debug, Subcommand)]
pub enum ComplianceCommand {
    /// Check every secret bound to a profile (or to all profiles) against its compliance rules; findings are
    /// listed (never values) and recorded in each secret's error history.
    #[command(after_help = "Examples:\n  keyway compliance report\n  keyway compliance report production-db --json")]
    Report(ReportArgs),
}

/// `keyway bind`.
#[derive(Debug, Args)]
pub struct BindArgs {
    /// MANAGER/NAME: the secret (its manager becomes its source).
    pub reference: String,
    /// The profile (profiles.NAME in the configuration).
    pub profile: String,
}

/// `keyway change-source`.
#[derive(Debug, Args)]
pub struct ChangeSourceArgs {
    /// MANAGER/NAME: the secret at its current source.
    pub reference: String,
    /// The manager to become its source.
    pub new_source: String,
}

/// `keyway sync ...`.
#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// Show every copy's state: synced, pending, failed (with its next attempt), drift, deleted.
    #[command(after_help = "Examples:\n  keyway sync status\n  keyway sync status production-db --json")]
    Status(SyncArgs),
    /// Compare every copy with its source now and repair what differs (drift, failed copies).
    #[command(after_help = "Example:\n  keyway sync run production-db")]
    Run(SyncArgs),
}

/// `keyway sync status|run`.
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// The profile; all when left out.
    pub profile: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `keyway approvals ...`.
#[derive(Debug, Subcommand)]
pub enum ApprovalsCommand {
    /// List requests (pending ones unless --all or --state).
    #[command(after_help = "Examples:\n  keyway approvals list\n  keyway approvals list --all --json")]
    List(ApprovalsListArgs),
    /// Show one request: secret, operation, who asked, what changes, fingerprints, votes.
    #[command(
        after_help = "Examples:\n  keyway approvals show 3f9a0c\n  keyway approvals show 3f9a0c --reveal   # when the policy reveals values to approvers"
    )]
    Show(ApprovalShowArgs),
    /// Approve a request; at quorum the change is applied.
    #[command(
        after_help = "Example:\n  keyway approvals approve 3f9a0c --group admins --comment 'checked with the DBA'"
    )]
    Approve(DecisionArgs),
    /// Reject a request: nothing changes, the proposed value is wiped.
    #[command(after_help = "Example:\n  keyway approvals reject 3f9a0c --group admins --comment 'wrong database'")]
    Reject(DecisionArgs),
}

/// `keyway approvals list`.
#[derive(Debug, Args)]
pub struct ApprovalsListArgs {
    /// Every request, whatever its state.
    #[arg(long, conflicts_with = "state")]
    pub all: bool,
    /// Only requests in this state (pending, approved, applied, rejected, expired).
    #[arg(long)]
    pub state: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `keyway approvals show`.
#[derive(Debug, Args)]
pub struct ApprovalShowArgs {
    /// The request's id.
    pub id: String,
    /// Print the proposed value too (approvers only, when the policy reveals values).
    #[arg(long)]
    pub reveal: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `keyway approvals approve|reject`.
#[derive(Debug, Args)]
pub struct DecisionArgs {
    /// The request's id.
    pub id: String,
    /// Why (kept with the vote).
    #[arg(long)]
    pub comment: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `keyway compliance report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The profile; all when left out.
    pub profile: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `keyway versions`.
#[derive(Debug, Args)]
pub struct VersionsArgs {
    /// MANAGER/NAME, e.g. local/db/password (the name may contain slashes).
    pub reference: String,
    /// keyway's records of the versions (number, fingerprint, origin, who, when) instead of the backend's list.
    #[arg(long)]
    pub history: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `keyway errors`.
#[derive(Debug, Args)]
pub struct ErrorsArgs {
    /// MANAGER or MANAGER/NAME; all managers when left out.
    pub scope: Option<String>,
    /// At most this many, newest first.
    #[arg(long, default_value_t = 50)]
    pub limit: u32,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Output format.
#[derive(Debug, Args)]
pub struct FormatArgs {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `keyway get`.
#[derive(Debug, Args)]
pub struct GetArgs {
    /// MANAGER/NAME, or MANAGER/NAME/KEY for a key of a JSON secret (the full name is tried first, as in
    /// `${secret:MANAGER/NAME/KEY}`).
    pub reference: String,
    /// Read this version id.
    #[arg(long, conflicts_with = "label")]
    pub version: Option<String>,
    /// Read the version carrying this label (e.g. AWSPREVIOUS).
    #[arg(long)]
    pub label: Option<String>,
    /// Print one field of a JSON key/value secret (a basic-auth secret's `password`, say).
    #[arg(long, visible_alias = "field")]
    pub key: Option<String>,
    /// Print the value (base64 when binary) with the full metadata as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Where a value comes from.
#[derive(Debug, Args)]
pub struct ValueArgs {
    /// The value (prefer --stdin or --file for real secrets: arguments show up in process lists).
    pub value: Option<String>,
    /// Read the value from a file.
    #[arg(long, conflicts_with_all = ["value", "stdin"])]
    pub file: Option<PathBuf>,
    /// Read the value from standard input.
    #[arg(long, conflicts_with = "value")]
    pub stdin: bool,
    /// Store the value as binary.
    #[arg(long)]
    pub binary: bool,
    /// A basic-auth secret's username: the value becomes `{"username": USERNAME, "password": …}` with the
    /// password from --password-stdin, --stdin, --file or the argument.
    #[arg(long, conflicts_with = "binary")]
    pub username: Option<String>,
    /// Read the password of a basic-auth secret from standard input (with --username).
    #[arg(long = "password-stdin", requires = "username", conflicts_with_all = ["value", "file", "stdin"])]
    pub password_stdin: bool,
}

/// `keyway put`.
#[derive(Debug, Args)]
pub struct PutArgs {
    /// MANAGER/NAME.
    pub reference: String,
    #[command(flatten)]
    pub value: ValueArgs,
    /// A tag KEY=VALUE; repeat for several.
    #[arg(long = "tag")]
    pub tags: Vec<String>,
    /// A description.
    #[arg(long)]
    pub description: Option<String>,
    /// When the secret expires: RFC 3339 (2027-01-31T00:00:00Z) or a duration from now (90d).
    #[arg(long)]
    pub expires: Option<String>,
    /// The encryption key the backend should use.
    #[arg(long = "kms-key")]
    pub kms_key: Option<String>,
    /// The secret's type (generic, key-value, basic-auth, api-key, jwt, private-key, ...).
    #[arg(long = "type")]
    pub secret_type: Option<String>,
    /// Write a new version when the name exists.
    #[arg(long)]
    pub overwrite: bool,
    /// Recover the secret first when it is deleted but recoverable.
    #[arg(long)]
    pub recover: bool,
    /// Print the metadata as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `keyway update`.
#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// MANAGER/NAME.
    pub reference: String,
    #[command(flatten)]
    pub value: ValueArgs,
    /// Add or replace a tag KEY=VALUE; repeat for several.
    #[arg(long = "tag")]
    pub tags: Vec<String>,
    /// Remove a tag by key; repeat for several.
    #[arg(long = "untag")]
    pub untag: Vec<String>,
    /// A new description.
    #[arg(long)]
    pub description: Option<String>,
    /// A new expiry: RFC 3339 or a duration from now.
    #[arg(long)]
    pub expires: Option<String>,
    /// A new encryption key.
    #[arg(long = "kms-key")]
    pub kms_key: Option<String>,
    /// Enable the secret.
    #[arg(long, conflicts_with = "disable")]
    pub enable: bool,
    /// Disable the secret.
    #[arg(long)]
    pub disable: bool,
    /// Print the metadata as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `keyway delete`.
#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// MANAGER/NAME.
    pub reference: String,
    /// Keep the secret recoverable for this many days (the backend's default otherwise).
    #[arg(long = "recovery-days", conflicts_with = "force")]
    pub recovery_days: Option<u32>,
    /// Delete every version at once, without recovery.
    #[arg(long)]
    pub force: bool,
}

/// `keyway list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// The manager.
    pub manager: String,
    /// Only names starting with this.
    #[arg(long)]
    pub prefix: Option<String>,
    /// Only secrets with tag KEY=VALUE; repeat for several.
    #[arg(long = "tag")]
    pub tags: Vec<String>,
    /// Also list deleted but recoverable secrets.
    #[arg(long = "include-deleted")]
    pub include_deleted: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `keyway resolve`.
#[derive(Debug, Args)]
pub struct ResolveArgs {
    /// A JSON or YAML file with the step's configuration; `-` reads standard input.
    pub file: PathBuf,
    /// Print the resolved values instead of masking them.
    #[arg(long)]
    pub reveal: bool,
    /// Print YAML instead of JSON.
    #[arg(long)]
    pub yaml: bool,
}

/// `keyway exec`.
#[derive(Debug, Args)]
pub struct ExecArgs {
    /// NAME=TEMPLATE, where TEMPLATE may contain placeholders; repeat for several.
    #[arg(long = "env")]
    pub env: Vec<String>,
    /// A file of NAME=TEMPLATE lines (`#` comments, blank lines, `export ` and quotes allowed), as in `.env`.
    #[arg(long = "env-file", value_name = "FILE")]
    pub env_file: Option<PathBuf>,
    /// Pass the command's output through byte for byte, without masking the resolved values.
    #[arg(long = "no-masking")]
    pub no_masking: bool,
    /// The command and its arguments.
    #[arg(last = true, required = true)]
    pub command: Vec<String>,
}

/// `keyway inject`.
#[derive(Debug, Args)]
pub struct InjectArgs {
    /// The template: any text (`.properties`, `.ini`, `.env`, YAML, ...) with placeholders; `-` reads standard input.
    #[arg(short = 'i', long = "in-file", value_name = "TEMPLATE")]
    pub input: PathBuf,
    /// Where to write the result, created or replaced with mode 0600; standard output when omitted.
    #[arg(short = 'o', long = "out-file", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `keyway plugin test`.
#[derive(Debug, Args)]
pub struct PluginTestArgs {
    /// The plugin component; its manifest is the one it carries, or the `.toml` file beside it. The global
    /// `--config` names a YAML file with `settings:` for the plugin (and optional `egress:`, `auth:`,
    /// `name_prefix:`, `invalid_name:`, `current_label:`, `previous_label:`, `descriptions:`).
    pub wasm: PathBuf,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    /// Every command and subcommand, with its full name (`keyway sync status`).
    fn every_command() -> Vec<(String, clap::Command)> {
        fn walk(prefix: &str, command: &clap::Command, out: &mut Vec<(String, clap::Command)>) {
            for sub in command.get_subcommands().filter(|sub| sub.get_name() != "help") {
                let name = format!("{prefix} {}", sub.get_name());
                out.push((name.clone(), sub.clone()));
                walk(&name, sub, out);
            }
        }
        let mut out = Vec::new();
        walk("keyway", &Cli::command(), &mut out);
        out
    }

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_command_has_an_example_in_its_help() {
        let missing: Vec<String> = every_command()
            .into_iter()
            .filter(|(_, command)| {
                let after = command.get_after_help().map(|text| text.to_string()).unwrap_or_default();
                !after.contains("Example") || !after.contains("keyway ")
            })
            .map(|(name, _)| name)
            .collect();
        assert!(missing.is_empty(), "commands without an example: {missing:?}");
    }

    #[test]
    fn help_points_to_documentation_users_have_not_to_source_files() {
        let mut texts = vec![Cli::command().get_after_help().map(|t| t.to_string()).unwrap_or_default()];
        for (_, command) in every_command() {
            texts.extend(command.get_about().map(|t| t.to_string()));
            texts.extend(command.get_after_help().map(|t| t.to_string()));
            for arg in command.get_arguments() {
                texts.extend(arg.get_help().map(|t| t.to_string()));
            }
        }
        for text in texts {
            assert!(!text.contains(".md") && !text.contains("src/"), "a source path in help: {text}");
        }
    }

    #[test]
    fn the_version_names_the_contract_the_runtime_serves() {
        assert!(super::VERSION.contains(keyway::CONTRACT), "{}", super::VERSION);
    }
}
