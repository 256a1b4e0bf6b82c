//! A loopback TCP relay the harness puts between two nodes, so a test can cut a node
//! off from the others and heal it.
//!
//! Node `i` reaches node `j` only through the relay (i → j), which listens on a port of
//! its own and copies bytes both ways to `j`'s listening address. Cutting shuts down
//! every connection it carries and refuses new ones (accepted, then closed at once)
//! until it is opened again; the nodes see their peer go and their redials fail, as
//! across a real partition. Plain threads and blocking sockets: nothing here depends
//! on the engine's runtime.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

struct State {
    open: AtomicBool,
    stop: AtomicBool,
    /// Both ends of every connection carried, to shut them down on a cut.
    conns: Mutex<Vec<TcpStream>>,
}

/// A relay to one node's listening address.
pub(crate) struct Relay {
    addr: SocketAddr,
    state: Arc<State>,
}

impl Relay {
    /// A relay to `target`, open, on a free loopback port.
    pub(crate) fn new(target: SocketAddr) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind relay");
        let addr = listener.local_addr().expect("relay addr");
        let state = Arc::new(State {
            open: AtomicBool::new(true),
            stop: AtomicBool::new(false),
            conns: Mutex::default(),
        });
        let s = state.clone();
        thread::spawn(move || {
            for incoming in listener.incoming() {
                if s.stop.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(inbound) = incoming else { continue };
                if !s.open.load(Ordering::SeqCst) {
                    let _ = inbound.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(outbound) = TcpStream::connect(target) else {
                    let _ = inbound.shutdown(Shutdown::Both);
                    continue;
                };
                let _ = (inbound.set_nodelay(true), outbound.set_nodelay(true));
                let (Ok(a), Ok(b)) = (inbound.try_clone(), outbound.try_clone()) else { continue };
                {
                    let mut conns = s.conns.lock().unwrap_or_else(|e| e.into_inner());
                    // A cut between the check above and here must not miss this one.
                    if !s.open.load(Ordering::SeqCst) {
                        let _ = (inbound.shutdown(Shutdown::Both), outbound.shutdown(Shutdown::Both));
                        continue;
                    }
                    conns.push(a);
                    conns.push(b);
                }
                pipe(inbound, outbound);
            }
        });
        Relay { addr, state }
    }

    /// Where the relay listens.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Shuts down every connection and refuses new ones until [`Relay::open`].
    pub(crate) fn cut(&self) {
        let mut conns = self.state.conns.lock().unwrap_or_else(|e| e.into_inner());
        self.state.open.store(false, Ordering::SeqCst);
        for c in conns.drain(..) {
            let _ = c.shutdown(Shutdown::Both);
        }
    }

    /// Accepts connections again.
    pub(crate) fn open(&self) {
        self.state.open.store(true, Ordering::SeqCst);
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.cut();
        self.state.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so it sees `stop`.
        let _ = TcpStream::connect(self.addr);
    }
}

/// Copies bytes both ways between `a` and `b` until either side closes.
fn pipe(a: TcpStream, b: TcpStream) {
    let (Ok(a2), Ok(b2)) = (a.try_clone(), b.try_clone()) else { return };
    thread::spawn(move || copy(a, b));
    thread::spawn(move || copy(b2, a2));
}

fn copy(mut from: TcpStream, mut to: TcpStream) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = (from.shutdown(Shutdown::Both), to.shutdown(Shutdown::Both));
}
