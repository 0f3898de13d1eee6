//! Writing a batch exactly once: the rows (COPY BINARY into each target table), the dead
//! letters and the fenced advance of every partition's offset, in one transaction.
//!
//! A batch the database rejects (a constraint, a check, a trigger, a value it refuses) is
//! split in halves, in offset order, until the rejected records are alone; each of those
//! becomes a dead letter with the database's reason, and every other record lands. Each part
//! advances the offsets of its own records, so the invariant holds after every commit:
//! every offset below a partition's `next_offset` is a target row or a dead letter.

use std::collections::HashMap;
use std::ops::Range;

use bytes::Bytes;
use futures_util::SinkExt;
use inlet_avro::{COPY_HEADER, COPY_TRAILER};
use rustc_hash::FxHashMap;
use tokio_postgres::Client;

use crate::catalog::TableName;
use crate::ddl::{quote, quote_list};
use crate::error::{Error, Result};

/// A target table of a batch and the columns its rows fill, in COPY order.
#[derive(Debug, Clone)]
pub struct CopyTarget {
    /// The table.
    pub table: TableName,
    /// Its columns, in the order of the row fields.
    pub columns: Vec<String>,
    /// What the rows do to the table.
    pub write: WriteMode,
}

/// What a target's rows do to its table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteMode {
    /// COPY: each row is a new row.
    Append,
    /// Each row replaces the stored row with the same key (`ON CONFLICT (key)`), or is
    /// inserted; of several rows with one key, the last wins.
    Upsert {
        /// The key: the columns of a unique index of the table, among `columns`.
        key: Vec<String>,
    },
    /// Each row (its columns are the key) deletes the stored row with that key.
    Delete,
}

/// A record as read, kept in the batch's `raw` bytes (no allocation of its own) with
/// everything a dead letter needs to replay it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawRecord {
    /// The record's timestamp, milliseconds since 1970.
    pub timestamp_ms: Option<i64>,
    /// Where the raw key is in `Batch::raw`.
    pub key: Option<Range<usize>>,
    /// Where the raw value is in `Batch::raw`.
    pub value: Option<Range<usize>>,
    /// Where the headers are in `Batch::raw`, as a JSON array of `{"key": …, "value": …}`
    /// (text, or `\x…` hex); empty: no headers.
    pub headers_json: Range<usize>,
    /// The schema id of the frame, when it had one.
    pub schema_id: Option<u32>,
}

/// What a record became.
#[derive(Debug, Clone)]
pub enum EntryKind {
    /// A row for `targets[target]`, at `range` in the batch's row bytes.
    Row {
        /// Index into the batch's targets.
        target: usize,
        /// Where the row's bytes are.
        range: Range<usize>,
        /// The record, should the database refuse the row.
        raw: RawRecord,
    },
    /// A dead letter.
    Dead {
        /// The record.
        raw: RawRecord,
        /// Why it cannot be stored.
        reason: crate::dead_letters::Reason,
    },
}

/// One Kafka record of a batch.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Index into the batch's topics.
    pub topic: usize,
    /// The partition.
    pub partition: i32,
    /// The offset.
    pub offset: i64,
    /// Row or dead letter.
    pub kind: EntryKind,
}

/// Records of one or more partitions and tables, in offset order per partition.
#[derive(Debug, Default)]
pub struct Batch {
    /// The connector's name, the key of its offsets.
    pub connector: String,
    /// Topic names, indexed by `Entry::topic`.
    pub topics: Vec<String>,
    /// Target tables, indexed by `EntryKind::Row::target`.
    pub targets: Vec<CopyTarget>,
    /// The records.
    pub entries: Vec<Entry>,
    /// COPY BINARY rows, concatenated.
    pub rows: Vec<u8>,
    /// The records' raw keys, values and headers (see `RawRecord`), concatenated.
    pub raw: Vec<u8>,
    /// For each (topic index, partition) of the batch: the `next_offset` stored when the
    /// batch was read (None: no offset stored yet).
    pub starts: FxHashMap<(usize, i32), Option<i64>>,
}

