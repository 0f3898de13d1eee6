//! A Kafka record as the decoder takes it: borrowed from the source, with its headers read
//! lazily (only a mapping of `kafka.headers` and a dead letter need them).

use super::*;

/// A Kafka record, borrowed.
pub(crate) struct Record<'a> {
    pub(crate) topic: &'a str,
    pub(crate) partition: i32,
    pub(crate) offset: i64,
    pub(crate) timestamp_ms: Option<i64>,
    pub(crate) key: Option<&'a [u8]>,
    pub(crate) value: Option<&'a [u8]>,
    pub(crate) headers: Headers<'a>,
}

/// Headers in order: (name, raw value; None for a null value).
pub(crate) type HeaderList<'a> = Vec<(&'a str, Option<&'a [u8]>)>;

/// A record's headers as its source holds them, parsed when asked for.
pub(crate) trait RawHeaders {
    /// The headers.
    fn parse(&self) -> HeaderList<'_>;
}

/// A record's headers, parsed on first use: librdkafka allocates to parse them, so a
/// record whose headers no column and no dead letter needs costs nothing for them.
pub(crate) struct Headers<'a> {
    parsed: std::sync::OnceLock<HeaderList<'a>>,
    raw: Option<&'a (dyn RawHeaders + Sync)>,
}

impl<'a> Headers<'a> {
    /// Headers parsed already.
    pub(crate) fn parsed(list: HeaderList<'a>) -> Self {
        Headers {
            parsed: std::sync::OnceLock::from(list),
            raw: None,
        }
    }

    /// No headers.
    pub(crate) fn none() -> Self {
        Headers::parsed(Vec::new())
    }

    /// The headers of `raw`, parsed when asked for.
    pub(crate) fn raw(raw: &'a (dyn RawHeaders + Sync)) -> Self {
        Headers {
            parsed: std::sync::OnceLock::new(),
            raw: Some(raw),
        }
    }

    /// The headers, in order.
    pub(crate) fn list(&self) -> &[(&'a str, Option<&'a [u8]>)] {
        self.parsed
            .get_or_init(|| self.raw.map(RawHeaders::parse).unwrap_or_default())
    }
}

impl Record<'_> {
    /// Keeps the record's raw parts in `batch`, for a dead letter.
    pub(crate) fn keep(&self, batch: &mut Batch, schema_id: Option<u32>) -> RawRecord {
        let headers = self.headers.list();
        let headers = if headers.is_empty() {
            String::new()
        } else {
            headers_json(headers)
        };
        batch.keep_raw(self.timestamp_ms, self.key, self.value, &headers, schema_id)
    }

    /// The record's Kafka side for `plan`'s metadata columns (its headers only if one of
    /// them stores them).
    pub(crate) fn meta(&self, plan: &DecodePlan) -> RecordMeta<'_> {
        RecordMeta {
            key_avro: None,
            topic: self.topic,
            partition: self.partition,
            offset: self.offset,
            timestamp_ms: self.timestamp_ms,
            key: self.key,
            headers: if plan.reads_headers() {
                self.headers.list()
            } else {
                &[]
            },
        }
    }
}

/// Headers as a JSON array of `{"key": …, "value": …}`: order and repeated names kept;
/// values that are not UTF-8 text as `\x…` hex, as PostgreSQL prints bytea.
pub(super) fn headers_json(headers: &[(&str, Option<&[u8]>)]) -> String {
    let items: Vec<serde_json::Value> = headers
        .iter()
        .map(|(key, value)| {
            let value = value.map(|v| match std::str::from_utf8(v) {
                Ok(text) if !v.contains(&0) => text.to_owned(),
                _ => {
                    let mut hex = String::from("\\x");
                    for b in v {
                        hex.push_str(&format!("{b:02x}"));
                    }
                    hex
                }
            });
            serde_json::json!({"key": key, "value": value})
        })
        .collect();
    serde_json::Value::Array(items).to_string()
}
