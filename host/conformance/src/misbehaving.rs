//! The misbehaving-proxy cases: what a plugin makes of the wrong answers networks, proxies and caches give.
//! Each case reads one secret through the [`Proxy`](crate::proxy::Proxy) once it has been read correctly (so
//! sessions and tokens are warm), with the proxy switched to one misbehaviour for that read:
//!
//! | the proxy | the read must |
//! | --- | --- |
//! | answers with another secret's true answer | fail, not as not-found, and never serve the other value |
//! | answers a success with a body that does not parse | fail, not as not-found |
//! | cuts the answer short once | succeed on a retry, or fail as retryable (unavailable, throttled) |
//! | resets the connection twice | succeed (retried) |
//! | answers 429 with `Retry-After: 1` once | succeed, after waiting about that second |

use crate::checks::{ensure, same_value, step, CaseResult};
use crate::proxy::Mode;
use crate::suite::Ctx;
use keyway_runtime::CallError;
use keyway_types::{ErrorKind, Secret, SecretValue, VersionSelector, WriteOptions};
use std::time::{Duration, Instant};

/// Resets before the proxy lets a request through: a plugin retries a reset connection at least this often.
const RESETS: u32 = 2;
/// The `Retry-After` the throttling answer asks for.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// The two secrets the cases read: one asked for, one whose answer is handed back instead.
pub(crate) struct Pair {
    asked: String,
    asked_value: SecretValue,
    other: String,
    other_value: SecretValue,
}

/// The pair, created (through the proxy, forwarding) by the first case that needs it.
async fn pair<'c>(c: &'c Ctx<'_>) -> Result<&'c Pair, String> {
    let made = c
        .pair
        .get_or_init(|| async {
            let (asked, other) = (c.name("proxy-asked"), c.name("proxy-answered"));
            let (asked_value, other_value) = (c.text_value(), c.text_value());
            for (name, value) in [(&asked, &asked_value), (&other, &other_value)] {
                step("create", c.observe(c.conn.create(name, value, &WriteOptions::default()).await))?;
            }
            Ok(Pair { asked, asked_value, other, other_value })
        })
        .await;
    made.as_ref().map_err(Clone::clone)
}

/// Reads the asked secret through the proxy: once forwarded (it must read right), then once with the proxy in
/// `mode`. Returns the second read's result and how long it took.
async fn misread<'c>(c: &'c Ctx<'_>, mode: Mode) -> Result<(&'c Pair, Result<Secret, CallError>, Duration), String> {
    let pair = pair(c).await?;
    let Some((proxy, _)) = c.proxy else { return Err("no proxy".into()) };
    proxy.set(Mode::Forward);
    let forwarded =
        step("get through the forwarding proxy", c.observe(c.conn.get(&pair.asked, &VersionSelector::Latest).await))?;
    same_value("get through the forwarding proxy", &forwarded.value, &pair.asked_value)?;
    proxy.set(mode);
    let started = Instant::now();
    let result = c.observe(c.conn.get(&pair.asked, &VersionSelector::Latest).await);
    let took = started.elapsed();
    proxy.set(Mode::Forward);
    Ok((pair, result, took))
}

/// A value served must be the asked secret's own.
fn own_value(what: &str, pair: &Pair, secret: &Secret) -> CaseResult {
    ensure(secret.value != pair.other_value, || format!("{what}: the other secret's value was served"))?;
    same_value(what, &secret.value, &pair.asked_value)
}

/// A failure that says something is wrong with the answer: any error but not-found.
fn refused(what: &str, pair: &Pair, result: Result<Secret, CallError>) -> CaseResult {
    match result {
        Ok(secret) => own_value(what, pair, &secret),
        Err(err) if err.kind() == ErrorKind::NotFound => {
            Err(format!("{what}: failed as not-found ({err}); a wrong answer is not a missing secret"))
        }
        Err(_) => Ok(()),
    }
}

pub(crate) async fn another_secrets_answer(c: &Ctx<'_>) -> CaseResult {
    let mode = match pair(c).await {
        Ok(pair) => Mode::AnotherSecret { asked: pair.asked.clone(), answered: pair.other.clone() },
        Err(why) => return Err(why),
    };
    let (pair, result, _) = misread(c, mode).await?;
    refused("get answered with another secret's answer", pair, result)
}

pub(crate) async fn malformed_success(c: &Ctx<'_>) -> CaseResult {
    let (pair, result, _) = misread(c, Mode::Malformed).await?;
    refused("get answered with a malformed success", pair, result)
}

pub(crate) async fn answer_cut_short(c: &Ctx<'_>) -> CaseResult {
    let (pair, result, _) = misread(c, Mode::CutShort { times: 1 }).await?;
    let what = "get answered once with an answer cut short";
    match result {
        Ok(secret) => own_value(what, pair, &secret),
        Err(err) if matches!(err.kind(), ErrorKind::Unavailable | ErrorKind::Throttled) => Ok(()),
        Err(err) => Err(format!("{what}: failed with {:?} ({err}), expected success or a retryable error", err.kind())),
    }
}

pub(crate) async fn connection_reset(c: &Ctx<'_>) -> CaseResult {
    let (pair, result, _) = misread(c, Mode::Reset { times: RESETS }).await?;
    let what = format!("get whose connection was reset {RESETS} times");
    own_value(&what, pair, &step(&what, result)?)
}

pub(crate) async fn throttled(c: &Ctx<'_>) -> CaseResult {
    let mode = Mode::Throttle { times: 1, retry_after_secs: RETRY_AFTER.as_secs() };
    let (pair, result, took) = misread(c, mode).await?;
    let what = "get answered once with 429 and Retry-After: 1";
    own_value(what, pair, &step(what, result)?)?;
    // The wait asked for, less a margin for clocks that round.
    ensure(took >= RETRY_AFTER.mul_f64(0.9), || {
        format!("{what}: succeeded after {} ms, without waiting for Retry-After", took.as_millis())
    })
}
