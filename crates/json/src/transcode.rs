//! A document as the Avro binary of its shape's schema, in one pass over its bytes.

use std::sync::Arc;

use inlet_avro::{ColumnSource, PgType, PlanError, Proposal, WriterSchema, write_long};
use jiter::{Jiter, JiterError, Peek};
use num_bigint::BigInt;

use crate::shape::{Leaf, Shape};
use crate::text;

/// How much of a refused value an error quotes, in characters.
const QUOTED_CHARS: usize = 60;

/// Why a document cannot be read as its shape's Avro.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JsonError {
    /// The bytes are not one JSON document.
    #[error("not JSON: {0}")]
    Syntax(String),
    /// A value its column's type does not take.
    #[error("{}{found} is not {expected}", at(path))]
    Value {
        /// Where, as a field path (`geo.lat`, `tags[2]`; empty for the document).
        path: String,
        /// What was found (`the string "abc"`).
        found: String,
        /// What the column takes.
        expected: &'static str,
    },
}

fn at(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!("field {path}: ")
    }
}

impl JsonError {
    /// Whether the bytes are not JSON at all (a malformed value), rather than a value its
    /// column refuses.
    pub fn is_syntax(&self) -> bool {
        matches!(self, JsonError::Syntax(_))
    }

    /// The error, inside `key` of an object (or an item of an array, `[i]`).
    fn inside(mut self, key: &str) -> Self {
        if let JsonError::Value { path, .. } = &mut self {
            *path = if path.is_empty() {
                key.to_owned()
            } else if path.starts_with('[') {
                format!("{key}{path}")
            } else {
                format!("{key}.{path}")
            };
        }
        self
    }
}

impl From<JiterError> for JsonError {
    fn from(e: JiterError) -> Self {
        JsonError::Syntax(e.to_string())
    }
}

/// The buffers a transcoder reuses from document to document.
#[derive(Debug, Default)]
pub struct Scratch {
    /// Per field of the objects being read: the range of its bytes in the output.
    ranges: Vec<(usize, usize)>,
    /// An object's fields (or an array's items) while they are put in order.
    buf: Vec<u8>,
    /// A big-decimal's inner bytes.
    decimal: Vec<u8>,
}

/// A field not met in the document (written as null).
const ABSENT: (usize, usize) = (usize::MAX, usize::MAX);

/// A compiled node of a shape.
#[derive(Debug)]
enum Node {
    Leaf(Leaf),
    Json,
    Array(Box<Node>),
    Object(Vec<(String, Node)>),
}

impl Node {
    fn of(shape: &Shape) -> Node {
        match shape {
            Shape::Null | Shape::Json => Node::Json,
            Shape::Leaf(leaf) => Node::Leaf(*leaf),
            Shape::Array(item) => Node::Array(Box::new(Node::of(item))),
            Shape::Object(fields) => Node::Object(
                fields
                    .iter()
                    .map(|(k, s)| (k.clone(), Node::of(s)))
                    .collect(),
            ),
        }
    }
}

/// A topic's JSON documents as inlet reads them: the shape, the Avro writer schema it is
/// read as, and the transcoder from a document to that schema's binary.
#[derive(Debug, Clone)]
pub struct JsonReading {
    shape: Shape,
    writer: WriterSchema,
    root: Arc<Node>,
}

impl JsonReading {
    /// The reading of documents of `shape`.
    ///
    /// # Errors
    /// [`PlanError`] when the schema made from the shape does not parse: a bug of inlet's.
    pub fn new(shape: Shape) -> Result<Self, PlanError> {
        let writer = WriterSchema::parse(&shape.avro_schema(), &[])?;
        Ok(JsonReading {
            root: Arc::new(Node::of(&shape)),
            shape,
            writer,
        })
    }

    /// The shape.
    pub fn shape(&self) -> &Shape {
        &self.shape
    }

    /// The Avro schema documents are transcoded into: plans compile from it.
    pub fn writer(&self) -> &WriterSchema {
        &self.writer
    }

