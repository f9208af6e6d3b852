//! A connection to one client: frames in, whole messages out. Over stdio, a reader thread
//! turns stdin into frames (blocking reads cannot be cancelled, so not on the runtime) and a
//! writer thread owns stdout, framing each message the way the client framed its first one.
//! In memory (tests), both ends are channels: the server code is the same either way.

use std::io::{BufRead, Write};
use std::sync::{Arc, OnceLock};

use serde_json::Value;
use tokio::sync::mpsc;

use super::framing::{Frame, FrameReader, Framing};
use super::message::Reply;

/// What the writer receives.
enum Out {
    Message(String),
    Reply(Reply),
    Close,
}

/// Sends whole JSON-RPC messages to the client; cloneable, usable from any task or thread.
/// After [`Outbox::close`] (or once the client is gone) sends are dropped silently.
#[derive(Clone)]
pub struct Outbox {
    tx: mpsc::UnboundedSender<Out>,
}

impl Outbox {
    /// Queues one serialized message.
    pub fn send_text(&self, text: String) {
        let _ = self.tx.send(Out::Message(text));
    }

    /// Queues a response (a result is written around its own buffer, never copied).
    pub fn send_reply(&self, reply: Reply) {
        let _ = self.tx.send(match reply {
            Reply::Text(t) => Out::Message(t),
            r @ Reply::Result { .. } => Out::Reply(r),
        });
    }

    /// Queues a server → client notification.
    pub fn notify(&self, method: &str, params: Value) {
        let msg = serde_json::json!({"jsonrpc": "2.0", "method": method, "params": params});
        self.send_text(msg.to_string());
    }

    /// Ends the output: the writer flushes what was queued and stops, even while clones of
    /// this outbox (a notifier held by the service) still exist.
    pub fn close(&self) {
        let _ = self.tx.send(Out::Close);
    }
}

/// The server's end of a connection.
pub struct Connection {
    /// Frames from the client, in order; an `Err` ends the session.
    pub incoming: mpsc::Receiver<std::io::Result<Frame>>,
    /// Messages to the client.
    pub outbox: Outbox,
}

/// The stdio threads; [`IoThreads::join`] waits for the writer to flush.
pub struct IoThreads {
    writer: Option<std::thread::JoinHandle<()>>,
}

impl IoThreads {
    /// Waits until everything queued before `close` is written.
    pub fn join(mut self) {
        if let Some(w) = self.writer.take() {
            let _ = w.join();
        }
    }
}

impl Connection {
    /// A connection over a byte reader and writer (stdin/stdout in the binary), with frames of
    /// at most `max_frame` bytes.
    pub fn stdio<R, W>(input: R, output: W, max_frame: usize) -> (Connection, IoThreads)
    where
        R: BufRead + Send + 'static,
        W: Write + Send + 'static,
    {
        let framing: Arc<OnceLock<Framing>> = Arc::default();
        let (out_tx, mut out_rx) = mpsc::unbounded_channel::<Out>();
        let writer_framing = framing.clone();
        let writer = std::thread::Builder::new()
            .name("rpc-writer".into())
            .spawn(move || {
                let mut output = output;
                loop {
                    let next = out_rx.blocking_recv();
                    // Known once the first frame was read, which is before any answer.
                    let framing = writer_framing.get().copied().unwrap_or(Framing::Ndjson);
                    let written = match next {
                        Some(Out::Message(text) | Out::Reply(Reply::Text(text))) => {
                            framing.write_parts(&mut output, &[text.as_bytes()])
                        }
                        Some(Out::Reply(Reply::Result { id, body })) => framing.write_parts(
                            &mut output,
                            &[
                                Reply::result_head(&id).as_bytes(),
                                body.get().as_bytes(),
                                b"}",
                            ],
                        ),
                        Some(Out::Close) | None => break,
                    };
                    if written.is_err() {
                        break; // the client closed stdout: nothing more can be said
                    }
                }
            })
            .ok();
        let (in_tx, in_rx) = mpsc::channel::<std::io::Result<Frame>>(64);
        let _reader = std::thread::Builder::new()
            .name("rpc-reader".into())
            .spawn(move || {
                let mut reader = FrameReader::new(input, max_frame);
                loop {
                    let next = reader.next_frame();
                    if let Some(f) = reader.framing() {
                        let _ = framing.set(f);
                    }
                    let item = match next {
                        Ok(Some(frame)) => Ok(frame),
                        Ok(None) => break,
                        Err(e) => Err(e),
                    };
                    let stop = item.is_err();
                    if in_tx.blocking_send(item).is_err() || stop {
                        break;
                    }
                }
            });
        (
            Connection {
                incoming: in_rx,
                outbox: Outbox { tx: out_tx },
            },
            IoThreads { writer },
        )
    }

    /// A connection whose client is in this process (tests): what the client sends arrives as
    /// frames, what the server sends arrives whole.
    pub fn memory() -> (Connection, MemoryClient) {
        let (in_tx, in_rx) = mpsc::channel(64);
        let (out_tx, out_rx) = mpsc::unbounded_channel();
        (
            Connection {
                incoming: in_rx,
                outbox: Outbox { tx: out_tx },
            },
            MemoryClient {
                tx: Some(in_tx),
                rx: out_rx,
            },
        )
    }
}

/// The client's end of an in-memory connection.
pub struct MemoryClient {
    tx: Option<mpsc::Sender<std::io::Result<Frame>>>,
    rx: mpsc::UnboundedReceiver<Out>,
}

impl MemoryClient {
    /// Sends one message (any JSON text, valid or not).
    pub async fn send_text(&self, text: &str) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(Ok(Frame::Message(text.as_bytes().to_vec()))).await;
        }
    }

    /// Sends one message.
    pub async fn send(&self, message: &Value) {
        self.send_text(&message.to_string()).await;
    }

    /// Ends the input, as a host closing stdin.
    pub fn close(&mut self) {
        self.tx = None;
    }

    /// The next message from the server; `None` once it closed its output.
    pub async fn recv(&mut self) -> Option<Value> {
        match self.rx.recv().await? {
            Out::Message(text) => serde_json::from_str(&text).ok(),
            Out::Reply(r) => serde_json::from_str(&r.into_text()).ok(),
            Out::Close => None,
        }
    }
}
