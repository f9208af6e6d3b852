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

    /// Waits until no task runs — tasks started meanwhile (a refresh's cache write) included —
    /// or until `deadline`. Returns how many finished and whether none is left.
    async fn wait_idle(&self, deadline: tokio::time::Instant) -> (usize, bool) {
        let mut finished = 0;
        loop {
            let mut tasks: Vec<JoinHandle<()>> = {
                let mut t = self.tasks.lock().unwrap_or_else(|p| p.into_inner());
                t.drain(..).filter(|h| !h.is_finished()).collect()
            };
            if tasks.is_empty() {
                return (finished, true);
            }
            let waited = tokio::time::timeout_at(deadline, async {
                for t in tasks.iter_mut() {
                    let _ = t.await;
                }
            })
            .await;
            let before = tasks.len();
            tasks.retain(|h| !h.is_finished());
            finished += before - tasks.len();
            if waited.is_err() {
                self.tasks
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .extend(tasks);
                return (finished, false);
            }
        }
    }

    /// Waits up to `limit` for the running tasks, stopping none; true when none is left.
    pub async fn settle(&self, limit: Duration) -> bool {
        self.wait_idle(tokio::time::Instant::now() + limit).await.1
    }

    /// Waits up to `limit` for the running tasks (and those they start) to finish, then stops
    /// the rest. Returns how many finished in time and how many were stopped.
    pub async fn finish(&self, limit: Duration) -> (usize, usize) {
        let (finished, idle) = self.wait_idle(tokio::time::Instant::now() + limit).await;
        if idle {
            return (finished, 0);
        }
        let mut tasks = self.tasks.lock().unwrap_or_else(|p| p.into_inner());
        let mut stopped = 0;
        for h in tasks.drain(..) {
            if !h.is_finished() {
                stopped += 1;
            }
            h.abort();
        }
        (finished, stopped)
    }

    /// Stops every task at once (exit).
    pub fn stop(&self) {
        let mut tasks = self.tasks.lock().unwrap_or_else(|p| p.into_inner());
        for h in tasks.drain(..) {
            h.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};

    #[tokio::test]
    async fn finish_waits_for_work_started_by_the_work_it_waits_for() {
        let bg = Arc::new(Background::default());
        let written = Arc::new(AtomicBool::new(false));
        let (inner, flag) = (bg.clone(), written.clone());
        bg.spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            // a refresh that ends by starting its cache write
            inner.spawn(async move {
                tokio::time::sleep(Duration::from_millis(20)).await;
                flag.store(true, Ordering::SeqCst);
            });
        });
        assert!(!bg.settle(Duration::from_millis(5)).await, "still running");
        assert_eq!(bg.finish(Duration::from_secs(5)).await, (2, 0));
        assert!(
            written.load(Ordering::SeqCst),
            "the write started during finish ran"
        );
    }

    #[tokio::test]
    async fn finish_stops_what_outlives_the_limit() {
        let bg = Background::default();
        bg.spawn(tokio::time::sleep(Duration::from_secs(60)));
        assert_eq!(bg.finish(Duration::from_millis(20)).await, (0, 1));
        assert_eq!(bg.running(), 0);
    }
}
