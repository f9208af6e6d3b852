//! The server loop: reads frames from a [`Connection`], runs each request as its own task
//! through the [`Dispatcher`] (a slow request never blocks a fast one) and handles what
//! jsonrpsee never routes: `exit`, `$/cancelRequest`, `initialized`. A barrier method
//! (`initialize`) finishes before anything read after it starts, so pipelining right after it
//! is exactly as safe as waiting for its answer.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::value::RawValue;
use serde_json::Value;
use tokio::task::{AbortHandle, JoinSet};

use super::connection::{Connection, Outbox};
use super::dispatch::Dispatcher;
use super::framing::Frame;
use super::message::{self, codes, error_response, Incoming, Parsed, Reply};

/// Default limit for one incoming frame.
pub const DEFAULT_MAX_FRAME: usize = 16 * 1024 * 1024;

/// What the server asks of the application at the edges of a session.
pub struct Hooks {
    /// The exit code for an `exit` notification (0 after `shutdown`, else 1).
    pub exit_code: Box<dyn Fn() -> i32 + Send + Sync>,
    /// Runs once the input has ended and every request read has been answered, before the
    /// output closes (the service finishes its background refreshes here, bounded).
    pub at_end_of_input: Box<dyn FnOnce() -> Pin<Box<dyn Future<Output = ()> + Send>> + Send>,
}

impl Default for Hooks {
    fn default() -> Self {
        Hooks {
            exit_code: Box::new(|| 0),
            at_end_of_input: Box::new(|| Box::pin(async {})),
        }
    }
}

/// Requests in flight, by id (normalised JSON text), so `$/cancelRequest` can abort them.
type InFlight = Arc<Mutex<HashMap<String, AbortHandle>>>;

fn lock(m: &InFlight) -> MutexGuard<'_, HashMap<String, AbortHandle>> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The id as a map key: `"a\u0041"` and `"aA"` are the same id.
fn id_key(id: &str) -> String {
    serde_json::from_str::<Value>(id).map_or_else(|_| id.to_string(), |v| v.to_string())
}

struct Server {
    dispatcher: Arc<Dispatcher>,
    outbox: Outbox,
    in_flight: InFlight,
    tasks: JoinSet<()>,
    hooks: Hooks,
}

/// Runs the server until end of input or `exit`; returns the process exit code. The outbox is
/// closed on return.
pub async fn run(connection: Connection, dispatcher: Arc<Dispatcher>, hooks: Hooks) -> i32 {
    let Connection {
        mut incoming,
        outbox,
    } = connection;
    let mut server = Server {
        dispatcher,
        outbox: outbox.clone(),
        in_flight: Arc::default(),
        tasks: JoinSet::new(),
        hooks,
    };
    let mut exit_code: Option<i32> = None;
    while let Some(item) = incoming.recv().await {
        let frame = match item {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!("input read failed: {e}; stopping");
                break;
            }
        };
        let code = match frame {
            Frame::TooLarge { len, limit } => {
                server.outbox.send_text(error_response(
                    "null",
                    codes::FRAME_TOO_LARGE,
                    &format!("frame of {len} bytes exceeds the {limit}-byte limit; it was skipped"),
                    Some(serde_json::json!({"kind": "frame_too_large", "limit": limit})),
                ));
                None
            }
            Frame::BadHeader(why) => {
                server.outbox.send_text(error_response(
                    "null",
                    codes::PARSE_ERROR,
                    &format!("bad LSP header: {why}"),
                    None,
                ));
                None
            }
            Frame::Message(bytes) => server.handle(&bytes).await,
        };
        if let Some(code) = code {
            exit_code = Some(code);
            break;
        }
        // Reap finished tasks so the set does not grow without bound.
        while server.tasks.try_join_next().is_some() {}
    }
    if exit_code.is_none() {
        // End of input: answer what was already asked (each call is bounded by its timeouts),
        // then let the application finish its own work.
        while server.tasks.join_next().await.is_some() {}
        let hook = std::mem::replace(
            &mut server.hooks.at_end_of_input,
            Box::new(|| Box::pin(async {})),
        );
        hook().await;
    }
    server.tasks.abort_all();
    outbox.close();
    exit_code.unwrap_or(0)
}

