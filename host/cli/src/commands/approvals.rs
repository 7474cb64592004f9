//! `approvals list|show|approve|reject`.

use super::Ctx;
use crate::cli::ApprovalsCommand;
use crate::output;
use anyhow::Result;
use keyway::error::exit;
use keyway::{ApprovalOutcome, ApprovalView};
use std::io::Write;

pub async fn run(ctx: &Ctx, command: ApprovalsCommand) -> Result<i32> {
    match command {
        ApprovalsCommand::List(args) => {
            let state = match (&args.state, args.all) {
                (Some(state), _) => Some(state.as_str()),
                (None, true) => None,
                (None, false) => Some("pending"),
            };
            let views = ctx.keyway.approvals(&ctx.identity, state).await?;
            if args.json {
                output::json(&serde_json::to_value(&views).unwrap_or_default());
            } else {
                let rows: Vec<Vec<String>> = views
                    .iter()
                    .map(|view| {
                        let request = &view.request;
                        vec![
                            request.id.clone(),
                            format!("{}/{}", request.manager, request.name),
                            request.operation.clone(),
                            request.state.clone(),
                            request.requester.clone(),
                            format!("{}/{}", approvals(view), view.quorum),
                            output::time_ms(request.expires_at),
                        ]
                    })
                    .collect();
                output::table(&["REQUEST", "SECRET", "OPERATION", "STATE", "REQUESTER", "APPROVALS", "EXPIRES"], &rows);
            }
            Ok(exit::OK)
        }
        ApprovalsCommand::Show(args) => {
            let (view, value) = ctx.keyway.approval(&ctx.identity, &args.id, args.reveal).await?;
            if args.json {
                let mut json = serde_json::to_value(&view).unwrap_or_default();
                if let (Some(value), Some(object)) = (&value, json.as_object_mut()) {
                    object.insert("value".into(), value.0.to_text_or_base64().as_str().into());
                }
                output::json(&json);
            } else {
                show(&view);
                if let Some(value) = value {
                    let mut out = std::io::stdout();
                    out.write_all(b"proposed value: ")?;
                    out.write_all(value.0.expose_bytes())?;
                    out.write_all(b"\n")?;
                }
            }
            Ok(exit::OK)
        }
        ApprovalsCommand::Approve(args) => {
            let outcome = ctx.keyway.approve(&ctx.identity, &args.id, args.comment.as_deref()).await?;
            if args.json {
                output::json(&serde_json::to_value(&outcome).unwrap_or_default());
            } else {
                match outcome {
                    ApprovalOutcome::Waiting { approvals, quorum } => {
                        println!("approved; request {} has {approvals} of {quorum} approvals", args.id);
                    }
                    ApprovalOutcome::Applied => {
                        println!("approved; request {} reached its quorum and was applied", args.id)
                    }
                    _ => println!("approved; request {} reached its quorum and is applied by another call", args.id),
                }
            }
            Ok(exit::OK)
        }
        ApprovalsCommand::Reject(args) => {
            let request = ctx.keyway.reject(&ctx.identity, &args.id, args.comment.as_deref()).await?;
            if args.json {
                output::json(&serde_json::to_value(&request).unwrap_or_default());
            } else {
                println!("rejected request {}: nothing changed on {}/{}", request.id, request.manager, request.name);
            }
            Ok(exit::OK)
        }
    }
}

fn approvals(view: &ApprovalView) -> usize {
    view.request.votes.iter().filter(|vote| vote.decision == "approve").count()
}

fn show(view: &ApprovalView) {
    let request = &view.request;
    let line = |label: &str, value: String| println!("{label:<20}{value}");
    line("request:", request.id.clone());
    line("secret:", format!("{}/{}", request.manager, request.name));
    line("profile:", request.profile.clone());
    line("operation:", request.operation.clone());
    line("state:", request.state.clone());
    line("requested by:", format!("{} ({})", request.requester, keyway::actor_text(&view.change.identity)));
    line("requested at:", output::time_ms(request.created_at));
    line("expires:", output::time_ms(request.expires_at));
    line("type:", view.secret_type.clone().unwrap_or_else(|| "-".into()));
    if let Some(fingerprint) = &request.fingerprint {
        line("new fingerprint:", fingerprint.clone());
    }
    line("current fingerprint:", view.current_fingerprint.clone().unwrap_or_else(|| "-".into()));
    if let Some(options) = &view.change.options {
        if !options.tags.is_empty() {
            line("tags:", options.tags.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", "));
        }
        if let Some(description) = &options.description {
            line("description:", description.clone());
        }
        if let Some(expires) = options.expires_at {
            line("secret expires:", output::time(Some(expires)));
        }
    }
    if let Some(update) = &view.change.update {
        let mut changes = Vec::new();
        if update.value {
            changes.push("a new value".to_owned());
        }
        if let Some(description) = &update.description {
            changes.push(format!("description '{description}'"));
        }
        if let Some(expires) = update.expires_at {
            changes.push(format!("expiry {}", output::time(Some(expires))));
        }
        if let Some(enabled) = update.enabled {
            changes.push(if enabled { "enable".into() } else { "disable".into() });
        }
        for (key, value) in &update.set_tags {
            changes.push(format!("tag {key}={value}"));
        }
        for key in &update.remove_tags {
            changes.push(format!("untag {key}"));
        }
        line("changes:", changes.join(", "));
    }
    if let Some(mode) = &view.change.mode {
        line("delete:", format!("{mode:?}"));
    }
    if let Some(source) = &view.change.new_source {
        line("new source:", source.clone());
    }
    line("approvals:", format!("{} of {} from {}", approvals(view), view.quorum, view.groups.join(", ")));
    for vote in &request.votes {
        line(
            "  vote:",
            format!(
                "{} {} at {}{}",
                vote.approver,
                vote.decision,
                output::time_ms(vote.at),
                vote.comment.as_ref().map(|c| format!(": {c}")).unwrap_or_default()
            ),
        );
    }
    if let Some(note) = &request.note {
        line("note:", note.clone());
    }
}