/// How a write ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Committed; the next offset of every partition of the batch.
    Committed {
        /// Rows stored.
        rows: u64,
        /// Dead letters stored (the decoder's and the database's).
        dead_letters: u64,
        /// (topic index, partition) → next offset.
        next: FxHashMap<(usize, i32), i64>,
    },
    /// Another worker stored some of these offsets first (a rebalance): nothing of the rest
    /// of the batch was stored; read the offsets again and seek.
    Fenced {
        /// Rows stored by parts committed before the fence was hit.
        rows: u64,
        /// Dead letters stored by those parts.
        dead_letters: u64,
        /// Offsets advanced by those parts.
        next: FxHashMap<(usize, i32), i64>,
    },
}

/// Bytes per COPY message sent to the server.
const CHUNK: usize = 1 << 20;

impl Batch {
    /// Keeps a record's raw parts in the batch (`headers_json`: "" when it has none);
    /// returns where they are.
    pub fn keep_raw(
        &mut self,
        timestamp_ms: Option<i64>,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers_json: &str,
        schema_id: Option<u32>,
    ) -> RawRecord {
        let mut keep = |bytes: &[u8]| {
            let start = self.raw.len();
            self.raw.extend_from_slice(bytes);
            start..self.raw.len()
        };
        RawRecord {
            timestamp_ms,
            key: key.map(&mut keep),
            value: value.map(&mut keep),
            headers_json: keep(headers_json.as_bytes()),
            schema_id,
        }
    }

    /// The bytes the batch holds: rows and raw records.
    pub fn bytes(&self) -> usize {
        self.rows.len() + self.raw.len()
    }

    fn raw_part(&self, range: &Option<Range<usize>>) -> Option<&[u8]> {
        range.as_ref().and_then(|r| self.raw.get(r.clone()))
    }

    fn headers_json(&self, raw: &RawRecord) -> &str {
        match self.raw.get(raw.headers_json.clone()) {
            Some(b) if !b.is_empty() => std::str::from_utf8(b).unwrap_or("[]"),
            _ => "[]",
        }
    }

    /// Writes the batch; see the module docs.
    pub async fn write(&self, client: &mut Client) -> Result<Outcome> {
        let mut starts = self.starts.clone();
        let mut totals = (0u64, 0u64);
        let mut next = FxHashMap::default();
        let entries: Vec<&Entry> = self.entries.iter().collect();
        let fenced = self
            .write_part(client, &entries, &mut starts, &mut totals, &mut next)
            .await?;
        let (rows, dead_letters) = totals;
        Ok(if fenced {
            Outcome::Fenced {
                rows,
                dead_letters,
                next,
            }
        } else {
            Outcome::Committed {
                rows,
                dead_letters,
                next,
            }
        })
    }