    /// The table proposed for the documents: Avro's proposal for the writer schema, with
    /// the values kept as JSON in jsonb columns.
    pub fn proposal(&self) -> Proposal {
        let mut proposal = Proposal::for_schema(&self.writer);
        let json = self.shape.json_paths();
        for (column, m) in proposal.columns.iter_mut().zip(&proposal.mapping) {
            if let ColumnSource::Field(path) = &m.source
                && json.contains(path)
            {
                column.pg_type = PgType::Jsonb;
            }
        }
        // Every field may be missing from a document, so every column is nullable and
        // Avro's proposal names no time column: the first timestamptz of the document's
        // top level is (TimescaleDB makes it NOT NULL when it makes the hypertable).
        if proposal.time_column.is_none() {
            proposal.time_column = proposal
                .columns
                .iter()
                .zip(&proposal.mapping)
                .find(|(c, m)| {
                    c.pg_type == PgType::Timestamptz
                        && matches!(&m.source, ColumnSource::Field(p) if !p.contains('.'))
                })
                .map(|(c, _)| c.name.clone());
        }
        proposal
    }

    /// Appends `doc` to `out` as the Avro binary of [`writer`](Self::writer).
    ///
    /// # Errors
    /// [`JsonError::Syntax`] for bytes that are not one JSON document; [`JsonError::Value`]
    /// for a value its column's type does not take (a document that is not an object when
    /// the shape is one, a string where a number goes, a number out of range, a timestamp
    /// in a form not read). `out` then holds part of the record: the caller truncates it.
    pub fn transcode(
        &self,
        doc: &[u8],
        out: &mut Vec<u8>,
        s: &mut Scratch,
    ) -> Result<(), JsonError> {
        // The ranges of a document refused halfway are not the next one's.
        s.ranges.clear();
        // jiter checks UTF-8 only in the strings it reads, not in those it skips.
        if let Err(e) = std::str::from_utf8(doc) {
            return Err(JsonError::Syntax(format!(
                "invalid UTF-8 at index {}",
                e.valid_up_to()
            )));
        }
        let mut jiter = Jiter::new(doc);
        let peek = jiter.peek()?;
        match &*self.root {
            Node::Object(fields) => {
                if peek != Peek::Object {
                    return Err(refused(
                        &mut jiter,
                        peek,
                        "an object (the document's shape)",
                    )?);
                }
                object(fields, &mut jiter, out, s)?;
            }
            node => nullable(node, peek, &mut jiter, out, s)?,
        }
        jiter.finish()?;
        Ok(())
    }
}

/// A `["null", T]` value: the branch, then T's bytes.
fn nullable(
    node: &Node,
    peek: Peek,
    j: &mut Jiter<'_>,
    out: &mut Vec<u8>,
    s: &mut Scratch,
) -> Result<(), JsonError> {
    if peek == Peek::Null {
        j.known_null()?;
        out.push(0); // branch 0, zig-zag
        return Ok(());
    }
    out.push(2); // branch 1, zig-zag
    value(node, peek, j, out, s)
}

fn value(
    node: &Node,
    peek: Peek,
    j: &mut Jiter<'_>,
    out: &mut Vec<u8>,
    s: &mut Scratch,
) -> Result<(), JsonError> {
    match node {
        Node::Leaf(leaf) => self::leaf(*leaf, peek, j, out, s),
        Node::Json => {
            let start = j.current_index();
            j.known_skip(peek)?;
            write_bytes(j.slice_to_current(start), out);
            Ok(())
        }
        Node::Array(item) => {
            if peek != Peek::Array {
                return Err(refused(j, peek, "an array")?);
            }
            let mark = out.len();
            let mut count: i64 = 0;
            let mut next = j.known_array()?;
            while let Some(p) = next {
                nullable(item, p, j, out, s).map_err(|e| e.inside(&format!("[{count}]")))?;
                count += 1;
                next = j.array_step()?;
            }
            if count > 0 {
                move_tail(out, mark, &mut s.buf);
                write_long(count, out);
                out.extend_from_slice(&s.buf);
            }
            out.push(0); // the end of the array's blocks
            Ok(())
        }
        Node::Object(fields) => {
            if peek != Peek::Object {
                return Err(refused(j, peek, "an object")?);
            }
            object(fields, j, out, s)
        }
    }
}

