use super::*;
use crate::http::RequestBuilder;
use crate::token::TOKEN_MARGIN_MS;
use std::cell::{Cell, RefCell};
use std::time::Duration;

/// A login that counts what it is asked and issues `tok1`, `tok2`, … living `lifetime`.
#[derive(Default)]
struct Counted {
    lifetime: Option<Duration>,
    logins: Cell<u32>,
    renewals: Cell<u32>,
    renewable: bool,
    failing_renewal: bool,
    refuses_login: bool,
    static_token: bool,
    signed_out: std::rc::Rc<RefCell<Vec<String>>>,
}

impl Login for Counted {
    type Token = String;
    const BACKEND: &'static str = "Acme Vault";

    fn log_in(&self, _: &HttpClient) -> Result<Issued<String>, ProviderError> {
        if self.refuses_login {
            return Err(ProviderError::AccessDenied("login of 'app' with hunter2-pass refused".into()));
        }
        self.logins.set(self.logins.get() + 1);
        Ok(Issued { token: format!("tok{}", self.logins.get()), lifetime: self.lifetime })
    }

    fn authorize<'a>(&self, request: RequestBuilder<'a>, token: &String) -> RequestBuilder<'a> {
        request.bearer(token)
    }

    fn secrets<'a>(&'a self, token: Option<&'a String>) -> Vec<&'a str> {
        [Some("hunter2-pass"), token.map(String::as_str)].into_iter().flatten().collect()
    }

    fn renew(&self, _: &HttpClient, token: &String) -> Option<Result<Issued<String>, ProviderError>> {
        if !self.renewable {
            return None;
        }
        self.renewals.set(self.renewals.get() + 1);
        if self.failing_renewal {
            return Some(Err(ProviderError::Unavailable(format!("renewing {token} failed"))));
        }
        Some(Ok(Issued { token: format!("{token}+r"), lifetime: self.lifetime }))
    }

    fn can_log_in_again(&self) -> bool {
        !self.static_token
    }

    fn log_out(&self, _: &HttpClient, token: &String) {
        self.signed_out.borrow_mut().push(token.clone());
    }
}

fn session(login: Counted) -> Session<Counted> {
    Session::new(HttpClient::new("https://vault.acme.example"), login)
}

fn answer(status: u16) -> Result<Response, ProviderError> {
    Ok(Response { status, headers: Vec::new(), body: Vec::new() })
}

/// Sends through `session`, answering `refuse` to the tokens it lists and 200 to the others; returns the
/// status and the tokens sent.
fn send(session: &Session<Counted>, refused: &[&str]) -> Result<(u16, Vec<String>), ProviderError> {
    let mut sent = Vec::new();
    let response = session.exchange(|token| {
        sent.push(token.clone());
        answer(if refused.contains(&token.as_str()) { 401 } else { 200 })
    })?;
    Ok((response.status, sent))
}

#[test]
fn one_login_serves_many_calls() -> Result<(), ProviderError> {
    let session = session(Counted::default());
    for _ in 0..3 {
        assert_eq!(send(&session, &[])?, (200, vec!["tok1".to_owned()]));
    }
    assert_eq!(session.login().logins.get(), 1);
    Ok(())
}

#[test]
fn a_refused_token_is_replaced_once_and_the_call_sent_again() -> Result<(), ProviderError> {
    let session = session(Counted::default());
    send(&session, &[])?;
    assert_eq!(send(&session, &["tok1"])?, (200, vec!["tok1".to_owned(), "tok2".to_owned()]));
    // Refused again after the new login: the answer comes back, no third login.
    assert_eq!(send(&session, &["tok2", "tok3"])?, (401, vec!["tok2".to_owned(), "tok3".to_owned()]));
    assert_eq!(session.login().logins.get(), 3);
    Ok(())
}

