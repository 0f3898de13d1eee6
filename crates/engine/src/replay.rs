//! Replaying a record file through the connector's write path, without a broker: the same
//! tables (prepared or created as `run` does), decoding, batching, pipelined writes and
//! fenced offsets as `Connector::run`, with the records taken from a file instead of the
//! consumer. The benchmark measures inlet's own speed with it.

use std::io::Read;
use std::sync::Arc;

use inlet_postgres::load_offsets;
use inlet_registry::RegistryClient;
use tokio::sync::watch;

use crate::connector::{Connector, FileSource, Run, RunError};
use crate::progress::Progress;
use crate::record_file::RecordFileReader;

/// What a replay stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReplaySummary {
    /// Records read from the file.
    pub records: u64,
    /// Records skipped: below the stored offset of their partition.
    pub skipped: u64,
    /// Rows stored.
    pub rows: u64,
    /// Dead letters stored.
    pub dead_letters: u64,
    /// Transactions committed.
    pub batches: u64,
    /// From the call to the first record read: connecting, reading (or creating) the
    /// tables.
    pub setup: std::time::Duration,
}

impl Connector {
    /// Stores the records of `file`, records of the connector's topic `topic`, exactly as
    /// `run` stores what it reads (the same loop, over a [`FileSource`]): records below a
    /// partition's stored offset are skipped, and each batch advances the stored offsets in
    /// its transaction.
    ///
    /// # Errors
    /// What stops `run` ([`RunError`]), without its retries; [`RunError::Replay`] for a
    /// file that cannot be read, a topic that is not the connector's, or another worker
    /// storing offsets of the topic meanwhile.
    pub async fn replay<R: Read>(
        self,
        topic: &str,
        file: RecordFileReader<R>,
    ) -> Result<ReplaySummary, RunError> {
        let started = std::time::Instant::now();
        let name = self.config.name.clone();
        let database_error = |source| RunError::Database {
            connector: name.clone(),
            source,
        };
        let registry = RegistryClient::new(self.config.registry.clone()).map_err(|source| {
            RunError::RegistrySettings {
                connector: name.clone(),
                source: Box::new(source),
            }
        })?;
        let mut client = self.database.connect().await.map_err(database_error)?;
        let targets = self.setup(&mut client, &registry).await?;
        let t = targets
            .iter()
            .position(|target| target.config.topic == topic)
            .ok_or_else(|| RunError::Replay {
                connector: name.clone(),
                message: format!("topic {topic} is not one of the connector's topics"),
            })?;
        let stored = load_offsets(&client, &name, topic)
            .await
            .map_err(database_error)?;
        let source = FileSource {
            file,
            connector: name.clone(),
            topic: (t, topic.to_owned()),
            stored,
            records: 0,
            skipped: 0,
        };
        let progress = Arc::new(Progress::default());
        // Never paused nor shut down: a replay runs to the end of its file.
        let (_keep, pause) = watch::channel(false);
        let (_keep_running, mut shutdown) = watch::channel(false);
        let setup = started.elapsed();
        let mut run = Run::new(&self, source, registry, targets, progress.clone(), pause);
        run.run(&mut shutdown, &mut Some(client)).await?;
        let counts = progress.counts();
        Ok(ReplaySummary {
            records: run.source.records,
            skipped: run.source.skipped,
            rows: counts.rows,
            dead_letters: counts.dead_letters,
            batches: counts.batches,
            setup,
        })
    }
}
