//! Where a connector's records come from: [`RecordSource`], which the loop reads through.
//! The Kafka consumer of the connector's group ([`inlet_kafka::KafkaSource`]) is one; a
//! record file read through once ([`FileSource`], the replay) is the other.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::io::Read;

use inlet_kafka::{Changes, Held, Incoming, KafkaSource, Polled};
use rustc_hash::FxHashMap;

use super::RunError;
use crate::decode::{HeaderList, Headers, RawHeaders, Record};
use crate::record_file::{FileRecord, RecordFileReader};

/// What a source met.
pub(crate) enum Next<I> {
    /// A record at or above its partition's floor, to store.
    Record(I),
    /// Nothing to act on (look at [`RecordSource::take_changes`]).
    Nothing,
    /// No record will come any more: the source is read to its end.
    End,
    /// The connector cannot go on; the records handed over before are still stored.
    Stop(RunError),
}

/// A record as its source hands it over, seen as a [`Record`].
pub(crate) struct Item<'a> {
    /// Its topic's index in the connector's topics.
    pub(crate) topic: usize,
    /// Its partition's stored next offset when it was handed over (None: none stored).
    pub(crate) stored: Option<i64>,
    pub(crate) record: Record<'a>,
}

/// The records of a connector's topics, and where each partition stands.
pub(crate) trait RecordSource {
    /// A record handed over, borrowed from the source.
    type Incoming<'a>
    where
        Self: 'a;

    /// Waits for the next record at or above its partition's floor: `held(topic index,
    /// partition)`'s next offset, else the stored one. Cancel-safe.
    async fn next(&mut self, held: impl Fn(usize, i32) -> Held) -> Next<Self::Incoming<'_>>;

    /// The next record the source holds already, as `next` would hand it over, without
    /// waiting: None when it holds none now.
    fn try_next(&mut self, held: impl Fn(usize, i32) -> Held) -> Option<Next<Self::Incoming<'_>>>;

    /// The record in `incoming`.
    fn item<'a>(incoming: &'a Self::Incoming<'_>) -> Item<'a>;

    /// What changed since the last call: the partitions held, or their positions.
    fn take_changes(&mut self) -> Option<Changes>;

    /// The last warning since the last call: what holds the source up (retried).
    fn take_warning(&mut self) -> Option<String> {
        None
    }

    /// Each held partition's stored next offset (or the position an idle one passed it
    /// by), for lag.
    fn positions(&self) -> BTreeMap<(String, i32), i64>;

    /// Whether partition `partition` of topic index `t` is held.
    fn holds(&self, t: usize, partition: i32) -> bool;

    /// The stored offsets after a commit: (topic index, partition) → next offset.
    fn advance(&mut self, next: &FxHashMap<(usize, i32), i64>);

    /// Reads partition `partition` of topic index `t` again from `stored`, or, with none
    /// stored, from `first` (`i64::MAX`: left where it is); after a fence.
    fn seek_back(
        &mut self,
        t: usize,
        partition: i32,
        stored: Option<i64>,
        first: i64,
    ) -> Result<(), RunError>;

    /// Paused until `resume` completes; then every partition is read on from its stored
    /// offset.
    async fn pause_until(&mut self, resume: impl Future<Output = ()>) -> Result<(), RunError>;
}

/// The Kafka source, with its errors said as the connector's.
pub(crate) struct Kafka {
    pub(crate) source: KafkaSource,
    /// The connector, for its errors.
    pub(crate) connector: String,
}

/// A Kafka error that stops `connector`, as the connector's.
fn kafka_error(connector: &str, error: inlet_kafka::Error) -> RunError {
    let connector = connector.to_owned();
    match error {
        inlet_kafka::Error::Authentication { reason } => {
            RunError::KafkaAuthentication { connector, reason }
        }
        inlet_kafka::Error::Authorization { advice } => {
            RunError::KafkaAuthorization { connector, advice }
        }
        inlet_kafka::Error::OffsetsAhead {
            topic,
            partition,
            stored,
        } => RunError::OffsetsAhead {
            connector,
            topic,
            partition,
            stored,
        },
        source => RunError::Kafka { connector, source },
    }
}

/// What the consumer met, as the loop takes it.
fn polled_next<'a>(connector: &str, polled: Polled<'a>) -> Next<Incoming<'a>> {
    match polled {
        Polled::Record(incoming) => Next::Record(incoming),
        Polled::Nothing => Next::Nothing,
        Polled::Stop(e) => Next::Stop(kafka_error(connector, e)),
    }
}

impl RawHeaders for Incoming<'_> {
    fn parse(&self) -> HeaderList<'_> {
        self.headers()
    }
}

impl RecordSource for Kafka {
    type Incoming<'a> = Incoming<'a>;