#[test]
fn a_token_refused_right_after_its_login_is_not_replaced() -> Result<(), ProviderError> {
    let session = session(Counted::default());
    assert_eq!(send(&session, &["tok1"])?, (401, vec!["tok1".to_owned()]));
    assert_eq!(session.login().logins.get(), 1);
    let static_token = self::session(Counted { static_token: true, ..Counted::default() });
    send(&static_token, &[])?;
    assert_eq!(send(&static_token, &["tok1"])?, (401, vec!["tok1".to_owned()]), "a configured token is not replaced");
    Ok(())
}

#[test]
fn a_token_is_renewed_when_due_and_replaced_when_renewal_fails() -> Result<(), ProviderError> {
    // A token that lives no time at all is due at once.
    let expiring = || Counted { lifetime: Some(Duration::ZERO), renewable: true, ..Counted::default() };
    let session = session(expiring());
    send(&session, &[])?;
    assert_eq!(send(&session, &[])?, (200, vec!["tok1+r".to_owned()]));
    assert_eq!((session.login().logins.get(), session.login().renewals.get()), (1, 1));

    let session = self::session(Counted { failing_renewal: true, ..expiring() });
    send(&session, &[])?;
    assert_eq!(send(&session, &[])?, (200, vec!["tok2".to_owned()]), "a failed renewal is followed by a login");

    let session = self::session(Counted { failing_renewal: true, static_token: true, ..expiring() });
    send(&session, &[])?;
    assert_eq!(send(&session, &[])?, (200, vec!["tok1".to_owned()]), "a configured token is kept until refused");
    assert_eq!(send(&session, &[])?, (200, vec!["tok1".to_owned()]));
    assert_eq!((session.login().logins.get(), session.login().renewals.get()), (1, 1));
    Ok(())
}

#[test]
fn tokens_are_kept_until_shortly_before_they_expire() {
    assert_eq!(renewal_time(0, Duration::from_secs(480)), 420_000, "eight minutes: renewed seven minutes in");
    assert_eq!(renewal_time(0, Duration::from_secs(3_600)), 3_600_000 - TOKEN_MARGIN_MS, "a minute early at most");
    assert_eq!(renewal_time(0, Duration::from_secs(2)), 1_000, "a second early at least");
    assert_eq!(renewal_time(5, Duration::from_millis(500)), 5, "a token shorter than the margin is due at once");
    let session = session(Counted { lifetime: Some(Duration::from_secs(2)), ..Counted::default() });
    let kept = session.current(1_000).map(|(token, fresh)| (token.as_str().to_owned(), fresh));
    assert_eq!(kept, Ok(("tok1".to_owned(), true)));
    assert!(session.current(1_999).is_ok_and(|(token, fresh)| token.as_str() == "tok1" && !fresh));
    assert!(session.current(2_000).is_ok_and(|(token, fresh)| token.as_str() == "tok2" && fresh));
}

#[test]
fn errors_and_debug_never_show_secrets() -> Result<(), ProviderError> {
    let refusing = session(Counted { refuses_login: true, ..Counted::default() });
    let error = send(&refusing, &[]).err().map(|e| e.to_string()).unwrap_or_default();
    assert_eq!(error, "access denied: login of 'app' with <redacted> refused");
    let session = session(Counted::default());
    send(&session, &[])?;
    let echoed = session.scrub(ProviderError::InvalidArgument("bad header Bearer tok1 for hunter2-pass".into()));
    assert_eq!(echoed.message(), "bad header Bearer <redacted> for <redacted>");
    assert!(!format!("{session:?}").contains("tok1"), "{session:?}");
    Ok(())
}

#[test]
fn dropping_a_session_ends_its_login() -> Result<(), ProviderError> {
    let signed_out = std::rc::Rc::new(RefCell::new(Vec::new()));
    let session = session(Counted { signed_out: signed_out.clone(), ..Counted::default() });
    send(&session, &[])?;
    drop(session);
    assert_eq!(signed_out.borrow().as_slice(), ["tok1".to_owned()]);
    drop(self::session(Counted { signed_out: signed_out.clone(), ..Counted::default() }));
    assert_eq!(signed_out.borrow().len(), 1, "no login, nothing to end");
    Ok(())
}
