//! The suite runner, its options and the shared context of a run.

use crate::checks::CaseResult;
use crate::contract::{Case, Part, LEAK_CHECK};
use crate::needs::{unmet_all, Run};
use crate::proxy::Proxy;
use crate::report::{CaseOutcome, CaseReport, Report};
use keyway_runtime::{CallError, Connection, ConnectionConfig, Plugin, Runtime};
use keyway_types::{Capabilities, DeleteMode, SecretValue};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Options that adapt the suite to a backend.
#[derive(Debug, Clone)]
pub struct SuiteOptions {
    /// Prefix of every secret name the suite creates (letters, digits and dashes are safe everywhere).
    /// A prefix in UPPER_SNAKE_CASE (such as `KWCT_`) makes every name UPPER_SNAKE_CASE, for backends
    /// that accept only environment-variable names (Doppler).
    pub name_prefix: String,
    /// A name the backend rejects, expected to give `invalid-argument`.
    pub invalid_name: Option<String>,
    /// The label of the current version (e.g. `AWSCURRENT`), to test reads by label.
    pub current_label: Option<String>,
    /// The label of the previous version (e.g. `AWSPREVIOUS`).
    pub previous_label: Option<String>,
    /// Whether the backend keeps descriptions; when `false`, `description-and-tags` checks tags only and
    /// notes that the description was not checked.
    pub descriptions: bool,
    /// Whether to force-delete what the suite created.
    pub cleanup: bool,
}

impl Default for SuiteOptions {
    fn default() -> Self {
        Self {
            name_prefix: "kwct-".into(),
            invalid_name: None,
            current_label: None,
            previous_label: None,
            descriptions: true,
            cleanup: true,
        }
    }
}

/// Options of the misbehaving-proxy cases ([`run_behind_proxy`]).
#[derive(Debug, Clone, Default)]
pub struct ProxyOptions {
    /// Why the backend's answer to a read does not say which secret it is about (Vault's KV reads carry no
    /// path), when it does not: a plugin cannot then tell another secret's answer from its own, and the
    /// wrong-secret case is skipped with this reason.
    pub unnamed_answers: Option<String>,
}

/// The state shared by the cases of one run.
pub(crate) struct Ctx<'a> {
    pub conn: &'a Connection,
    pub caps: Capabilities,
    pub options: &'a SuiteOptions,
    /// The proxy in front of the backend, for the misbehaving-proxy cases.
    pub proxy: Option<(&'a Proxy, &'a ProxyOptions)>,
    /// The two secrets the misbehaving-proxy cases read, made once.
    pub pair: tokio::sync::OnceCell<Result<crate::misbehaving::Pair, String>>,
    run_id: String,
    values: Mutex<Vec<String>>,
    observed: Mutex<Vec<String>>,
    created: Mutex<Vec<String>>,
    /// The parts of the running case that did not run, and why.
    notes: Mutex<Vec<String>>,
}

impl<'a> Ctx<'a> {
    fn new(conn: &'a Connection, options: &'a SuiteOptions, proxy: Option<(&'a Proxy, &'a ProxyOptions)>) -> Self {
        Ctx {
            conn,
            caps: conn.capabilities(),
            options,
            proxy,
            pair: tokio::sync::OnceCell::new(),
            run_id: random_hex(4),
            values: Mutex::new(Vec::new()),
            observed: Mutex::new(Vec::new()),
            created: Mutex::new(Vec::new()),
            notes: Mutex::new(Vec::new()),
        }
    }

    /// A fresh secret name for `case`, remembered for cleanup.
    pub fn name(&self, case: &str) -> String {
        let name = self.styled(&format!("{}{}-{case}", self.options.name_prefix, self.run_id));
        if let Ok(mut created) = self.created.lock() {
            created.push(name.clone());
        }
        name
    }

    /// `name` in the style of the name prefix: UPPER_SNAKE_CASE when the prefix is.
    pub fn styled(&self, name: &str) -> String {
        let prefix = &self.options.name_prefix;
        let upper_snake =
            !prefix.is_empty() && prefix.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        if upper_snake {
            name.to_ascii_uppercase().replace('-', "_")
        } else {
            name.to_owned()
        }
    }

    /// The run's unique id.
    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// A fresh random text value, remembered for the leak check.
    pub fn text_value(&self) -> SecretValue {
        let value = format!("kw-value-{}", random_hex(12));
        if let Ok(mut values) = self.values.lock() {
            values.push(value.clone());
        }
        SecretValue::text(value)
    }

    /// A fresh binary value with bytes that are not valid UTF-8.
    pub fn binary_value(&self) -> SecretValue {
        let marker = random_hex(12);
        if let Ok(mut values) = self.values.lock() {
            values.push(marker.clone());
        }
        let mut bytes = vec![0u8, 0xff, 0xfe, 0x80];
        bytes.extend_from_slice(marker.as_bytes());
        SecretValue::binary(bytes)
    }

    /// Records an operation's outcome text for the leak check, and passes the result on.
    pub fn observe<T: std::fmt::Debug>(&self, result: Result<T, CallError>) -> Result<T, CallError> {
        let text = match &result {
            Ok(value) => format!("{value:?}"),
            Err(err) => format!("{err} {err:?}"),
        };
        if let Ok(mut observed) = self.observed.lock() {
            observed.push(text);
        }
        result
    }