    async fn next(&mut self, held: impl Fn(usize, i32) -> Held) -> Next<Incoming<'_>> {
        let polled = self.source.next(held).await;
        polled_next(&self.connector, polled)
    }

    fn try_next(&mut self, held: impl Fn(usize, i32) -> Held) -> Option<Next<Incoming<'_>>> {
        let polled = self.source.try_next(held)?;
        Some(polled_next(&self.connector, polled))
    }

    fn item<'a>(incoming: &'a Incoming<'_>) -> Item<'a> {
        Item {
            topic: incoming.topic,
            stored: incoming.stored,
            record: Record {
                topic: incoming.topic_name(),
                partition: incoming.partition(),
                offset: incoming.offset(),
                timestamp_ms: incoming.timestamp_ms(),
                key: incoming.key(),
                value: incoming.value(),
                headers: Headers::raw(incoming),
            },
        }
    }

    fn take_changes(&mut self) -> Option<Changes> {
        self.source.take_changes()
    }

    fn take_warning(&mut self) -> Option<String> {
        self.source.take_warning()
    }

    fn positions(&self) -> BTreeMap<(String, i32), i64> {
        self.source.positions()
    }

    fn holds(&self, t: usize, partition: i32) -> bool {
        self.source.holds(t, partition)
    }

    fn advance(&mut self, next: &FxHashMap<(usize, i32), i64>) {
        self.source.advance(next);
    }

    fn seek_back(
        &mut self,
        t: usize,
        partition: i32,
        stored: Option<i64>,
        first: i64,
    ) -> Result<(), RunError> {
        self.source
            .seek_back(t, partition, stored, first)
            .map_err(|e| kafka_error(&self.connector, e))
    }

    async fn pause_until(&mut self, resume: impl Future<Output = ()>) -> Result<(), RunError> {
        let result = self.source.pause_until(resume).await;
        result.map_err(|e| kafka_error(&self.connector, e))
    }
}

/// The records of one topic of a connector, from a record file, read through once: a
/// record below its partition's stored offset is skipped, and the source ends with the
/// file. Nothing else stores offsets of the topic meanwhile (a fence stops the replay).
pub(crate) struct FileSource<R: Read> {
    pub(crate) file: RecordFileReader<R>,
    /// The connector, for its errors.
    pub(crate) connector: String,
    /// The topic's index in the connector's topics, and its name.
    pub(crate) topic: (usize, String),
    /// partition → stored next offset.
    pub(crate) stored: HashMap<i32, i64>,
    /// Records read from the file.
    pub(crate) records: u64,
    /// Records skipped: below the stored offset of their partition.
    pub(crate) skipped: u64,
}

/// A record of a [`FileSource`].
pub(crate) struct FileIncoming<'a> {
    record: FileRecord<'a>,
    topic: (usize, &'a str),
    stored: Option<i64>,
}

impl<R: Read> FileSource<R> {
    /// The file's next record, judged as [`RecordSource::next`] says.
    fn read(&mut self, held: impl Fn(usize, i32) -> Held) -> Next<FileIncoming<'_>> {
        let (t, ref name) = self.topic;
        match self.file.next_record() {
            Err(source) => Next::Stop(RunError::ReplayFile {
                connector: self.connector.clone(),
                source,
            }),
            Ok(None) => Next::End,
            Ok(Some(record)) => {
                self.records += 1;
                let stored = self.stored.get(&record.partition).copied();
                let floor = held(t, record.partition).next.or(stored);
                if floor.is_some_and(|floor| record.offset < floor) {
                    self.skipped += 1;
                    return Next::Nothing;
                }
                Next::Record(FileIncoming {
                    record,
                    topic: (t, name),
                    stored,
                })
            }
        }
    }
}

impl<R: Read> RecordSource for FileSource<R> {
    type Incoming<'a>
        = FileIncoming<'a>
    where
        R: 'a;

    async fn next(&mut self, held: impl Fn(usize, i32) -> Held) -> Next<FileIncoming<'_>> {
        self.read(held)
    }

    fn try_next(&mut self, held: impl Fn(usize, i32) -> Held) -> Option<Next<FileIncoming<'_>>> {
        Some(self.read(held))
    }

    fn item<'a>(incoming: &'a FileIncoming<'_>) -> Item<'a> {
        let r = &incoming.record;
        Item {
            topic: incoming.topic.0,
            stored: incoming.stored,
            record: Record {
                topic: incoming.topic.1,
                partition: r.partition,
                offset: r.offset,
                timestamp_ms: r.timestamp_ms,
                key: r.key,
                value: r.value,
                headers: Headers::none(),
            },
        }
    }

    fn take_changes(&mut self) -> Option<Changes> {
        None
    }

    fn positions(&self) -> BTreeMap<(String, i32), i64> {
        BTreeMap::new()
    }

    fn holds(&self, t: usize, _partition: i32) -> bool {
        t == self.topic.0
    }

    fn advance(&mut self, next: &FxHashMap<(usize, i32), i64>) {
        for (&(t, partition), &offset) in next {
            if t == self.topic.0 {
                self.stored.insert(partition, offset);
            }
        }
    }

    fn seek_back(
        &mut self,
        _t: usize,
        _partition: i32,
        _stored: Option<i64>,
        _first: i64,
    ) -> Result<(), RunError> {
        Err(RunError::Replay {
            connector: self.connector.clone(),
            message: "another worker of this connector stored offsets of the topic meanwhile: stop it before replaying".into(),
        })
    }

    async fn pause_until(&mut self, resume: impl Future<Output = ()>) -> Result<(), RunError> {
        resume.await;
        Ok(())
    }
}