    /// Commits `entries`, splitting on rejection; returns whether a fence was hit.
    async fn write_part(
        &self,
        client: &mut Client,
        entries: &[&Entry],
        starts: &mut FxHashMap<(usize, i32), Option<i64>>,
        totals: &mut (u64, u64),
        next: &mut FxHashMap<(usize, i32), i64>,
    ) -> Result<bool> {
        // Iterative over a stack of parts, so that splitting needs no recursion of futures.
        let mut stack: Vec<Vec<&Entry>> = vec![entries.to_vec()];
        while let Some(part) = stack.pop() {
            if part.is_empty() {
                continue;
            }
            match self.commit(client, &part, starts).await {
                Ok(Some((rows, dead, advanced))) => {
                    totals.0 += rows;
                    totals.1 += dead;
                    for (key, end) in advanced {
                        starts.insert(key, Some(end));
                        next.insert(key, end);
                    }
                }
                Ok(None) => return Ok(true),
                Err(e)
                    if e.is_row_refusal()
                        && part.iter().any(|e| matches!(e.kind, EntryKind::Row { .. })) =>
                {
                    if part.len() == 1 {
                        let EntryKind::Row { raw, .. } = &part[0].kind else {
                            unreachable!("a part with a row");
                        };
                        let entry = Entry {
                            topic: part[0].topic,
                            partition: part[0].partition,
                            offset: part[0].offset,
                            kind: EntryKind::Dead {
                                raw: raw.clone(),
                                reason: crate::dead_letters::Reason::new(
                                    crate::dead_letters::ReasonCode::DatabaseRefused,
                                    format!("the database refused the row: {e}"),
                                ),
                            },
                        };
                        tracing::warn!(
                            topic = %self.topics[entry.topic],
                            partition = entry.partition,
                            offset = entry.offset,
                            error = %e,
                            "the database refused a row; it goes to the dead letters"
                        );
                        match self.commit(client, &[&entry], starts).await? {
                            Some((rows, dead, advanced)) => {
                                totals.0 += rows;
                                totals.1 += dead;
                                for (key, end) in advanced {
                                    starts.insert(key, Some(end));
                                    next.insert(key, end);
                                }
                            }
                            None => return Ok(true),
                        }
                    } else {
                        let (first, second) = part.split_at(part.len() / 2);
                        // LIFO: push the second half first so the first is written first.
                        stack.push(second.to_vec());
                        stack.push(first.to_vec());
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Ok(false)
    }

    /// One transaction for `part`. `Ok(None)` when fenced (rolled back).
    async fn commit(
        &self,
        client: &mut Client,
        part: &[&Entry],
        starts: &FxHashMap<(usize, i32), Option<i64>>,
    ) -> Result<Option<(u64, u64, Vec<((usize, i32), i64)>)>> {
        let tx = client
            .transaction()
            .await
            .map_err(|e| Error::query("starting a transaction", e))?;
        let mut rows = 0;
        for (index, target) in self.targets.iter().enumerate() {
            if target.write != WriteMode::Append {
                continue;
            }
            let mine: Vec<&Range<usize>> = part
                .iter()
                .filter_map(|e| match &e.kind {
                    EntryKind::Row { target, range, .. } if *target == index => Some(range),
                    _ => None,
                })
                .collect();
            if mine.is_empty() {
                continue;
            }
            rows += self.copy(&tx, target, &mine).await?;
        }
        rows += self.keyed(&tx, part).await?;
        let dead_letters = self.dead_letters(&tx, part).await?;
        // The fenced advance of every partition of the part, in first-seen order.
        let mut ends: Vec<((usize, i32), i64)> = Vec::new();
        for entry in part {
            let key = (entry.topic, entry.partition);
            match ends.iter_mut().find(|(k, _)| *k == key) {
                Some((_, end)) => *end = (*end).max(entry.offset + 1),
                None => ends.push((key, entry.offset + 1)),
            }
        }
        for ((topic, partition), end) in &ends {
            let topic_name = &self.topics[*topic];
            let updated = match starts.get(&(*topic, *partition)).copied().flatten() {
                Some(start) => {
                    tx.execute(
                        include_str!("sql/offsets_advance.sql"),
                        &[&self.connector, topic_name, partition, &start, end],
                    )
                    .await
                }
                None => {
                    tx.execute(
                        include_str!("sql/offsets_insert.sql"),
                        &[&self.connector, topic_name, partition, end],
                    )
                    .await
                }
            }
            .map_err(|e| Error::query("advancing the stored offsets", e))?;
            if updated == 0 {
                tx.rollback()
                    .await
                    .map_err(|e| Error::query("rolling back a fenced batch", e))?;
                tracing::info!(
                    topic = %topic_name,
                    partition,
                    "another worker stored these offsets first; the batch is dropped and the partition re-read"
                );
                return Ok(None);
            }
        }
        tx.commit()
            .await
            .map_err(|e| Error::query("committing the batch", e))?;
        Ok(Some((rows, dead_letters, ends)))
    }

    /// The dead letters of `part`, in one statement.
    async fn dead_letters(
        &self,
        tx: &tokio_postgres::Transaction<'_>,
        part: &[&Entry],
    ) -> Result<u64> {
        let mut topics = Vec::new();
        let mut partitions = Vec::new();
        let mut offsets = Vec::new();
        let mut timestamps = Vec::new();
        let mut keys = Vec::new();
        let mut values = Vec::new();
        let mut headers = Vec::new();
        let mut schema_ids = Vec::new();
        let mut errors = Vec::new();
        let mut codes = Vec::new();
        for entry in part {
            let EntryKind::Dead { raw, reason } = &entry.kind else {
                continue;
            };
            topics.push(self.topics[entry.topic].as_str());
            partitions.push(entry.partition);
            offsets.push(entry.offset);
            timestamps.push(raw.timestamp_ms.map(|t| t as f64));
            keys.push(self.raw_part(&raw.key));
            values.push(self.raw_part(&raw.value));
            headers.push(self.headers_json(raw));
            schema_ids.push(raw.schema_id.map(i64::from));
            // PostgreSQL's text cannot hold NUL, which a reason quoting a raw key may.
            errors.push(if reason.text.contains('\0') {
                std::borrow::Cow::Owned(reason.text.replace('\0', "\\0"))
            } else {
                std::borrow::Cow::Borrowed(reason.text.as_str())
            });
            codes.push(reason.code.as_str());
        }
        if topics.is_empty() {
            return Ok(0);
        }
        tx.execute(
            include_str!("sql/dead_letter_insert.sql"),
            &[
                &self.connector,
                &topics,
                &partitions,
                &offsets,
                &timestamps,
                &keys,
                &values,
                &headers,
                &schema_ids,
                &errors.iter().map(|e| e.as_ref()).collect::<Vec<&str>>(),
                &codes,
            ],
        )
        .await
        .map_err(|e| Error::query("storing dead letters", e))
    }

    /// The upserts and deletes of `part`: per table, in record order, each run of rows of
    /// one target staged and applied, so that a key's last record wins.
    async fn keyed(&self, tx: &tokio_postgres::Transaction<'_>, part: &[&Entry]) -> Result<u64> {
        let keyed: Vec<(usize, &Range<usize>)> = part
            .iter()
            .filter_map(|e| match &e.kind {
                EntryKind::Row { target, range, .. }
                    if self.targets[*target].write != WriteMode::Append =>
                {
                    Some((*target, range))
                }
                _ => None,
            })
            .collect();
        let mut tables: Vec<&TableName> = Vec::new();
        for (t, _) in &keyed {
            if !tables.contains(&&self.targets[*t].table) {
                tables.push(&self.targets[*t].table);
            }
        }
        let mut stored = 0;
        let mut stages = 0;
        for table in tables {
            let mine: Vec<&(usize, &Range<usize>)> = keyed
                .iter()
                .filter(|(t, _)| &self.targets[*t].table == table)
                .collect();
            for run in mine.chunk_by(|a, b| a.0 == b.0) {
                let ranges: Vec<&Range<usize>> = run.iter().map(|(_, r)| *r).collect();
                stored += ranges.len() as u64;
                stages += 1;
                self.keyed_run(tx, run[0].0, ranges, stages).await?;
            }
        }
        Ok(stored)
    }

    /// One run of rows of `target` (an upsert or delete target), staged in temporary table
    /// number `stage` of the transaction and applied to the table.
    async fn keyed_run(
        &self,
        tx: &tokio_postgres::Transaction<'_>,
        target: usize,
        ranges: Vec<&Range<usize>>,
        stage: usize,
    ) -> Result<()> {
        let target = &self.targets[target];
        // Of several rows of one key, the last wins (ON CONFLICT may not touch a
        // row twice in one statement); deleting a key twice is harmless.
        let ranges = match &target.write {
            WriteMode::Upsert { key } => {
                let before = ranges.len();
                let ranges = self.last_of_each_key(&target.columns, key, ranges);
                // New keys, one record each (time series, events): COPY straight into the
                // table; a key already stored fails the COPY (unique violation), which is
                // undone to its savepoint and the run staged as below.
                if ranges.len() == before && self.copy_new_keys(tx, target, &ranges).await? {
                    return Ok(());
                }
                ranges
            }
            _ => ranges,
        };
        let stage = format!("pg_temp.\"__inlet_stage_{stage}\"");
        let columns = quote_list(&target.columns);
        let action = || format!("staging rows for {}", target.table);
        tx.batch_execute(
            &include_str!("sql/stage_create.sql")
                .replace("{stage}", &stage)
                .replace("{columns}", &columns)
                .replace("{table}", &target.table.quoted()),
        )
        .await
        .map_err(|e| Error::query(action(), e))?;
        self.copy_into(tx, &stage, &target.columns, &ranges, action)
            .await?;
        let apply = match &target.write {
            WriteMode::Upsert { key } => {
                let others: Vec<String> = target
                    .columns
                    .iter()
                    .filter(|c| !key.contains(c))
                    .map(|c| format!("{} = EXCLUDED.{}", quote(c), quote(c)))
                    .collect();
                let action = if others.is_empty() {
                    "NOTHING".to_owned()
                } else {
                    format!("UPDATE SET {}", others.join(", "))
                };
                include_str!("sql/stage_upsert.sql")
                    .replace("{columns}", &columns)
                    .replace("{key}", &quote_list(key))
                    .replace("{action}", &action)
            }
            WriteMode::Delete => {
                let matches: Vec<String> = target
                    .columns
                    .iter()
                    .map(|c| format!("t.{} = s.{}", quote(c), quote(c)))
                    .collect();
                include_str!("sql/stage_delete.sql").replace("{matches}", &matches.join(" AND "))
            }
            WriteMode::Append => unreachable!("append targets are copied directly"),
        };
        tx.execute(
            &apply
                .replace("{stage}", &stage)
                .replace("{table}", &target.table.quoted()),
            &[],
        )
        .await
        .map_err(|e| Error::query(format!("applying staged rows to {}", target.table), e))?;
        Ok(())
    }

    /// Upsert rows of distinct keys COPYed into `target`'s table under a savepoint: true
    /// when every key was new (the rows are stored, as the staged `INSERT … ON CONFLICT`
    /// would store them), false when the COPY failed — a key stored already (PostgreSQL's
    /// unique violation, 23505) or anything else: everything since the savepoint is undone,
    /// for the staged way to apply.
    ///
    /// # Errors
    /// The database unreachable (the savepoint cannot be set or rolled back to).
    async fn copy_new_keys(
        &self,
        tx: &tokio_postgres::Transaction<'_>,
        target: &CopyTarget,
        ranges: &[&Range<usize>],
    ) -> Result<bool> {
        if target.columns.is_empty() {
            return Ok(false);
        }
        let action = || format!("copying rows of new keys into {}", target.table);
        tx.batch_execute(include_str!("sql/savepoint_new_keys.sql"))
            .await
            .map_err(|e| Error::query(action(), e))?;
        match self
            .copy_into(tx, &target.table.quoted(), &target.columns, ranges, action)
            .await
        {
            Ok(_) => {
                tx.batch_execute(include_str!("sql/savepoint_new_keys_release.sql"))
                    .await
                    .map_err(|e| Error::query(action(), e))?;
                Ok(true)
            }
            // A stored key (unique violation), or anything else COPY may meet where the
            // staged INSERT would not (row-level security refusing COPY, an exclusion
            // constraint checked before the key's index): undone to the savepoint, and the
            // staged way gives the answer — rows, rejections and errors as before.
            Err(e) => match tx
                .batch_execute(include_str!("sql/savepoint_new_keys_rollback.sql"))
                .await
            {
                Ok(()) => {
                    if e.sqlstate() != Some(UNIQUE_VIOLATION) {
                        tracing::debug!(table = %target.table, error = %e, "COPY of new keys refused: staged instead");
                    }
                    Ok(false)
                }
                // The connection itself failed: the error of the COPY says why.
                Err(_) => Err(e),
            },
        }
    }

    /// `ranges` (COPY rows of `columns`, in record order) without the rows that a later
    /// row of the same `key` replaces; the order of the rest is kept. Rows whose fields
    /// cannot be read are kept, for the database to judge.
    fn last_of_each_key<'r>(
        &self,
        columns: &[String],
        key: &[String],
        ranges: Vec<&'r Range<usize>>,
    ) -> Vec<&'r Range<usize>> {
        let positions: Vec<usize> = key
            .iter()
            .filter_map(|k| columns.iter().position(|c| c == k))
            .collect();
        if positions.len() != key.len() {
            return ranges; // a key column the rows lack: the database judges
        }
        let keys: Vec<Option<Vec<u8>>> = ranges
            .iter()
            .map(|r| {
                self.rows
                    .get((*r).clone())
                    .and_then(|row| row_key(row, &positions))
            })
            .collect();
        let mut last: HashMap<&[u8], usize> = HashMap::with_capacity(keys.len());
        for (i, k) in keys.iter().enumerate() {
            if let Some(k) = k {
                last.insert(k.as_slice(), i);
            }
        }
        ranges
            .iter()
            .zip(&keys)
            .enumerate()
            .filter(|(i, (_, k))| k.as_ref().is_none_or(|k| last.get(k.as_slice()) == Some(i)))
            .map(|(_, (r, _))| *r)
            .collect()
    }

    pub(crate) async fn copy(
        &self,
        tx: &tokio_postgres::Transaction<'_>,
        target: &CopyTarget,
        rows: &[&Range<usize>],
    ) -> Result<u64> {
        if target.columns.is_empty() {
            // Rows of no column (a record with no fields): COPY takes no empty column list,
            // so as many rows of defaults are inserted.
            let count = i64::try_from(rows.len()).unwrap_or(i64::MAX);
            return tx
                .execute(
                    &include_str!("sql/insert_default_rows.sql")
                        .replace("{table}", &target.table.quoted()),
                    &[&count],
                )
                .await
                .map_err(|e| Error::query(format!("inserting rows into {}", target.table), e));
        }
        self.copy_into(tx, &target.table.quoted(), &target.columns, rows, || {
            format!("copying rows into {}", target.table)
        })
        .await
    }

    /// COPY of `rows` into `table` (quoted), in chunks of about [`CHUNK`] bytes.
    async fn copy_into(
        &self,
        tx: &tokio_postgres::Transaction<'_>,
        table: &str,
        columns: &[String],
        rows: &[&Range<usize>],
        action: impl Fn() -> String,
    ) -> Result<u64> {
        let statement = format!(
            "COPY {table} ({}) FROM STDIN (FORMAT binary)",
            quote_list(columns)
        );
        let sink = tx
            .copy_in(&statement)
            .await
            .map_err(|e| Error::query(action(), e))?;
        futures_util::pin_mut!(sink);
        let mut chunk = Vec::with_capacity(CHUNK + 4096);
        chunk.extend_from_slice(COPY_HEADER);
        for range in rows {
            chunk.extend_from_slice(&self.rows[(*range).clone()]);
            if chunk.len() >= CHUNK {
                let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK + 4096));
                sink.send(Bytes::from(full))
                    .await
                    .map_err(|e| Error::query(action(), e))?;
            }
        }
        chunk.extend_from_slice(COPY_TRAILER);
        sink.send(Bytes::from(chunk))
            .await
            .map_err(|e| Error::query(action(), e))?;
        sink.finish().await.map_err(|e| Error::query(action(), e))
    }
}

