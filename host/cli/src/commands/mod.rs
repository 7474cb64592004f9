//! Command dispatch: each command group in its own module.

mod approvals;
mod cache;
mod check;
mod docs;
pub(crate) mod exec;
pub(crate) mod info;
mod plugin_new;
mod plugin_pack;
mod plugin_test;
mod plugin_trust;
mod profiles;
mod read;
mod store;
mod write;

use crate::cli::{Cli, Command, PluginCommand};
use anyhow::Result;
use keyway::{Identity, Keyway};
use std::fmt;

/// Runs the parsed command line; returns the exit code.
pub async fn run(cli: Cli) -> Result<i32> {
    let identity = Identity {
        namespace: cli.namespace.clone(),
        groups: cli.groups.clone(),
        flow: cli.flow.clone(),
        ..Identity::default()
    };
    match &cli.command {
        Command::Plugin(PluginCommand::Test(args)) => return plugin_test::run(args, cli.config.as_deref()).await,
        Command::Plugin(PluginCommand::Trust(args)) => return plugin_trust::run(args),
        Command::Plugin(PluginCommand::New(args)) => return plugin_new::run(args),
        Command::Plugin(PluginCommand::Pack(args)) => return plugin_pack::run(args),
        Command::Completions(args) => return docs::completions(args),
        Command::Man(args) => return docs::man(args),
        Command::Cache(command) => return cache::run(command, &identity, cli.config.as_deref()).await,
        Command::Serve(args) => return crate::serve::run(Keyway::load(cli.config.as_deref()).await?, args).await,
        _ => {}
    }
    let keyway = Keyway::load(cli.config.as_deref()).await?;
    let ctx = Ctx { keyway, identity };
    let result: Result<i32> = async {
        Ok(match cli.command {
            Command::Get(args) => read::get(&ctx, args).await?,
            Command::Describe(args) => read::describe(&ctx, args).await?,
            Command::List(args) => read::list(&ctx, args).await?,
            Command::Versions(args) => read::versions(&ctx, args).await?,
            Command::Errors(args) => read::errors(&ctx, args).await?,
            Command::Renew(args) => write::renew(&ctx, args).await?,
            Command::Compliance(crate::cli::ComplianceCommand::Report(args)) => read::compliance(&ctx, args).await?,
            Command::Bind(args) => profiles::bind(&ctx, args).await?,
            Command::Unbind(args) => profiles::unbind(&ctx, args).await?,
            Command::ChangeSource(args) => profiles::change_source(&ctx, args).await?,
            Command::Sync(command) => profiles::sync(&ctx, command).await?,
            Command::Approvals(command) => approvals::run(&ctx, command).await?,
            Command::Put(args) => write::put(&ctx, args).await?,
            Command::Update(args) => write::update(&ctx, args).await?,
            Command::Delete(args) => write::delete(&ctx, args).await?,
            Command::Restore(args) => write::restore(&ctx, args).await?,
            Command::Managers(args) => info::managers(&ctx, args).await?,
            Command::Plugins(args) => info::plugins(&ctx, args).await?,
            Command::Check(args) => check::run(&ctx, args).await?,
            Command::Resolve(args) => exec::resolve(&ctx, args).await?,
            Command::Exec(args) => exec::exec(&ctx, args).await?,
            Command::Inject(args) => exec::inject(&ctx, args).await?,
            Command::Store(command) => store::run(&ctx, command).await?,
            Command::Plugin(_) | Command::Cache(_) | Command::Serve(_) | Command::Completions(_) | Command::Man(_) => {
                handled_above()
            }
        })
    }
    .await;
    // Records written in the background (errors, versions read) are kept even when the command failed.
    ctx.keyway.settle().await;
    if result.is_ok() {
        ctx.keyway.flush();
    }
    result
}

fn handled_above() -> i32 {
    // `plugin`, `cache`, `serve`, `completions` and `man` returned above.
    keyway::error::exit::INVALID
}

/// A command's failure with its own exit code (for errors that are not keyway's, such as the service's
/// answers to `keyway cache`).
#[derive(Debug)]
pub struct Failure {
    /// The exit code.
    pub code: i32,
    message: String,
}

impl Failure {
    /// A failure with `code` and a one-line `message`.
    pub fn new(code: i32, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// What every command gets.
pub struct Ctx {
    /// keyway, configured.
    pub keyway: Keyway,
    /// The caller.
    pub identity: Identity,
}
