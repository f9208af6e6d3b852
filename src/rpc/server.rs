//! The server loop: a reader thread turns stdin into frames, this loop classifies them, runs
//! each request as its own task through the dispatcher (so a slow request never blocks a fast
//! one), and a single writer thread owns stdout. Handles the notifications jsonrpsee never
//! routes (`initialized`, `exit`, `$/cancelRequest`).

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

use super::dispatch::Dispatcher;
use super::framing::{Frame, FrameReader, Framing};
use super::message::{self, codes, error_response, Incoming};

/// Default limit for one incoming frame.
pub const DEFAULT_MAX_FRAME: usize = 16 * 1024 * 1024;

/// Messages for the writer thread.
enum Out {
    Frame(Vec<u8>),
}

/// Sends serialized messages to the client; cloneable and usable from any task.
#[derive(Clone)]
pub struct Outbox {
    tx: mpsc::UnboundedSender<Out>,
    framing: Arc<std::sync::OnceLock<Framing>>,
}

impl Outbox {
    /// Queues one message for stdout (dropped silently once the writer is gone).
    pub fn send(&self, message: &Value) {
        self.send_text(&message.to_string());
    }

    /// Queues one already-serialized message.
    pub fn send_text(&self, text: &str) {
        let framing = self.framing.get().copied().unwrap_or(Framing::Ndjson);
        let _ = self.tx.send(Out::Frame(framing.encode(text.as_bytes())));
    }

