//! The network: no sockets at all, and HTTP only to the hosts of the manager's
//! allowlist. Local listeners on free ports record every connection, so
//! "refused" means nothing arrived, not just that the plugin saw an error.

use super::{assert_clean, attack, good_plugin_still_works, hostile, short_limits};
use keyway_integration_tests::plugins::runtime;
use keyway_types::{ErrorKind, VersionSelector};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A loopback TCP listener on a free port that counts connections and answers HTTP requests with `200 ok`.
struct Listener {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Listener {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback listener");
        listener.set_nonblocking(true).expect("non-blocking listener");
        let addr = listener.local_addr().expect("listener address");
        let (accepted, stop) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicBool::new(false)));
        let (count, stopped) = (accepted.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !stopped.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((mut stream, _)) => {
                        count.fetch_add(1, Ordering::SeqCst);
                        let _ = stream.set_nonblocking(false);
                        let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
                        let mut request = [0u8; 4096];
                        let _ = stream.read(&mut request);
                        let _ =
                            stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Self { addr, accepted, stop, thread: Some(thread) }
    }

    /// Connections accepted so far (after giving in-flight ones a moment to land).
    fn accepted(&self) -> usize {
        std::thread::sleep(Duration::from_millis(50));
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[tokio::test]
async fn tcp_sockets_are_refused() {
    let listener = Listener::start();
    let rt = runtime();
    let hostile = hostile(&rt, "tcp-connect", short_limits(), Vec::new()).await;
    let port = listener.addr.port();
    for target in [format!("127.0.0.1:{port}"), format!("localhost:{port}"), format!("[::1]:{port}")] {
        let (err, elapsed) = attack(&hostile.conn, &target).await;
        assert_eq!(err.kind(), ErrorKind::AccessDenied, "{target}: {err}");
        assert!(elapsed < short_limits().call_timeout, "{target} took {elapsed:?}");
        assert_clean(&err, &[]);
    }
    assert_eq!(listener.accepted(), 0, "a plugin socket reached the listener");
    good_plugin_still_works(&rt).await;
}

#[tokio::test]
async fn udp_sockets_are_refused() {
    let receiver = UdpSocket::bind("127.0.0.1:0").expect("bind a UDP receiver");
    receiver.set_nonblocking(true).expect("non-blocking receiver");
    let rt = runtime();
    let hostile = hostile(&rt, "udp-send", short_limits(), Vec::new()).await;
    let target = receiver.local_addr().expect("receiver address").to_string();
    let (err, _) = attack(&hostile.conn, &target).await;
    assert_eq!(err.kind(), ErrorKind::AccessDenied, "{err}");
    std::thread::sleep(Duration::from_millis(50));
    let mut datagram = [0u8; 64];
    assert!(receiver.recv_from(&mut datagram).is_err(), "a plugin datagram reached the receiver");
    good_plugin_still_works(&rt).await;
}

#[tokio::test]
async fn http_goes_only_to_allowed_hosts() {
    let (allowed, forbidden) = (Listener::start(), Listener::start());
    let rt = runtime();
    let egress = vec![format!("http://127.0.0.1:{}", allowed.addr.port())];
    let hostile = hostile(&rt, "http", short_limits(), egress).await;
    assert_eq!(hostile.conn.egress(), vec![format!("127.0.0.1:{}", allowed.addr.port())]);

    // The allowlist is not "deny everything": the allowed host answers.
    let url = format!("http://127.0.0.1:{}/", allowed.addr.port());
    let answer = hostile.conn.get(&url, &VersionSelector::Latest).await.expect("an allowed host is reachable");
    assert_eq!(answer.value.expose_bytes(), b"ok");
    assert_eq!(allowed.accepted(), 1);

    let port = forbidden.addr.port();
    for target in [
        format!("http://127.0.0.1:{port}/"),
        format!("http://localhost:{port}/"),
        format!("http://[::1]:{port}/"),
        format!("https://127.0.0.1:{port}/"),
    ] {
        let (err, elapsed) = attack(&hostile.conn, &target).await;
        assert!(elapsed < short_limits().call_timeout, "{target} took {elapsed:?}");
        assert_eq!(err.kind(), ErrorKind::AccessDenied, "{target}: {err}");
        assert!(err.to_string().contains("not in this manager's egress allowlist"), "{target}: {err}");
        assert_clean(&err, &[]);
    }
    assert_eq!(forbidden.accepted(), 0, "a request outside the allowlist reached its host");
    good_plugin_still_works(&rt).await;
}
