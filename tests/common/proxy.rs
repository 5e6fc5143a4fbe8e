//! A TCP forwarder between the app and PostgreSQL that a test can cut, to see the app with its database down.

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub struct Proxy {
    pub address: String,
    cut: watch::Sender<bool>,
}

impl Proxy {
    /// Listens on a random local port and forwards every connection to `upstream`.
    pub async fn start(upstream: String) -> Proxy {
        Self::start_at("127.0.0.1:0", upstream).await
    }

    /// Listens on `address` (to bring a cut database back where the app expects it).
    pub async fn start_at(address: &str, upstream: String) -> Proxy {
        let listener = TcpListener::bind(address).await.expect("bind proxy");
        let address = listener.local_addr().unwrap().to_string();
        let (cut, mut cut_seen) = watch::channel(false);
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = cut_seen.changed() => return, // drops the listener: new connections are refused
                    accepted = listener.accept() => {
                        let Ok((mut client, _)) = accepted else { return };
                        let mut cut_seen = cut_seen.clone();
                        let upstream = upstream.clone();
                        tokio::spawn(async move {
                            let Ok(mut server) = TcpStream::connect(&upstream).await else { return };
                            tokio::select! {
                                _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                                _ = cut_seen.changed() => {} // drops both sockets: open connections break
                            }
                        });
                    }
                }
            }
        });
        Proxy { address, cut }
    }

    /// Closes the listener and every forwarded connection, as a database crash would.
    pub fn cut(&self) {
        let _ = self.cut.send(true);
    }
}
