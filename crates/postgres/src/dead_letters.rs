//! Dead letters as the API shows them (pages, filtered by reason or topic; the raw key and
//! value), and their replay: a record that now converts is stored and its dead letter
//! marked replayed in one transaction, so it becomes a row exactly once; one that still
//! fails keeps its new reason, with one more attempt.

use tokio_postgres::{Client, GenericClient};

use crate::batch::{Batch, EntryKind, WriteMode};
use crate::error::{Error, Result};

/// Why a record is a dead letter, as a code to filter and count by (the column
/// `inlet.dead_letters.reason_code`, with a CHECK of these codes, and the API's
/// `reason_code`); the sentence beside it (`error`) says the detail and what to do.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ReasonCode {
    /// The value is not in the Confluent wire format (magic byte 0, a 4-byte schema id).
    BadFrame,
    /// The schema id the record names is not in the schema registry.
    UnknownSchema,
    /// The record's schema cannot be read, or cannot fill the table (no column it fills,
    /// a NOT NULL column it leaves empty, a type that does not fit).
    UnusableSchema,
    /// The bytes do not decode by the record's schema (truncated, corrupt).
    MalformedValue,
    /// A value its column cannot take, where PostgreSQL would refuse it (out of range, NUL
    /// in text, an invalid date).
    ValueRefused,
    /// Columns take fields of the record's key, or a tombstone's key names the row to
    /// delete, and the key cannot give them.
    KeyUnusable,
    /// A tombstone (null value) that the insert mode does not act on, or one without a key.
    Tombstone,
    /// PostgreSQL refused the row when it was written (a constraint, a trigger).
    DatabaseRefused,
    /// Stored before reason codes (migration 11) with a sentence not recognised.
    Unclassified,
}

impl ReasonCode {
    /// Every code, in the order above.
    pub const ALL: [ReasonCode; 9] = [
        ReasonCode::BadFrame,
        ReasonCode::UnknownSchema,
        ReasonCode::UnusableSchema,
        ReasonCode::MalformedValue,
        ReasonCode::ValueRefused,
        ReasonCode::KeyUnusable,
        ReasonCode::Tombstone,
        ReasonCode::DatabaseRefused,
        ReasonCode::Unclassified,
    ];

    /// Its name, as stored and as the API sends it: `bad_frame`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ReasonCode::BadFrame => "bad_frame",
            ReasonCode::UnknownSchema => "unknown_schema",
            ReasonCode::UnusableSchema => "unusable_schema",
            ReasonCode::MalformedValue => "malformed_value",
            ReasonCode::ValueRefused => "value_refused",
            ReasonCode::KeyUnusable => "key_unusable",
            ReasonCode::Tombstone => "tombstone",
            ReasonCode::DatabaseRefused => "database_refused",
            ReasonCode::Unclassified => "unclassified",
        }
    }

    /// The code named `text`; None for another text.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

impl std::fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a record cannot be stored: its code and the sentence that says the detail and what
/// to do (`field reading: value 40000 cannot be stored in column reading (int2): …`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    /// The code, to filter by.
    pub code: ReasonCode,
    /// The sentence.
    pub text: String,
}

