//! Command dispatch: each command group in its own module.

mod exec;
mod info;
mod plugin_test;
mod read;
mod write;

use crate::cli::{Cli, Command, PluginCommand};
use anyhow::Result;
use keyway::{Identity, Keyway};

/// Runs the parsed command line; returns the exit code.
pub async fn run(cli: Cli) -> Result<i32> {
    let identity =
        Identity { namespace: cli.namespace.clone(), groups: cli.groups.clone(), flow: cli.flow.clone(), step: None };
    if let Command::Plugin(PluginCommand::Test(args)) = &cli.command {
        return plugin_test::run(args, cli.config.as_deref()).await;
    }
    let keyway = Keyway::load(cli.config.as_deref()).await?;
    let ctx = Ctx { keyway, identity };
    let code = match cli.command {
        Command::Get(args) => read::get(&ctx, args).await?,
        Command::Describe(args) => read::describe(&ctx, args).await?,
        Command::List(args) => read::list(&ctx, args).await?,
        Command::Versions(args) => read::versions(&ctx, args).await?,
        Command::Put(args) => write::put(&ctx, args).await?,
        Command::Update(args) => write::update(&ctx, args).await?,
        Command::Delete(args) => write::delete(&ctx, args).await?,
        Command::Restore(args) => write::restore(&ctx, args).await?,
        Command::Managers(args) => info::managers(&ctx, args).await?,
        Command::Plugins(args) => info::plugins(&ctx, args).await?,
        Command::Resolve(args) => exec::resolve(&ctx, args).await?,
        Command::Exec(args) => exec::exec(&ctx, args).await?,
        Command::Plugin(PluginCommand::Test(_)) => unreachable_plugin_test(),
    };
    ctx.keyway.flush();
    Ok(code)
}

fn unreachable_plugin_test() -> i32 {
    // `plugin test` returned above, before keyway's configuration was loaded.
    keyway::error::exit::INVALID
}

/// What every command gets.
pub struct Ctx {
    /// keyway, configured.
    pub keyway: Keyway,
    /// The caller.
    pub identity: Identity,
}