/// The fields at `positions` of a COPY BINARY row (field count, then each field's length,
/// -1 for NULL, and bytes), length-prefixed and concatenated; None if the row is malformed.
fn row_key(row: &[u8], positions: &[usize]) -> Option<Vec<u8>> {
    let count = usize::try_from(i16::from_be_bytes(row.get(..2)?.try_into().ok()?)).ok()?;
    let mut fields = Vec::with_capacity(count);
    let mut at = 2;
    for _ in 0..count {
        let length = i32::from_be_bytes(row.get(at..at + 4)?.try_into().ok()?);
        let end = at + 4 + usize::try_from(length).unwrap_or(0);
        fields.push(row.get(at..end)?);
        at = end;
    }
    let mut key = Vec::new();
    for &p in positions {
        key.extend_from_slice(fields.get(p)?);
    }
    Some(key)
}

/// PostgreSQL's unique_violation: a key stored already.
const UNIQUE_VIOLATION: &str = "23505";

#[cfg(test)]
mod tests {
    use super::row_key;

    /// A COPY row of the given fields (None: NULL).
    fn row(fields: &[Option<&[u8]>]) -> Vec<u8> {
        let mut out = (fields.len() as i16).to_be_bytes().to_vec();
        for f in fields {
            match f {
                Some(b) => {
                    out.extend_from_slice(&(b.len() as i32).to_be_bytes());
                    out.extend_from_slice(b);
                }
                None => out.extend_from_slice(&(-1i32).to_be_bytes()),
            }
        }
        out
    }

    #[test]
    fn a_key_is_its_fields_with_their_lengths() {
        let a = row(&[Some(b"ab"), Some(b"c"), None]);
        let b = row(&[Some(b"a"), Some(b"bc"), None]);
        // The same bytes split differently are different keys.
        assert_ne!(row_key(&a, &[0, 1]), row_key(&b, &[0, 1]));
        assert_eq!(row_key(&a, &[2]), row_key(&b, &[2]));
        assert_eq!(row_key(&a, &[1, 0]).unwrap().len(), 4 + 1 + 4 + 2);
    }

    #[test]
    fn a_malformed_row_has_no_key_and_no_panic() {
        let good = row(&[Some(b"abc"), Some(b"d")]);
        for cut in 0..good.len() {
            assert_eq!(row_key(&good[..cut], &[1]), None, "cut at {cut}");
        }
        assert_eq!(row_key(&good, &[5]), None);
        let mut huge = good.clone();
        huge[2..6].copy_from_slice(&i32::MAX.to_be_bytes());
        assert_eq!(row_key(&huge, &[0]), None);
    }
}
