//! CPU-heavy work (password hashing, photo decoding) runs on actix's blocking pool, a bounded number at
//! once, so a storm of it leaves cores for everything else.

use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::error::AppError;

#[derive(Clone)]
pub struct BoundedBlocking {
    permits: Arc<Semaphore>,
}

impl BoundedBlocking {
    pub fn new(concurrency: usize) -> Self {
        BoundedBlocking { permits: Arc::new(Semaphore::new(concurrency)) }
    }

    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, AppError> {
        // Waiting for a permit is an await, not a blocked thread: other requests are served meanwhile.
        let _permit = self.permits.acquire().await.map_err(|_| AppError::Internal("blocking work closed".into()))?;
        actix_web::web::block(work).await.map_err(|err| AppError::Internal(format!("blocking task: {err}")))?
    }
}
