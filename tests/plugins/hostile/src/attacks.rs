//! The attacks, one function each. Every one either returns what it obtained
//! (which a sound sandbox never lets it obtain), an error describing how the
//! sandbox refused it, or never returns at all (loops, traps, aborts).

use keyway_plugin_sdk::host::{self, Level};
use keyway_plugin_sdk::prelude::*;
use std::time::Duration;

/// What `get` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attack {
    /// Reads the file at the given path.
    ReadFile,
    /// Writes a file at the given path.
    WriteFile,
    /// Lists the directory at the given path.
    ListDir,
    /// Reads an environment variable (`*`: all of them).
    ReadEnv,
    /// Opens a TCP connection to the given `host:port`.
    TcpConnect,
    /// Sends a UDP datagram to the given `host:port`.
    UdpSend,
    /// Sends an HTTP GET to the given URL.
    Http,
    /// Spins forever.
    Loop,
    /// Sleeps for an hour inside a host call.
    Sleep,
    /// Allocates until memory runs out.
    Alloc,
    /// Recurses until the stack runs out.
    StackOverflow,
    /// Panics, with the token in the message.
    Panic,
    /// Returns a value of the given size in bytes (default 100 MiB).
    HugeValue,
    /// Writes the given number of log lines (default a million).
    LogFlood,
    /// Puts the token into an error and a log line.
    LeakToken,
    /// Panics while opening the connection.
    OpenPanic,
    /// Never returns from opening the connection.
    OpenHang,
    /// Never returns from `capabilities`.
    CapabilitiesHang,
    /// `list` pages forever: every page points to a next one.
    EndlessList,
    /// `list` returns one page of the given number of secrets (default 100,000).
    HugePage,
    /// Writes files into `/data` until the given number of bytes (default 64 MiB) or an error.
    FillData,
    /// Asks the host for an access token for the given scope; the token comes back as the value.
    TokenScope,
    /// Asks the host for AWS credentials; the secret key comes back as the value.
    AwsCredentials,
    /// Logs a message and fails with an error whose text forges a second log line and carries terminal
    /// escape sequences.
    Inject,
    /// `create` and `update` fail with the value they were handed in the error, and log it.
    EchoValue,
    /// Sends an HTTP POST with a body to the given URL.
    HttpPost,
}

impl Attack {
    /// The attack named by the `attack` setting.
    pub fn parse(name: &str) -> Result<Self> {
        Ok(match name {
            "read-file" => Self::ReadFile,
            "write-file" => Self::WriteFile,
            "list-dir" => Self::ListDir,
            "read-env" => Self::ReadEnv,
            "tcp-connect" => Self::TcpConnect,
            "udp-send" => Self::UdpSend,
            "http" => Self::Http,
            "loop" => Self::Loop,
            "sleep" => Self::Sleep,
            "alloc" => Self::Alloc,
            "stack-overflow" => Self::StackOverflow,
            "panic" => Self::Panic,
            "huge-value" => Self::HugeValue,
            "log-flood" => Self::LogFlood,
            "leak-token" => Self::LeakToken,
            "open-panic" => Self::OpenPanic,
            "open-hang" => Self::OpenHang,
            "capabilities-hang" => Self::CapabilitiesHang,
            "endless-list" => Self::EndlessList,
            "huge-page" => Self::HugePage,
            "fill-data" => Self::FillData,
            "token-scope" => Self::TokenScope,
            "aws-credentials" => Self::AwsCredentials,
            "inject" => Self::Inject,
            "echo-value" => Self::EchoValue,
            "http-post" => Self::HttpPost,
            other => return Err(ProviderError::Configuration(format!("unknown attack '{other}'"))),
        })
    }
}

/// Carries out `attack` against `target`.
pub fn run(attack: Attack, target: &str, token: &str) -> Result<SecretValue> {
    match attack {
        Attack::ReadFile => read_file(target),
        Attack::WriteFile => write_file(target),
        Attack::ListDir => list_dir(target),
        Attack::ReadEnv => read_env(target),
        Attack::TcpConnect => tcp_connect(target),
        Attack::UdpSend => udp_send(target),
        Attack::Http => http(target),
        Attack::Loop => spin(),
        Attack::Sleep => {
            std::thread::sleep(Duration::from_secs(3600));
            Ok(SecretValue::text("woke up"))
        }
        Attack::Alloc => hoard(),
        Attack::StackOverflow => Ok(SecretValue::text(recurse(0).to_string())),
        Attack::Panic => panic!("hostile plugin panics on purpose (token {token})"),
        Attack::HugeValue => Ok(SecretValue::binary(vec![b'x'; size_or(target, 100 << 20)])),
        Attack::LogFlood => log_flood(size_or(target, 1_000_000)),
        Attack::LeakToken => {
            host::log(Level::Error, &format!("authenticating with token {token}"), &[("token", token)]);
            Err(ProviderError::AccessDenied(format!("the backend rejected token {token}")))
        }
        Attack::OpenPanic => Err(ProviderError::Other("open-panic attacks while opening".into())),
        Attack::FillData => fill_data(size_or(target, 64 << 20)),
        Attack::TokenScope => {
            let token = host::access_token(&[target])?;
            Ok(SecretValue::text(token.token))
        }
        Attack::AwsCredentials => {
            let credentials = host::aws_credentials()?;
            Ok(SecretValue::text(credentials.secret_access_key))
        }
        Attack::Inject => {
            let forged = "done\n2026-01-01T00:00:00Z  INFO keyway::audit: audit operation=get outcome=ok \x1b[2J\x1b]0;owned\x07";
            host::log(Level::Warn, forged, &[("field\nforged", "value\r\x1b[31m")]);
            Err(ProviderError::Other(format!("backend says: {forged}")))
        }
        Attack::HttpPost => {
            let response = HttpClient::new(target)
                .with_retries(0)
                .post("")
                .body("application/json", vec![b'x'; 64 << 10])
                .send()?;
            Ok(SecretValue::binary(response.body))
        }
        // These attack other exports than `get`, or while opening.
        Attack::OpenHang | Attack::CapabilitiesHang | Attack::EndlessList | Attack::HugePage | Attack::EchoValue => {
            Ok(SecretValue::text("harmless"))
        }
    }
}

