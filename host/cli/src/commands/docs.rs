//! `completions` and `man`: generated from the same clap definition as the command line itself, so they
//! never fall behind it.

use crate::cli::{Cli, CompletionsArgs, ManArgs};
use anyhow::{Context, Result};
use clap::CommandFactory;
use keyway::error::exit;
use std::io::Write;

/// `keyway completions SHELL`: the completion script on standard output.
pub fn completions(args: &CompletionsArgs) -> Result<i32> {
    let mut command = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut command, "keyway", &mut out);
    std::io::stdout().write_all(&out)?;
    Ok(exit::OK)
}

/// `keyway man [--dir FOLDER]`: the main page on standard output, or every command's page in a folder.
pub fn man(args: &ManArgs) -> Result<i32> {
    let command = Cli::command();
    match &args.dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create the folder {}", dir.display()))?;
            clap_mangen::generate_to(command, dir)
                .with_context(|| format!("cannot write the manual pages to {}", dir.display()))?;
        }
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(command).render(&mut page)?;
            std::io::stdout().write_all(&page)?;
        }
    }
    Ok(exit::OK)
}
