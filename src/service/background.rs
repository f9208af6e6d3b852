//! Work the service does on its own: background refreshes (tracked so the process can wait for
//! them, bounded, or stop them at exit) and the notifier through which it tells its client that
//! something changed. The notifier is handed in at construction (as `tower-lsp` hands its
//! backend a `Client`), so the service never knows the transport.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::task::JoinHandle;

/// The function a notifier sends through: method name and params.
type SendFn = Arc<dyn Fn(&str, Value) + Send + Sync>;

/// Sends server → client notifications (`models/changed`); a no-op for one-shot calls.
#[derive(Clone)]
pub struct Notifier(Option<SendFn>);

impl Notifier {
    /// A notifier that hands each notification to `send`.
    pub fn new(send: impl Fn(&str, Value) + Send + Sync + 'static) -> Notifier {
        Notifier(Some(Arc::new(send)))
    }

    /// A notifier that drops everything (the CLI's one-shot `call`).
    pub fn none() -> Notifier {
        Notifier(None)
    }

    /// Whether notifications reach a client (false for one-shot calls).
    pub fn connected(&self) -> bool {
        self.0.is_some()
    }

    /// Sends one notification.
    pub fn notify(&self, method: &str, params: Value) {
        if let Some(send) = &self.0 {
            send(method, params);
        }
    }
}

/// Background tasks in flight. A std mutex held only to push, prune or drain.
#[derive(Default)]
pub struct Background {
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl Background {
    /// Starts `work` in the background and remembers it; forgets finished tasks.
    pub fn spawn<F>(&self, work: F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        let handle = tokio::spawn(work);
        let mut tasks = self.tasks.lock().unwrap_or_else(|p| p.into_inner());
        tasks.retain(|h| !h.is_finished());
        tasks.push(handle);
    }

    /// How many tasks are still running.
    pub fn running(&self) -> usize {
        let tasks = self.tasks.lock().unwrap_or_else(|p| p.into_inner());
        tasks.iter().filter(|h| !h.is_finished()).count()
    }

    /// Waits up to `limit` for the running tasks, stopping none; true when none is left.
    pub async fn settle(&self, limit: Duration) -> bool {
        let mut tasks: Vec<JoinHandle<()>> = {
            let mut t = self.tasks.lock().unwrap_or_else(|p| p.into_inner());
            t.drain(..).filter(|h| !h.is_finished()).collect()
        };
        let _ = tokio::time::timeout(limit, async {
            for t in tasks.iter_mut() {
                let _ = t.await;
            }
        })
        .await;
        tasks.retain(|h| !h.is_finished());
        let idle = tasks.is_empty();
        self.tasks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(tasks);
        idle && self.running() == 0
    }

    /// Waits up to `limit` for the running tasks to finish, then stops the rest. Returns how
    /// many finished in time and how many were stopped.
    pub async fn finish(&self, limit: Duration) -> (usize, usize) {
        let tasks: Vec<JoinHandle<()>> = {
            let mut t = self.tasks.lock().unwrap_or_else(|p| p.into_inner());
            t.drain(..).filter(|h| !h.is_finished()).collect()
        };
        let aborts: Vec<_> = tasks.iter().map(JoinHandle::abort_handle).collect();
        let total = tasks.len();
        let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = done.clone();
        let all = async move {
            for t in tasks {
                let _ = t.await;
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        };
        let _ = tokio::time::timeout(limit, all).await;
        for a in aborts {
            a.abort();
        }
        let finished = done.load(std::sync::atomic::Ordering::SeqCst);
        (finished, total - finished)
    }

    /// Stops every task at once (exit).
    pub fn stop(&self) {
        let mut tasks = self.tasks.lock().unwrap_or_else(|p| p.into_inner());
        for h in tasks.drain(..) {
            h.abort();
        }
    }
}