    /// What this run offers the cases' needs.
    pub fn conditions(&self) -> Run<'_> {
        Run { caps: self.caps, options: self.options, proxy: self.proxy.map(|(_, options)| options) }
    }

    /// Whether `part` of the running case runs; when it does not, the case's report notes why.
    pub fn part(&self, part: &Part) -> bool {
        let Some(unmet) = part.need.unmet(&self.conditions()) else { return true };
        if let Ok(mut notes) = self.notes.lock() {
            notes.push(format!("not checked: {} ({}; to check it: {})", part.checks, unmet.reason, unmet.hint));
        }
        false
    }

    fn take_notes(&self) -> Option<String> {
        let notes = self.notes.lock().map(|mut notes| std::mem::take(&mut *notes)).unwrap_or_default();
        (!notes.is_empty()).then(|| notes.join("; "))
    }

    fn leaks(&self) -> Vec<String> {
        let values = self.values.lock().map(|v| v.clone()).unwrap_or_default();
        let observed = self.observed.lock().map(|o| o.clone()).unwrap_or_default();
        observed.iter().filter(|text| values.iter().any(|value| text.contains(value.as_str()))).cloned().collect()
    }
}

pub(crate) type CaseFn = for<'a> fn(&'a Ctx<'a>) -> Pin<Box<dyn Future<Output = CaseResult> + Send + 'a>>;

/// Runs every case against `conn` and reports each outcome.
pub async fn run(conn: &Connection, options: &SuiteOptions) -> Report {
    run_cases(&Ctx::new(conn, options, None), crate::contract::suite_cases()).await
}

/// Runs the misbehaving-proxy cases: `plugin` connects as a manager with `config`, whose backend URL setting (the
/// setting its manifest marks `egress`) is pointed at a loopback [`Proxy`] in front of that URL; the proxy then
/// answers reads with another secret's answer, a malformed success, an answer cut short, a reset connection and
/// throttling with `Retry-After`, and each case checks what the plugin makes of it. The plugin runs one
/// instance, so that its sessions and tokens stay warm between the reads.
pub async fn run_behind_proxy(
    runtime: &Runtime,
    plugin: &Arc<Plugin>,
    mut config: ConnectionConfig,
    options: &SuiteOptions,
    proxy_options: &ProxyOptions,
) -> Report {
    let failed = |name, why: String| Report { cases: vec![CaseReport::new(name, CaseOutcome::Failed(why))] };
    let manifest = plugin.manifest();
    let url_setting = manifest.settings.iter().filter(|(_, spec)| spec.egress).find_map(|(name, _)| {
        config.settings.get(name).and_then(|value| value.as_str()).map(|url| (name.clone(), url.to_owned()))
    });
    let Some((setting, upstream)) = url_setting else {
        let why =
            "the settings give no backend URL (a setting the manifest marks `egress`) to put the proxy in front of";
        let cases = crate::contract::proxy_cases()
            .into_iter()
            .map(|case| CaseReport {
                hint: Some("give the backend's URL in the setting the manifest marks `egress`".into()),
                ..CaseReport::new(case.spec.id, CaseOutcome::Skipped(why.into()))
            })
            .collect();
        return Report { cases };
    };
    let proxy = match Proxy::start(&upstream, &config.ca_certificates).await {
        Ok(proxy) => proxy,
        Err(why) => return failed("proxy-start", why),
    };
    config.settings[setting.as_str()] = proxy.url().into();
    config.limits.max_instances = 1;
    let conn = match runtime.connect(plugin, "conformance", config).await {
        Ok(conn) => conn,
        Err(err) => return failed("proxy-connect", format!("connecting through the proxy failed: {err}")),
    };
    run_cases(&Ctx::new(&conn, options, Some((&proxy, proxy_options))), crate::contract::proxy_cases()).await
}

/// Runs `cases`, then the leak check over everything they observed, then cleans up what they created.
async fn run_cases(ctx: &Ctx<'_>, cases: Vec<Case>) -> Report {
    let mut report = Report::default();
    for case in cases {
        let started = Instant::now();
        let mut hint = None;
        let outcome = match unmet_all(case.spec.needs, &ctx.conditions()) {
            Some(unmet) => {
                hint = Some(unmet.hint);
                CaseOutcome::Skipped(unmet.reason)
            }
            None => match (case.run)(ctx).await {
                Ok(()) => CaseOutcome::Passed,
                Err(why) => CaseOutcome::Failed(why),
            },
        };
        let note = ctx.take_notes();
        report.cases.push(CaseReport {
            note,
            hint,
            millis: started.elapsed().as_millis(),
            ..CaseReport::new(case.spec.id, outcome)
        });
    }
    let leaks = ctx.leaks();
    let outcome = if leaks.is_empty() {
        CaseOutcome::Passed
    } else {
        CaseOutcome::Failed(format!("{} results or errors contained a secret value", leaks.len()))
    };
    report.cases.push(CaseReport::new(LEAK_CHECK.id, outcome));
    if ctx.options.cleanup && ctx.caps.delete {
        let created = ctx.created.lock().map(|c| c.clone()).unwrap_or_default();
        for name in created {
            let _ = ctx.conn.delete(&name, DeleteMode::Force).await;
        }
    }
    report
}

pub(crate) fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    if getrandom::fill(&mut buf).is_err() {
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        buf = nanos.to_le_bytes()[..bytes.min(16)].to_vec();
    }
    buf.iter().map(|b| format!("{b:02x}")).collect()
}