/// An object's fields in the schema's order, whatever the document's; a key the shape does
/// not have is skipped, a field the document lacks is null, a key met twice is the later.
fn object(
    fields: &[(String, Node)],
    j: &mut Jiter<'_>,
    out: &mut Vec<u8>,
    s: &mut Scratch,
) -> Result<(), JsonError> {
    let mark = out.len();
    let base = s.ranges.len();
    s.ranges.resize(base + fields.len(), ABSENT);
    let mut expected = 0;
    let mut key = j.known_object()?.map(|k| find(fields, k, expected));
    while let Some(found) = key {
        match found {
            Some(i) => {
                let peek = j.peek()?;
                let start = out.len();
                nullable(&fields[i].1, peek, j, out, s).map_err(|e| e.inside(&fields[i].0))?;
                s.ranges[base + i] = (start, out.len());
                expected = i + 1;
            }
            None => j.next_skip()?,
        }
        key = j.next_key()?.map(|k| find(fields, k, expected));
    }
    // Fast path: every field met once, in the schema's order.
    let mut end = mark;
    let in_order = s.ranges[base..].iter().all(|&(a, b)| {
        let ok = a == end;
        end = b;
        ok
    }) && end == out.len();
    if !in_order {
        move_tail(out, mark, &mut s.buf);
        for &(a, b) in &s.ranges[base..] {
            if (a, b) == ABSENT {
                out.push(0);
            } else {
                out.extend_from_slice(&s.buf[a - mark..b - mark]);
            }
        }
    }
    s.ranges.truncate(base);
    Ok(())
}

/// Moves `out[mark..]` into `buf` (emptied first), for it to be written back in order.
fn move_tail(out: &mut Vec<u8>, mark: usize, buf: &mut Vec<u8>) {
    buf.clear();
    buf.extend_from_slice(&out[mark..]);
    out.truncate(mark);
}

/// The field of key `key`, trying the one after the last met first.
fn find(fields: &[(String, Node)], key: &str, expected: usize) -> Option<usize> {
    if fields.get(expected).is_some_and(|(k, _)| k == key) {
        return Some(expected);
    }
    let name = crate::avro_name(key);
    fields.iter().position(|(k, _)| *k == *name)
}

fn leaf(
    leaf: Leaf,
    peek: Peek,
    j: &mut Jiter<'_>,
    out: &mut Vec<u8>,
    s: &mut Scratch,
) -> Result<(), JsonError> {
    use Leaf as L;
    match (leaf, peek) {
        (L::Boolean, Peek::True | Peek::False) => out.push(u8::from(j.known_bool(peek)?)),
        (L::Boolean, _) if peek.is_num() || peek == Peek::String => {
            let (text, quoted) = scalar_text(peek, j)?;
            let value = text::boolean(text).ok_or_else(|| JsonError::Value {
                path: String::new(),
                found: describe_text(text, quoted),
                expected: "a boolean (true, false, or text boolean's input takes: t, yes, on, 1, f, no, off, 0)",
            })?;
            out.push(u8::from(value));
        }
        (L::Text, Peek::String) => write_bytes(j.known_str()?.as_bytes(), out),
        (L::Text, _) => {
            let start = j.current_index();
            j.known_skip(peek)?;
            write_bytes(j.slice_to_current(start), out);
        }
        (L::Integer | L::Double | L::Real | L::Numeric, _)
            if peek.is_num() || peek == Peek::String =>
        {
            let (text, quoted) = scalar_text(peek, j)?;
            let bad = |expected| JsonError::Value {
                path: String::new(),
                found: describe_text(text, quoted),
                expected,
            };
            match leaf {
                L::Integer => write_long(
                    text::integer(text).ok_or_else(|| bad("an integer in bigint's range"))?,
                    out,
                ),
                L::Double => out.extend_from_slice(
                    &text::float(text)
                        .ok_or_else(|| bad("a number in double precision's range"))?
                        .to_le_bytes(),
                ),
                L::Real => out.extend_from_slice(
                    &text::float4(text)
                        .ok_or_else(|| bad("a number in real's range"))?
                        .to_le_bytes(),
                ),
                _ => {
                    let (negative, digits, scale) =
                        text::numeric(text).ok_or_else(|| bad("a decimal number of at most 1000 digits before the point and 1000 after it (NaN and Infinity are not read into numeric)"))?;
                    big_decimal(negative, &digits, scale, out, s);
                }
            }
        }
        (L::Timestamptz | L::Timestamp | L::Date | L::Time | L::Uuid | L::Bytea, Peek::String) => {
            let text = j.known_str()?;
            let bad = |expected| JsonError::Value {
                path: String::new(),
                found: describe_text(text, true),
                expected,
            };
            match leaf {
                L::Timestamptz | L::Timestamp => write_long(
                    text::timestamp_micros(text, leaf == L::Timestamp)
                        .ok_or_else(|| bad("a valid ISO 8601 timestamp (YYYY-MM-DD HH:MM:SS.ffffff+HH:MM, T or a space between; a day the month has)"))?,
                    out,
                ),
                L::Date => write_long(
                    i64::from(text::date_days(text).ok_or_else(|| bad("a valid ISO 8601 date (YYYY-MM-DD, a day the month has)"))?),
                    out,
                ),
                L::Time => write_long(
                    text::time_micros(text).ok_or_else(|| bad("a time of day (HH:MM:SS.ffffff)"))?,
                    out,
                ),
                L::Uuid => write_bytes(text.as_bytes(), out),
                _ => {
                    let bytes = text::bytea(text).ok_or_else(|| bad("bytea's text (\\x and hex digits, or escaped text)"))?;
                    write_bytes(&bytes, out);
                }
            }
        }
        (leaf, _) => return Err(refused(j, peek, expected(leaf))?),
    }
    Ok(())
}