impl Reason {
    /// A reason of `code` that says `text`.
    pub fn new(code: ReasonCode, text: impl Into<String>) -> Self {
        Reason {
            code,
            text: text.into(),
        }
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// A dead letter, without its raw key and value (their sizes instead).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct DeadLetter {
    /// Its id (pages go by it).
    pub id: i64,
    /// Where the record was.
    pub topic: String,
    /// Where the record was.
    pub partition: i32,
    /// Where the record was.
    pub offset: i64,
    /// The record's timestamp, in milliseconds since the Unix epoch.
    #[schema(required = true)]
    pub timestamp_ms: Option<i64>,
    /// The raw key's size in bytes (None: a null key).
    #[schema(required = true)]
    pub key_bytes: Option<i32>,
    /// The raw value's size in bytes (None: a tombstone).
    #[schema(required = true)]
    pub value_bytes: Option<i32>,
    /// The headers, as a JSON array of `{"key", "value"}` (serialized as that JSON, not a
    /// string of it).
    #[serde(serialize_with = "as_json")]
    #[schema(value_type = Option<Vec<Object>>)]
    #[schema(required = true)]
    pub headers: Option<String>,
    /// The value's schema id, when it had a frame.
    #[schema(required = true)]
    pub schema_id: Option<i64>,
    /// Why it could not be stored (the latest reason, after a replay that failed).
    pub error: String,
    /// Why, as a code.
    pub reason_code: ReasonCode,
    /// When it was first stored, RFC 3339 in UTC.
    pub failed_at: String,
    /// When its record last failed (read again after an offset reset, or replayed), RFC
    /// 3339 in UTC; `failed_at` when it failed once.
    pub last_seen: String,
    /// How many times its record failed: 1, and one more each time it is met again or a
    /// replay fails.
    pub attempts: i32,
    /// When it was replayed into its table, RFC 3339 in UTC.
    #[schema(required = true)]
    pub replayed_at: Option<String>,
    /// How many replays were tried.
    pub replays: i32,
}

/// JSON text as the JSON it holds (null when it is not JSON).
fn as_json<S: serde::Serializer>(
    text: &Option<String>,
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    let value: Option<serde_json::Value> =
        text.as_deref().and_then(|t| serde_json::from_str(t).ok());
    serde::Serialize::serialize(&value, serializer)
}

/// Which dead letters a page holds.
#[derive(Debug, Clone, Default)]
pub struct DeadLetterFilter {
    /// Only those whose reason contains this text.
    pub reason: Option<String>,
    /// Only those of this reason code.
    pub reason_code: Option<ReasonCode>,
    /// Only those of this topic.
    pub topic: Option<String>,
    /// Those replayed too.
    pub replayed: bool,
    /// Ids after this one (the last id of the page before).
    pub after: i64,
    /// At most this many.
    pub limit: i64,
}

fn query(action: &'static str) -> impl Fn(tokio_postgres::Error) -> Error {
    move |e| Error::query(action, e)
}

/// A page of `connector`'s dead letters, by id.
pub async fn dead_letters(
    client: &impl GenericClient,
    connector: &str,
    filter: &DeadLetterFilter,
) -> Result<Vec<DeadLetter>> {
    let rows = client
        .query(
            include_str!("sql/dead_letters_page.sql"),
            &[
                &connector,
                &filter.after,
                &filter.reason,
                &filter.topic,
                &filter.replayed,
                &filter.limit,
                &filter.reason_code.map(ReasonCode::as_str),
            ],
        )
        .await
        .map_err(query("reading dead letters"))?;
    Ok(rows
        .iter()
        .map(|r| DeadLetter {
            id: r.get(0),
            topic: r.get(1),
            partition: r.get(2),
            offset: r.get(3),
            timestamp_ms: r.get(4),
            key_bytes: r.get(5),
            value_bytes: r.get(6),
            headers: r.get(7),
            schema_id: r.get(8),
            error: r.get(9),
            failed_at: r.get(10),
            replayed_at: r.get(11),
            replays: r.get(12),
            attempts: r.get(13),
            last_seen: r.get(14),
            reason_code: code_of(r.get(15)),
        })
        .collect())
}

/// The code stored as `text` (the column's CHECK takes only [`ReasonCode::ALL`]).
fn code_of(text: &str) -> ReasonCode {
    ReasonCode::parse(text).unwrap_or(ReasonCode::Unclassified)
}

/// `connector`'s dead letters not replayed (of code `code`, when given), counted by reason
/// (the sentence, with its code), the most first (at most 100 reasons).
pub async fn dead_letter_reasons(
    client: &impl GenericClient,
    connector: &str,
    code: Option<ReasonCode>,
) -> Result<Vec<(String, ReasonCode, i64)>> {
    let rows = client
        .query(
            include_str!("sql/dead_letters_reasons.sql"),
            &[&connector, &code.map(ReasonCode::as_str)],
        )
        .await
        .map_err(query("counting dead letters by reason"))?;
    Ok(rows
        .iter()
        .map(|r| (r.get(0), code_of(r.get(1)), r.get(2)))
        .collect())
}

/// `connector`'s dead letters not replayed, counted by reason code, the most first.
pub async fn dead_letter_codes(
    client: &impl GenericClient,
    connector: &str,
) -> Result<Vec<(ReasonCode, i64)>> {
    let rows = client
        .query(include_str!("sql/dead_letters_codes.sql"), &[&connector])
        .await
        .map_err(query("counting dead letters by reason code"))?;
    Ok(rows.iter().map(|r| (code_of(r.get(0)), r.get(1))).collect())
}

/// How many of `connector`'s dead letters wait (not replayed), counted in the table: what
/// the connector's figures show, whether its tasks run or not.
pub async fn dead_letters_waiting(client: &impl GenericClient, connector: &str) -> Result<i64> {
    let row = client
        .query_one(include_str!("sql/dead_letters_waiting.sql"), &[&connector])
        .await
        .map_err(query("counting dead letters"))?;
    Ok(row.get(0))
}

/// Which of a connector's dead letters to discard.
#[derive(Debug, Clone, Copy)]
pub enum Discard<'a> {
    /// These ids (replayed or not); ids of no dead letter of the connector are passed over.
    Ids(&'a [i64]),
    /// Every one not replayed whose reason is this text, as [`dead_letter_reasons`] gives it.
    Reason(&'a str),
}

/// Removes `connector`'s dead letters chosen by `which`, and records who did in
/// `inlet.audit` (action `discard N dead letters`), in one transaction. Returns how many
/// went. The records stay in Kafka: an offset reset reads them again.
///
/// # Errors
/// [`Error::Query`] when the database fails.
pub async fn discard_dead_letters(
    client: &mut Client,
    connector: &str,
    which: Discard<'_>,
    who: crate::control::Actor<'_>,
) -> Result<u64> {
    let action = "discarding dead letters";
    let tx = client.transaction().await.map_err(query(action))?;
    let discarded = match which {
        Discard::Ids(ids) => {
            tx.execute(
                include_str!("sql/dead_letters_discard_ids.sql"),
                &[&connector, &ids],
            )
            .await
        }
        Discard::Reason(reason) => {
            tx.execute(
                include_str!("sql/dead_letters_discard_reason.sql"),
                &[&connector, &reason],
            )
            .await
        }
    }
    .map_err(query(action))?;
    if discarded > 0 {
        let what = match which {
            Discard::Ids(_) => format!("discard {discarded} dead letters"),
            Discard::Reason(_) => format!("discard {discarded} dead letters of one reason"),
        };
        tx.execute(
            include_str!("sql/control_audit.sql"),
            &[&who.0, &what, &connector, &None::<i64>, &None::<i64>],
        )
        .await
        .map_err(query("recording the discard in inlet.audit"))?;
    }
    tx.commit().await.map_err(query(action))?;
    Ok(discarded)
}

/// The raw (key, value) of `connector`'s dead letter `id`; None: no such dead letter.
#[allow(clippy::type_complexity)]
pub async fn dead_letter_raw(
    client: &impl GenericClient,
    connector: &str,
    id: i64,
) -> Result<Option<(Option<Vec<u8>>, Option<Vec<u8>>)>> {
    let row = client
        .query_opt(include_str!("sql/dead_letter_raw.sql"), &[&connector, &id])
        .await
        .map_err(query("reading a dead letter"))?;
    Ok(row.map(|r| (r.get(0), r.get(1))))
}

/// A dead letter's record, to replay.
#[derive(Debug, Clone)]
pub struct StoredRecord {
    /// The dead letter's id.
    pub id: i64,
    /// Where the record was.
    pub topic: String,
    /// Where the record was.
    pub partition: i32,
    /// Where the record was.
    pub offset: i64,
    /// The record's timestamp, milliseconds since the Unix epoch.
    pub timestamp_ms: Option<i64>,
    /// The raw key.
    pub key: Option<Vec<u8>>,
    /// The raw value.
    pub value: Option<Vec<u8>>,
    /// The headers, a JSON array of `{"key", "value"}` (text, or `\x…` hex).
    pub headers: Option<String>,
}

/// `connector`'s dead letters among `ids` not yet replayed, with their records, in
/// (topic, partition, offset) order.
pub async fn load_dead_letters(
    client: &impl GenericClient,
    connector: &str,
    ids: &[i64],
) -> Result<Vec<StoredRecord>> {
    let rows = client
        .query(
            include_str!("sql/dead_letters_load.sql"),
            &[&connector, &ids],
        )
        .await
        .map_err(query("reading dead letters to replay"))?;
    Ok(rows
        .iter()
        .map(|r| StoredRecord {
            id: r.get(0),
            topic: r.get(1),
            partition: r.get(2),
            offset: r.get(3),
            timestamp_ms: r.get(4),
            key: r.get(5),
            value: r.get(6),
            headers: r.get(7),
        })
        .collect())
}

/// What a replayed dead letter became.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Replayed {
    /// Stored as a row (or its delete applied), and marked replayed.
    Stored,
    /// It still cannot be stored, for this reason (now its reason).
    StillDead {
        /// Why, as a sentence.
        reason: String,
        /// Why, as a code.
        reason_code: ReasonCode,
    },
    /// Another replay stored it meanwhile: nothing was written.
    AlreadyReplayed,
    /// Not tried, for this reason: no waiting dead letter of the connector has the id, or
    /// its record could not be decoded again (its topic is no longer the connector's, or
    /// its table cannot be read). The dead letter, if any, is left as it was.
    Skipped {
        /// Why.
        reason: String,
    },
}

impl Batch {
    /// Replays entry `index` of this batch — decoded from dead letter `id`'s record — in
    /// one transaction: its row is appended and the dead letter marked replayed; a dead
    /// letter replayed meanwhile is left alone (nothing written). A row of a table written
    /// by key (upsert, delete) is not replayed: a later record of its key may be stored. A row
    /// the database refuses, or an entry that is still a dead letter, gives the dead letter
    /// its new reason, a new `last_seen` and one more attempt. The batch's offsets are not
    /// touched: a replay stores what was passed over, not what comes next.
    ///
    /// # Errors
    /// [`Error::Query`] when the database fails otherwise.
    pub async fn replay(&self, client: &mut Client, index: usize, id: i64) -> Result<Replayed> {
        let entry = &self.entries[index];
        let reason = match &entry.kind {
            EntryKind::Dead { reason, .. } => reason.clone(),
            EntryKind::Row { target, .. } if self.targets[*target].write != WriteMode::Append => {
                // A later record of the key may be stored: replaying this one would put an
                // older row back (or delete a newer one). Not tried: the dead letter stays.
                return Ok(Replayed::Skipped {
                    reason: "not replayed: its table is written by key (upsert), and a later record of the key may be stored already; replay only appends".into(),
                });
            }
            EntryKind::Row { target, range, .. } => {
                match self.replay_row(client, *target, range, id).await {
                    Ok(outcome) => return Ok(outcome),
                    Err(e) if is_refusal(&e) => Reason::new(
                        ReasonCode::DatabaseRefused,
                        format!("the database refused the row: {e}"),
                    ),
                    Err(e) => return Err(e),
                }
            }
        };
        let text = reason.text.replace('\0', "\\0");
        client
            .execute(
                include_str!("sql/dead_letter_still.sql"),
                &[&id, &text, &reason.code.as_str()],
            )
            .await
            .map_err(query("recording a replay's new reason"))?;
        Ok(Replayed::StillDead {
            reason: text,
            reason_code: reason.code,
        })
    }