/// Writes 1 MiB files into `/data` until `total` bytes are written or writing fails.
fn fill_data(total: usize) -> Result<SecretValue> {
    let chunk = vec![b'z'; 1 << 20];
    let mut written = 0;
    let mut index = 0;
    while written < total {
        if std::fs::write(format!("/data/fill-{index}"), &chunk).is_err() {
            break;
        }
        written += chunk.len();
        index += 1;
    }
    Ok(SecretValue::text(format!("wrote {written} bytes")))
}

/// Spins forever (for the exports that hang).
pub fn hang() -> ! {
    spin()
}

fn refused(what: &str, err: impl std::fmt::Display) -> ProviderError {
    ProviderError::AccessDenied(format!("{what}: {err}"))
}

fn read_file(path: &str) -> Result<SecretValue> {
    std::fs::read(path).map(SecretValue::binary).map_err(|err| refused(&format!("cannot read {path}"), err))
}

fn write_file(path: &str) -> Result<SecretValue> {
    std::fs::write(path, b"written by the hostile plugin")
        .map_err(|err| refused(&format!("cannot write {path}"), err))?;
    Ok(SecretValue::text(format!("wrote {path}")))
}

fn list_dir(path: &str) -> Result<SecretValue> {
    let entries = std::fs::read_dir(path).map_err(|err| refused(&format!("cannot list {path}"), err))?;
    let names: Vec<String> = entries.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into()).collect();
    Ok(SecretValue::text(names.join("\n")))
}

fn read_env(name: &str) -> Result<SecretValue> {
    if name == "*" {
        let vars: Vec<String> = std::env::vars().map(|(k, v)| format!("{k}={v}")).collect();
        let args: Vec<String> = std::env::args().collect();
        if vars.is_empty() && args.is_empty() {
            return Err(ProviderError::NotFound("the environment and the arguments are empty".into()));
        }
        return Ok(SecretValue::text(format!("{}\n{}", vars.join("\n"), args.join(" "))));
    }
    std::env::var(name)
        .map(SecretValue::text)
        .map_err(|err| ProviderError::NotFound(format!("environment variable {name}: {err}")))
}

fn tcp_connect(address: &str) -> Result<SecretValue> {
    use std::io::Write;
    let mut stream =
        std::net::TcpStream::connect(address).map_err(|err| refused(&format!("cannot connect to {address}"), err))?;
    stream.write_all(b"hello from the sandbox\n").map_err(|err| refused("cannot write to the socket", err))?;
    Ok(SecretValue::text(format!("connected to {address}")))
}

fn udp_send(address: &str) -> Result<SecretValue> {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").map_err(|err| refused("cannot bind a UDP socket", err))?;
    socket
        .send_to(b"hello from the sandbox", address)
        .map_err(|err| refused(&format!("cannot send to {address}"), err))?;
    Ok(SecretValue::text(format!("sent to {address}")))
}

fn http(url: &str) -> Result<SecretValue> {
    let response = HttpClient::new(url).with_retries(0).get("").send()?;
    Ok(SecretValue::binary(response.body))
}

fn spin() -> ! {
    let mut counter: u64 = 0;
    loop {
        counter = std::hint::black_box(counter.wrapping_add(1));
    }
}

fn hoard() -> ! {
    let mut hoard: Vec<Vec<u8>> = Vec::new();
    loop {
        hoard.push(vec![1u8; 1 << 20]);
        std::hint::black_box(&hoard);
    }
}

/// Recurses until the stack runs out; the check on `depth` only hides the recursion from the optimizer.
fn recurse(depth: u64) -> u64 {
    let frame = std::hint::black_box([depth; 64]);
    if std::hint::black_box(depth) == u64::MAX {
        return frame[0];
    }
    recurse(depth + 1).wrapping_add(frame[depth as usize % 64])
}

fn size_or(target: &str, default: usize) -> usize {
    target.parse().unwrap_or(default)
}

fn log_flood(lines: usize) -> Result<SecretValue> {
    for line in 0..lines {
        host::log(Level::Info, "flooding the host's log", &[("line", &line.to_string())]);
    }
    Ok(SecretValue::text(format!("wrote {lines} log lines")))
}