impl Server {
    /// Handles one frame's bytes; returns an exit code when the client asked to exit.
    async fn handle(&mut self, bytes: &[u8]) -> Option<i32> {
        let text = match std::str::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                self.outbox.send_text(error_response(
                    "null",
                    codes::PARSE_ERROR,
                    &format!("input is not valid UTF-8 ({e})"),
                    None,
                ));
                return None;
            }
        };
        match message::parse(text) {
            Parsed::ParseError(why) => {
                self.outbox
                    .send_text(error_response("null", codes::PARSE_ERROR, &why, None));
                None
            }
            Parsed::One(incoming) => self.one(incoming).await,
            Parsed::Batch(items) => self.batch(items).await,
        }
    }

    async fn one(&mut self, incoming: Incoming<'_>) -> Option<i32> {
        match incoming {
            Incoming::Request { id, method, params } => {
                if self.dispatcher.is_barrier(&method) {
                    // Runs to completion before the next frame is read.
                    let response = self.dispatcher.call(id, &method, params).await;
                    self.outbox.send_reply(response);
                } else {
                    self.spawn_request(id, method, params);
                }
                None
            }
            Incoming::Notification { method, params } => self.notification(&method, params).await,
            Incoming::Response => None,
            Incoming::Unparsable(why) => {
                self.outbox
                    .send_text(error_response("null", codes::PARSE_ERROR, &why, None));
                None
            }
            Incoming::Invalid { id, message } => {
                self.outbox
                    .send_text(error_response(id, codes::INVALID_REQUEST, &message, None));
                None
            }
        }
    }

    /// A batch: answered as one array. With a barrier inside, its calls run in order (each
    /// barrier finishing before the next call starts); otherwise concurrently.
    async fn batch(&mut self, items: Vec<Incoming<'_>>) -> Option<i32> {
        if items.is_empty() {
            self.outbox.send_text(error_response(
                "null",
                codes::INVALID_REQUEST,
                "an empty batch is not a valid request",
                None,
            ));
            return None;
        }
        let mut calls: Vec<(String, String, Option<Box<RawValue>>)> = Vec::new();
        let mut immediate = Vec::new();
        let mut exit = None;
        for item in items {
            match item {
                Incoming::Request { id, method, params } => {
                    calls.push((id.to_string(), method, params.map(|p| p.to_owned())))
                }
                Incoming::Notification { method, params } => {
                    if let Some(code) = self.notification(&method, params).await {
                        exit = Some(code);
                    }
                }
                Incoming::Response => {}
                Incoming::Unparsable(why) => {
                    immediate.push(error_response("null", codes::PARSE_ERROR, &why, None))
                }
                Incoming::Invalid { id, message } => {
                    immediate.push(error_response(id, codes::INVALID_REQUEST, &message, None))
                }
            }
        }
        if calls.is_empty() {
            if !immediate.is_empty() {
                self.outbox.send_text(format!("[{}]", immediate.join(",")));
            }
            return exit;
        }
        let dispatcher = self.dispatcher.clone();
        let outbox = self.outbox.clone();
        let ordered = calls.iter().any(|(_, m, _)| dispatcher.is_barrier(m));
        let work = async move {
            let mut parts: Vec<String> = if ordered {
                let mut parts = Vec::with_capacity(calls.len());
                for (id, method, params) in &calls {
                    parts.push(
                        dispatcher
                            .call(id, method, params.as_deref())
                            .await
                            .into_text(),
                    );
                }
                parts
            } else {
                let futures = calls
                    .iter()
                    .map(|(id, method, params)| dispatcher.call(id, method, params.as_deref()));
                futures::future::join_all(futures)
                    .await
                    .into_iter()
                    .map(Reply::into_text)
                    .collect()
            };
            parts.extend(immediate);
            outbox.send_text(format!("[{}]", parts.join(",")));
        };
        if ordered {
            work.await;
        } else {
            self.tasks.spawn(work);
        }
        exit
    }

    /// Runs one request as its own task, registered for cancellation.
    fn spawn_request(&mut self, id: &str, method: String, params: Option<&RawValue>) {
        let key = id_key(id);
        let (id, params) = (id.to_string(), params.map(|p| p.to_owned()));
        let dispatcher = self.dispatcher.clone();
        let outbox = self.outbox.clone();
        let in_flight = self.in_flight.clone();
        let task_key = key.clone();
        // Hold the lock while spawning so the task cannot finish before it is registered.
        let mut map = lock(&self.in_flight);
        let handle = self.tasks.spawn(async move {
            let response = dispatcher.call(&id, &method, params.as_deref()).await;
            // Whoever removes the entry answers: this task, or the cancel handler.
            let still_ours = lock(&in_flight).remove(&task_key).is_some();
            if still_ours {
                outbox.send_reply(response);
            }
        });
        if map.insert(key.clone(), handle).is_some() {
            tracing::warn!(
                "request id {key} reused while still in flight; only the newest can be cancelled"
            );
        }
    }

    /// Handles a notification; returns an exit code for `exit`.
    async fn notification(&mut self, method: &str, params: Option<&RawValue>) -> Option<i32> {
        match method {
            "exit" => Some((self.hooks.exit_code)()),
            "$/cancelRequest" => {
                let id = params
                    .and_then(|p| serde_json::from_str::<Value>(p.get()).ok())
                    .and_then(|p| p.get("id").cloned());
                if let Some(id) = id {
                    let handle = lock(&self.in_flight).remove(&id.to_string());
                    if let Some(handle) = handle {
                        handle.abort();
                        self.outbox.send_text(error_response(
                            &id.to_string(),
                            codes::REQUEST_CANCELLED,
                            "request cancelled by the client",
                            Some(serde_json::json!({"kind": "cancelled"})),
                        ));
                    }
                }
                None
            }
            "initialized" => None,
            other => {
                if !self.dispatcher.notify(other, params).await {
                    tracing::debug!("ignoring notification {other}");
                }
                None
            }
        }
    }
}