    async fn replay_row(
        &self,
        client: &mut Client,
        target: usize,
        range: &std::ops::Range<usize>,
        id: i64,
    ) -> Result<Replayed> {
        let tx = client
            .transaction()
            .await
            .map_err(query("starting a replay"))?;
        self.copy(&tx, &self.targets[target], &[range]).await?;
        let marked = tx
            .execute(include_str!("sql/dead_letter_replayed.sql"), &[&id])
            .await
            .map_err(query("marking a dead letter replayed"))?;
        if marked == 0 {
            tx.rollback()
                .await
                .map_err(query("rolling back a replay"))?;
            return Ok(Replayed::AlreadyReplayed);
        }
        tx.commit().await.map_err(query("committing a replay"))?;
        Ok(Replayed::Stored)
    }
}

/// A statement the server refused for the row (a conversion, a constraint, a limit) or for
/// the table as it is now (a column gone: class 42): what a failed replay's reason is made of.
fn is_refusal(error: &Error) -> bool {
    error.is_row_refusal() || error.sqlstate().is_some_and(|code| code.starts_with("42"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each code once in `ALL`, named as serde names it (the API) and as `parse` reads it back
    /// (the column). The match has no wildcard: a code added is met here, to be listed.
    #[test]
    fn every_code_is_listed_once_and_named_alike_everywhere() {
        for code in ReasonCode::ALL {
            match code {
                ReasonCode::BadFrame
                | ReasonCode::UnknownSchema
                | ReasonCode::UnusableSchema
                | ReasonCode::MalformedValue
                | ReasonCode::ValueRefused
                | ReasonCode::KeyUnusable
                | ReasonCode::Tombstone
                | ReasonCode::DatabaseRefused
                | ReasonCode::Unclassified => {}
            }
            assert_eq!(serde_json::to_value(code).unwrap(), code.as_str());
            assert_eq!(ReasonCode::parse(code.as_str()), Some(code));
            assert_eq!(ReasonCode::ALL.iter().filter(|c| **c == code).count(), 1);
        }
        assert_eq!(ReasonCode::parse("gone_wrong"), None);
    }
}