    /// Queues a server→client notification.
    pub fn notify(&self, method: &str, params: Value) {
        self.send(&serde_json::json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }
}

/// Requests in flight, by id, so `$/cancelRequest` can abort them.
type InFlight = Arc<Mutex<HashMap<String, AbortHandle>>>;

/// Runs the server until end of input or `exit`; returns the process exit code.
pub async fn serve<R, W>(dispatcher: Arc<Dispatcher>, input: R, output: W, max_frame: usize) -> i32
where
    R: BufRead + Send + 'static,
    W: Write + Send + 'static,
{
    let framing_cell: Arc<std::sync::OnceLock<Framing>> = Arc::default();
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<Out>();
    let outbox = Outbox {
        tx: out_tx,
        framing: framing_cell.clone(),
    };
    dispatcher.service().set_outbox(outbox.clone());

    // Writer: the only owner of stdout.
    let writer = std::thread::Builder::new()
        .name("rpc-writer".into())
        .spawn(move || {
            let mut output = output;
            while let Some(Out::Frame(bytes)) = out_rx.blocking_recv() {
                if output
                    .write_all(&bytes)
                    .and_then(|_| output.flush())
                    .is_err()
                {
                    break; // the client closed stdout: nothing more can be said
                }
            }
        });

    // Reader: a dedicated thread, since blocking stdin reads cannot be cancelled.
    let (in_tx, mut in_rx) = mpsc::channel::<std::io::Result<Frame>>(64);
    let reader_framing = framing_cell.clone();
    let _reader = std::thread::Builder::new()
        .name("rpc-reader".into())
        .spawn(move || {
            let mut reader = FrameReader::new(input, max_frame);
            loop {
                let next = reader.next_frame();
                if let Some(f) = reader.framing() {
                    let _ = reader_framing.set(f);
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

    let in_flight: InFlight = Arc::default();
    let mut tasks = tokio::task::JoinSet::new();
    let mut exit_code: Option<i32> = None;

    while let Some(item) = in_rx.recv().await {
        let frame = match item {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!("stdin read failed: {e}; stopping");
                break;
            }
        };
        match frame {
            Frame::TooLarge { len } => outbox.send(&error_response(
                &Value::Null,
                codes::FRAME_TOO_LARGE,
                &format!("frame of {len} bytes exceeds the {max_frame}-byte limit; it was skipped"),
                Some(serde_json::json!({"kind": "frame_too_large", "limit": max_frame})),
            )),
            Frame::BadHeader(why) => outbox.send(&error_response(
                &Value::Null,
                codes::PARSE_ERROR,
                &format!("bad LSP header: {why}"),
                None,
            )),
            Frame::Message(bytes) => {
                if let Some(code) =
                    handle_message(&bytes, &dispatcher, &outbox, &in_flight, &mut tasks)
                {
                    exit_code = Some(code);
                    break;
                }
            }
        }
        // Reap finished tasks so the set does not grow without bound.
        while tasks.try_join_next().is_some() {}
    }

    if exit_code.is_none() {
        // End of input: answer what was already asked (each call is bounded by its own timeouts).
        while tasks.join_next().await.is_some() {}
    }
    tasks.abort_all();
    dispatcher.service().shutdown_background();
    dispatcher.service().clear_outbox();
    drop(outbox);
    if let Ok(w) = writer {
        let _ = w.join();
    }
    exit_code.unwrap_or(0)
}

/// Handles one frame's bytes; returns an exit code when the client asked to exit.
fn handle_message(
    bytes: &[u8],
    dispatcher: &Arc<Dispatcher>,
    outbox: &Outbox,
    in_flight: &InFlight,
    tasks: &mut tokio::task::JoinSet<()>,
) -> Option<i32> {
    let value: Value = match std::str::from_utf8(bytes)
        .map_err(|e| format!("input is not valid UTF-8 ({e})"))
        .and_then(|s| serde_json::from_str(s).map_err(|e| format!("invalid JSON: {e}")))
    {
        Ok(v) => v,
        Err(why) => {
            outbox.send(&error_response(
                &Value::Null,
                codes::PARSE_ERROR,
                &why,
                None,
            ));
            return None;
        }
    };
    match value {
        Value::Array(items) => {
            if items.is_empty() {
                outbox.send(&error_response(
                    &Value::Null,
                    codes::INVALID_REQUEST,
                    "an empty batch is not a valid request",
                    None,
                ));
                return None;
            }
            let mut calls = Vec::new();
            let mut immediate = Vec::new();
            let mut exit = None;
            for item in items {
                match message::classify(item) {
                    Incoming::Request { id, method, params } => calls.push((id, method, params)),
                    Incoming::Notification { method, params } => {
                        if let Some(code) = handle_notification(
                            &method, params, dispatcher, outbox, in_flight, tasks,
                        ) {
                            exit = Some(code);
                        }
                    }
                    Incoming::Response => {}
                    Incoming::Invalid { id, message } => {
                        immediate.push(error_response(&id, codes::INVALID_REQUEST, &message, None))
                    }
                }
            }
            if calls.is_empty() {
                if !immediate.is_empty() {
                    outbox.send(&Value::Array(immediate));
                }
                return exit;
            }
            let dispatcher = dispatcher.clone();
            let outbox = outbox.clone();
            tasks.spawn(async move {
                let futures = calls
                    .into_iter()
                    .map(|(id, method, params)| dispatcher.call(id, method, params));
                let mut parts: Vec<String> = futures::future::join_all(futures).await;
                parts.extend(immediate.iter().map(Value::to_string));
                outbox.send_text(&format!("[{}]", parts.join(",")));
            });
            exit
        }
        other => match message::classify(other) {
            Incoming::Request { id, method, params } => {
                spawn_request(id, method, params, dispatcher, outbox, in_flight, tasks);
                None
            }
            Incoming::Notification { method, params } => {
                handle_notification(&method, params, dispatcher, outbox, in_flight, tasks)
            }
            Incoming::Response => None,
            Incoming::Invalid { id, message } => {
                outbox.send(&error_response(&id, codes::INVALID_REQUEST, &message, None));
                None
            }
        },
    }
}

/// Runs one request as its own task, registered for cancellation.
fn spawn_request(
    id: Value,
    method: String,
    params: Option<Value>,
    dispatcher: &Arc<Dispatcher>,
    outbox: &Outbox,
    in_flight: &InFlight,
    tasks: &mut tokio::task::JoinSet<()>,
) {
    let key = id.to_string();
    let dispatcher = dispatcher.clone();
    let task_outbox = outbox.clone();
    let task_in_flight = in_flight.clone();
    let task_key = key.clone();
    // Hold the lock while spawning so the task cannot finish before it is registered.
    let mut map = lock(in_flight);
    let handle = tasks.spawn(async move {
        let response = dispatcher.call(id, method, params).await;
        // Whoever removes the entry answers: this task, or the cancel handler.
        let still_ours = lock(&task_in_flight).remove(&task_key).is_some();
        if still_ours {
            task_outbox.send_text(&response);
        }
    });
    if map.insert(key.clone(), handle).is_some() {
        tracing::warn!(
            "request id {key} reused while still in flight; only the newest can be cancelled"
        );
    }
}

fn lock(m: &InFlight) -> std::sync::MutexGuard<'_, HashMap<String, AbortHandle>> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Handles a notification; returns an exit code for `exit`.
fn handle_notification(
    method: &str,
    params: Option<Value>,
    dispatcher: &Arc<Dispatcher>,
    outbox: &Outbox,
    in_flight: &InFlight,
    tasks: &mut tokio::task::JoinSet<()>,
) -> Option<i32> {
    match method {
        "exit" => Some(if dispatcher.service().is_shut_down() {
            0
        } else {
            1
        }),
        "$/cancelRequest" => {
            let id = params.as_ref().and_then(|p| p.get("id")).cloned();
            if let Some(id) = id {
                let handle = lock(in_flight).remove(&id.to_string());
                if let Some(handle) = handle {
                    handle.abort();
                    outbox.send(&error_response(
                        &id,
                        codes::REQUEST_CANCELLED,
                        "request cancelled by the client",
                        Some(serde_json::json!({"kind": "cancelled"})),
                    ));
                }
            }
            None
        }
        "initialized" => None,
        // A task of the loop's set, so that end of input waits for the write.
        "usage.record" => {
            let svc = dispatcher.service().clone();
            tasks.spawn(crate::api::usage::record_notification(svc, params));
            None
        }
        other => {
            tracing::debug!("ignoring notification {other}");
            None
        }
    }
}