/// The text of the string or number at the cursor, and whether it was a string.
fn scalar_text<'j>(peek: Peek, j: &'j mut Jiter<'_>) -> Result<(&'j str, bool), JsonError> {
    Ok(if peek == Peek::String {
        (j.known_str()?, true)
    } else {
        let bytes = j.known_number_bytes(peek)?;
        (std::str::from_utf8(bytes).unwrap_or_default(), false)
    })
}

/// What a leaf takes, for errors.
fn expected(leaf: Leaf) -> &'static str {
    match leaf {
        Leaf::Boolean => "true or false",
        Leaf::Integer => "an integer",
        Leaf::Double | Leaf::Real | Leaf::Numeric => "a number",
        Leaf::Text => "text",
        Leaf::Timestamptz | Leaf::Timestamp => "a timestamp's string",
        Leaf::Date => "a date's string",
        Leaf::Time => "a time's string",
        Leaf::Uuid => "a UUID's string",
        Leaf::Bytea => "a bytea's string",
    }
}

/// The error for the value at the cursor, which is not what the column takes (or, when it
/// is not JSON either, the syntax error).
fn refused(j: &mut Jiter<'_>, peek: Peek, expected: &'static str) -> Result<JsonError, JsonError> {
    let start = j.current_index();
    j.known_skip(peek)?;
    let raw = String::from_utf8_lossy(j.slice_to_current(start));
    let found = match peek {
        Peek::Null => "null".to_owned(),
        Peek::True | Peek::False => raw.into_owned(),
        Peek::String => format!("the string {}", cut(&raw)),
        Peek::Array => "an array".to_owned(),
        Peek::Object => "an object".to_owned(),
        _ => format!("the number {}", cut(&raw)),
    };
    Ok(JsonError::Value {
        path: String::new(),
        found,
        expected,
    })
}

fn describe_text(text: &str, quoted: bool) -> String {
    if quoted {
        format!("the string {}", cut(&format!("{text:?}")))
    } else {
        format!("the number {}", cut(text))
    }
}

/// `text` cut to [`QUOTED_CHARS`] characters.
fn cut(text: &str) -> String {
    match text.char_indices().nth(QUOTED_CHARS) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// Avro bytes: the length, then the bytes.
fn write_bytes(bytes: &[u8], out: &mut Vec<u8>) {
    write_long(bytes.len() as i64, out);
    out.extend_from_slice(bytes);
}

/// Avro's big-decimal: bytes holding the unscaled value's two's complement bytes and the
/// scale.
fn big_decimal(negative: bool, digits: &str, scale: u32, out: &mut Vec<u8>, s: &mut Scratch) {
    let mut unscaled = BigInt::parse_bytes(digits.as_bytes(), 10).unwrap_or_default();
    if negative {
        unscaled = -unscaled;
    }
    s.decimal.clear();
    write_bytes(&unscaled.to_signed_bytes_be(), &mut s.decimal);
    write_long(i64::from(scale), &mut s.decimal);
    write_long(s.decimal.len() as i64, out);
    out.extend_from_slice(&s.decimal);
}
