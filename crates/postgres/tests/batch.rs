//! Batches against the real PostgreSQL: rows, dead letters and fenced offsets commit
//! together; rows the database refuses are isolated and dead-lettered; a stale worker's batch
//! stores nothing. Needs `scripts/services up`.

use inlet_postgres::dead_letters::{Reason, ReasonCode};
use inlet_postgres::{
    Batch, CopyTarget, DatabaseConfig, Entry, EntryKind, Outcome, RawRecord, TableName, WriteMode,
    ensure_inlet_schema, load_offsets, table_columns,
};
use inlet_testkit::TestDatabase;

/// A COPY BINARY row of (id integer, v text).
fn row(id: i32, v: &str, out: &mut Vec<u8>) -> std::ops::Range<usize> {
    let start = out.len();
    out.extend_from_slice(&2i16.to_be_bytes());
    out.extend_from_slice(&4i32.to_be_bytes());
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&(v.len() as i32).to_be_bytes());
    out.extend_from_slice(v.as_bytes());
    start..out.len()
}

/// The record behind an entry, kept in the batch.
fn raw(batch: &mut Batch) -> RawRecord {
    batch.keep_raw(
        Some(1_700_000_000_000),
        Some(b"k"),
        Some(b"raw value"),
        r#"[{"key":"h","value":"v"}]"#,
        Some(7),
    )
}

fn batch(values: &[(i64, Option<&str>)], start: Option<i64>) -> Batch {
    let mut batch = Batch {
        connector: "test".into(),
        topics: vec!["events".into()],
        targets: vec![CopyTarget {
            table: TableName::parse("public.t").unwrap(),
            columns: vec!["id".into(), "v".into()],
            write: WriteMode::Append,
        }],
        ..Batch::default()
    };
    for &(offset, value) in values {
        let kind = match value {
            Some(v) => EntryKind::Row {
                target: 0,
                range: row(offset as i32, v, &mut batch.rows),
                raw: raw(&mut batch),
            },
            None => EntryKind::Dead {
                raw: raw(&mut batch),
                reason: Reason::new(ReasonCode::MalformedValue, "malformed Avro body"),
            },
        };
        batch.entries.push(Entry {
            topic: 0,
            partition: 0,
            offset,
            kind,
        });
    }
    batch.starts.insert((0, 0), start);
    batch
}

async fn setup() -> (TestDatabase, tokio_postgres::Client) {
    let db = TestDatabase::create("batch").await;
    let mut client = DatabaseConfig::parse(db.url())
        .unwrap()
        .connect()
        .await
        .unwrap();
    ensure_inlet_schema(&mut client).await.unwrap();
    ensure_inlet_schema(&mut client).await.unwrap(); // idempotent
    client
        .batch_execute(
            "CREATE TABLE t (id integer PRIMARY KEY, v text NOT NULL CHECK (v <> 'bad'))",
        )
        .await
        .unwrap();
    (db, client)
}

#[tokio::test]
async fn refused_rows_are_isolated_and_the_rest_lands() {
    let (_db, mut client) = setup().await;
    let values = [
        (10, Some("a")),
        (11, Some("b")),
        (12, Some("bad")),
        (13, Some("c")),
        (14, None),
        (15, Some("d")),
        (16, Some("bad")),
    ];
    let outcome = batch(&values, None).write(&mut client).await.unwrap();
    assert_eq!(
        outcome,
        Outcome::Committed {
            rows: 4,
            dead_letters: 3,
            next: rustc_hash::FxHashMap::from_iter([((0, 0), 17)]),
        }
    );
    let ids: Vec<i32> = client
        .query("SELECT id FROM t ORDER BY id", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(ids, [10, 11, 13, 15]);
    let dead = client
        .query(
            r#"SELECT "offset", error, value, headers::text, schema_id, reason_code FROM inlet.dead_letters ORDER BY "offset""#,
            &[],
        )
        .await
        .unwrap();
    let offsets: Vec<i64> = dead.iter().map(|r| r.get(0)).collect();
    assert_eq!(offsets, [12, 14, 16]);
    let refused: &str = dead[0].get(1);
    assert!(
        refused.contains("the database refused the row"),
        "{refused}"
    );
    assert!(refused.contains("t_v_check"), "{refused}");
    // A refused row's dead letter keeps the record as read.
    assert_eq!(dead[0].get::<_, Option<Vec<u8>>>(2).unwrap(), b"raw value");
    assert_eq!(dead[0].get::<_, &str>(3), r#"[{"key": "h", "value": "v"}]"#);
    assert_eq!(dead[1].get::<_, &str>(1), "malformed Avro body");
    assert_eq!(dead[1].get::<_, Option<Vec<u8>>>(2).unwrap(), b"raw value");
    assert_eq!(dead[1].get::<_, i64>(4), 7);
    // Each with its code: the database's refusals and the decoder's.
    let codes: Vec<&str> = dead.iter().map(|r| r.get(5)).collect();
    assert_eq!(
        codes,
        ["database_refused", "malformed_value", "database_refused"]
    );
    assert_eq!(
        load_offsets(&client, "test", "events").await.unwrap()[&0],
        17
    );
}

/// A limit one row exceeds (SQLSTATE class 54) is that row's fault, like a constraint: the
/// batch is split, the row dead-lettered with the server's sentence, the others stored.
#[tokio::test]
async fn a_row_past_the_servers_limits_is_dead_lettered_and_the_rest_lands() {
    let (_db, mut client) = setup().await;
    // A value kept inline (no TOAST) past a page: "row is too big" (54000). A trigger that
    // reads the value as jsonb, nested 100,000 deep: "stack depth limit exceeded" (54001).
    client
        .batch_execute(
            "ALTER TABLE t ALTER COLUMN v SET STORAGE PLAIN;
             CREATE FUNCTION as_json() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN
               IF left(NEW.v, 1) = '[' THEN PERFORM NEW.v::jsonb; END IF;
               RETURN NEW;
             END $$;
             CREATE TRIGGER as_json BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION as_json();",
        )
        .await
        .unwrap();
    let wide = "x".repeat(9000);
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let values = [
        (10, Some("a")),
        (11, Some(wide.as_str())),
        (12, Some("b")),
        (13, Some(deep.as_str())),
        (14, Some("c")),
    ];
    let outcome = batch(&values, None).write(&mut client).await.unwrap();
    assert_eq!(
        outcome,
        Outcome::Committed {
            rows: 3,
            dead_letters: 2,
            next: rustc_hash::FxHashMap::from_iter([((0, 0), 15)]),
        }
    );
    let ids: Vec<i32> = client
        .query("SELECT id FROM t ORDER BY id", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(ids, [10, 12, 14]);
    let dead: Vec<(i64, String)> = client
        .query(
            r#"SELECT "offset", error FROM inlet.dead_letters ORDER BY "offset""#,
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(dead.len(), 2, "{dead:?}");
    assert_eq!(dead[0].0, 11);
    assert!(dead[0].1.contains("row is too big"), "{}", dead[0].1);
    assert_eq!(dead[1].0, 13);
    assert!(dead[1].1.contains("stack depth"), "{}", dead[1].1);
}

#[tokio::test]
async fn a_stale_batch_stores_nothing() {
    let (_db, mut client) = setup().await;
    batch(&[(0, Some("a")), (1, Some("b"))], None)
        .write(&mut client)
        .await
        .unwrap();
    // A worker that read the offsets before the batch above committed.
    let stale = batch(&[(0, Some("x")), (1, Some("y")), (2, Some("z"))], None);
    assert!(matches!(
        stale.write(&mut client).await.unwrap(),
        Outcome::Fenced { rows: 0, .. }
    ));
    let stale = batch(&[(1, Some("y")), (2, Some("z"))], Some(1));
    assert!(matches!(
        stale.write(&mut client).await.unwrap(),
        Outcome::Fenced { rows: 0, .. }
    ));
    let count: i64 = client
        .query_one("SELECT count(*) FROM t", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(count, 2);
    // The worker that holds the right offset goes on.
    let next = batch(&[(2, Some("c"))], Some(2))
        .write(&mut client)
        .await
        .unwrap();
    assert!(matches!(next, Outcome::Committed { rows: 1, .. }));
}

#[tokio::test]
async fn table_columns_describe_types_nullability_and_defaults() {
    let (_db, client) = setup().await;
    client
        .batch_execute(
            "CREATE TYPE mood AS ENUM ('a', 'b'); CREATE TABLE u (id bigserial, m mood, n numeric(10,2) NOT NULL, at timestamptz DEFAULT now(), tags varchar(5)[])",
        )
        .await
        .unwrap();
    let columns = table_columns(&client, &TableName::parse("u").unwrap())
        .await
        .unwrap()
        .unwrap();
    let described: Vec<String> = columns
        .iter()
        .map(|c| format!("{} {} {} {}", c.name, c.pg_type, c.nullable, c.has_default))
        .collect();
    assert_eq!(
        described,
        [
            "id bigint false true",
            "m mood true false",
            "n numeric(10,2) false false",
            "at timestamp with time zone true true",
            "tags character varying(5)[] true false",
        ]
    );
    assert!(
        table_columns(&client, &TableName::parse("public.nope").unwrap())
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn table_columns_mark_the_columns_postgresql_fills() {
    let (_db, client) = setup().await;
    client
        .batch_execute(
            "CREATE TABLE g (a integer, b integer GENERATED ALWAYS AS (a * 2) STORED, \
             c bigint GENERATED ALWAYS AS IDENTITY, d bigint GENERATED BY DEFAULT AS IDENTITY)",
        )
        .await
        .unwrap();
    let columns = table_columns(&client, &TableName::parse("g").unwrap())
        .await
        .unwrap()
        .unwrap();
    let described: Vec<String> = columns
        .iter()
        .map(|c| format!("{} {} {:?}", c.name, c.has_default, c.generated))
        .collect();
    assert_eq!(
        described,
        [
            "a false None",
            "b true Some(Stored)",
            "c true Some(AlwaysIdentity)",
            "d true None",
        ]
    );
}

#[tokio::test]
async fn table_columns_read_domains_by_their_base_types() {
    let (_db, client) = setup().await;
    client
        .batch_execute(
            "CREATE DOMAIN code AS varchar(3) CHECK (VALUE ~ '^[A-Z]+$'); \
             CREATE DOMAIN code2 AS code NOT NULL DEFAULT 'AAA'; \
             CREATE DOMAIN price AS numeric(8,2); CREATE TYPE mood AS ENUM ('a'); \
             CREATE TABLE d (c code, c2 code2, p price[], m mood[])",
        )
        .await
        .unwrap();
    let columns = table_columns(&client, &TableName::parse("d").unwrap())
        .await
        .unwrap()
        .unwrap();
    let described: Vec<String> = columns
        .iter()
        .map(|c| {
            format!(
                "{} {} over {} {} {}",
                c.name,
                c.pg_type,
                c.pg_type.base(),
                c.nullable,
                c.has_default
            )
        })
        .collect();
    assert_eq!(
        described,
        [
            "c code over character varying(3) true false",
            "c2 code2 over character varying(3) false true",
            "p price[] over price[] true false",
            "m mood[] over mood[] true false",
        ]
    );
    let inlet_avro::PgType::Array(element) = &columns[2].pg_type else {
        panic!("{:?}", columns[2].pg_type)
    };
    assert_eq!(element.base().to_string(), "numeric(8,2)");
    let oid: u32 = client
        .query_one("SELECT 'price'::regtype::oid", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(element.oid(), oid, "an array of a domain names the domain");
}

/// A COPY BINARY row of (id integer): a delete's key.
fn key_row(id: i32, out: &mut Vec<u8>) -> std::ops::Range<usize> {
    let start = out.len();
    out.extend_from_slice(&1i16.to_be_bytes());
    out.extend_from_slice(&4i32.to_be_bytes());
    out.extend_from_slice(&id.to_be_bytes());
    start..out.len()
}

#[tokio::test]
async fn upserts_and_deletes_apply_in_record_order() {
    let (_db, mut client) = setup().await;
    client
        .batch_execute("INSERT INTO t VALUES (1, 'stored'), (2, 'stored'), (3, 'stored')")
        .await
        .unwrap();
    let table = TableName::parse("public.t").unwrap();
    let mut batch = Batch {
        connector: "test".into(),
        topics: vec!["events".into()],
        targets: vec![
            CopyTarget {
                table: table.clone(),
                columns: vec!["id".into(), "v".into()],
                write: WriteMode::Upsert {
                    key: vec!["id".into()],
                },
            },
            CopyTarget {
                table,
                columns: vec!["id".into()],
                write: WriteMode::Delete,
            },
        ],
        ..Batch::default()
    };
    // (offset, id, Some(v): upsert / None: delete)
    let records: [(i64, i32, Option<&str>); 9] = [
        (0, 1, Some("first")),
        (1, 1, Some("second")), // the last of a run wins
        (2, 2, None),           // deletes a stored row
        (3, 3, Some("updated")),
        (4, 4, Some("new")),
        (5, 4, None), // inserted, then deleted in the same batch
        (6, 5, None),
        (7, 5, Some("back")), // deleted (nothing there), then inserted
        (8, 6, Some("bad")),  // refused by the CHECK: a dead letter, the rest lands
    ];
    for (offset, id, value) in records {
        let kind = match value {
            Some(v) => EntryKind::Row {
                target: 0,
                range: row(id, v, &mut batch.rows),
                raw: raw(&mut batch),
            },
            None => EntryKind::Row {
                target: 1,
                range: key_row(id, &mut batch.rows),
                raw: raw(&mut batch),
            },
        };
        batch.entries.push(Entry {
            topic: 0,
            partition: 0,
            offset,
            kind,
        });
    }
    batch.starts.insert((0, 0), None);
    let outcome = batch.write(&mut client).await.unwrap();
    assert_eq!(
        outcome,
        Outcome::Committed {
            rows: 8,
            dead_letters: 1,
            next: rustc_hash::FxHashMap::from_iter([((0, 0), 9)]),
        }
    );
    let rows: Vec<(i32, String)> = client
        .query("SELECT id, v FROM t ORDER BY id", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(
        rows,
        [
            (1, "second".to_owned()),
            (3, "updated".to_owned()),
            (5, "back".to_owned()),
        ]
    );
    let refused: String = client
        .query_one(
            "SELECT error FROM inlet.dead_letters WHERE \"offset\" = 8",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(
        refused.contains("the database refused the row"),
        "{refused}"
    );
}

/// Workers meeting a new schema version at once: each claims a new column for the same two
/// fields, and one for a field of its own, concurrently. Every field ends with one column,
/// no column is added twice or given to two fields, and the record matches the table.
#[tokio::test]
async fn workers_claiming_columns_at_once_add_each_column_once() {
    use inlet_avro::PgType;
    use inlet_postgres::{ColumnClaim, claim_columns};
    let db = TestDatabase::create("pg_claims").await;
    let mut setup = db.connect().await;
    ensure_inlet_schema(&mut setup).await.unwrap();
    setup
        .batch_execute("CREATE TABLE places (id integer, geo_lat float8)")
        .await
        .unwrap();
    let table = TableName::parse("public.places").unwrap();
    claim_columns(
        &setup,
        "c",
        &table,
        &[
            ColumnClaim {
                path: "id".into(),
                column: "id".into(),
                add: None,
            },
            ColumnClaim {
                path: "geo.lat".into(),
                column: "geo_lat".into(),
                add: None,
            },
        ],
        true,
    )
    .await
    .unwrap();
    let mut workers = Vec::new();
    for worker in 0..8 {
        let client = db.connect().await;
        let table = table.clone();
        workers.push(tokio::spawn(async move {
            let claims = [
                // A top-level geo_lat: its proposal's name is geo.lat's column.
                ColumnClaim {
                    path: "geo_lat".into(),
                    column: "geo_lat".into(),
                    add: Some(PgType::Float8),
                },
                ColumnClaim {
                    path: "note".into(),
                    column: "note".into(),
                    add: Some(PgType::Text),
                },
                ColumnClaim {
                    path: format!("w{worker}"),
                    column: "extra".into(),
                    add: Some(PgType::Int4),
                },
            ];
            claim_columns(&client, "c", &table, &claims, false)
                .await
                .unwrap()
                .0
        }));
    }
    for (n, worker) in workers.into_iter().enumerate() {
        // Each worker comes back with the record that includes its own field's column.
        let sources = worker.await.unwrap();
        assert!(
            sources.values().any(|p| *p == format!("w{n}")),
            "{sources:?}"
        );
    }
    let columns: Vec<String> = table_columns(&setup, &table)
        .await
        .unwrap()
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    // id, geo_lat, then geo_lat_2 and note once each, and one "extra…" per worker.
    assert_eq!(columns.len(), 2 + 2 + 8, "{columns:?}");
    assert_eq!(columns.iter().filter(|c| *c == "geo_lat_2").count(), 1);
    assert_eq!(columns.iter().filter(|c| *c == "note").count(), 1);
    let sources = inlet_postgres::load_column_sources(&setup, "c", &table)
        .await
        .unwrap();
    assert_eq!(sources.len(), columns.len(), "every column recorded once");
    assert_eq!(sources["geo_lat"], "geo.lat");
    assert_eq!(sources["geo_lat_2"], "geo_lat");
    let mut paths: Vec<&String> = sources.values().collect();
    paths.sort();
    paths.dedup();
    assert_eq!(paths.len(), sources.len(), "no field holds two columns");
}

/// inlet's schema is made by numbered migrations, recorded; a second run applies none; a
/// database from before the record (the old idempotent setup) takes them unchanged; a
/// schema newer than this build is refused with what to do.
#[tokio::test]
async fn the_inlet_schema_is_migrated_once_and_a_newer_one_is_refused() {
    use inlet_postgres::{SCHEMA_VERSION, migrate};
    let db = TestDatabase::create("pg_migrations").await;
    let mut client = db.connect().await;
    // As the setup before migrations left it: offsets with a row, no inlet.migrations.
    client
        .batch_execute(
            "CREATE SCHEMA inlet; CREATE TABLE inlet.offsets (connector text NOT NULL, topic text NOT NULL, \"partition\" integer NOT NULL, next_offset bigint NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (connector, topic, \"partition\")); INSERT INTO inlet.offsets VALUES ('c', 't', 0, 42)",
        )
        .await
        .unwrap();
    let applied = migrate(&mut client).await.unwrap();
    assert_eq!(applied, (1..=SCHEMA_VERSION).collect::<Vec<_>>());
    assert!(
        migrate(&mut client).await.unwrap().is_empty(),
        "applied once"
    );
    let (versions, kept): (i64, i64) = client
        .query_one(
            "SELECT (SELECT count(*) FROM inlet.migrations), (SELECT next_offset FROM inlet.offsets)",
            &[],
        )
        .await
        .map(|r| (r.get(0), r.get(1)))
        .unwrap();
    assert_eq!((versions, kept), (i64::from(SCHEMA_VERSION), 42));
    client
        .execute(
            "INSERT INTO inlet.migrations (version, name) VALUES ($1, 'from the future')",
            &[&(SCHEMA_VERSION + 1)],
        )
        .await
        .unwrap();
    let error = migrate(&mut client).await.unwrap_err().to_string();
    assert!(
        error.contains(&format!("version {}", SCHEMA_VERSION + 1)) && error.contains("newer inlet"),
        "{error}"
    );
}

/// A refused connection says what to do.
#[tokio::test]
async fn a_missing_database_is_named_with_what_to_do() {
    let db = TestDatabase::create("pg_missing").await;
    // The same server, a database that is not there.
    let (base, _) = db.url().rsplit_once('/').unwrap();
    let url = format!("{base}/inlet_no_such_database");
    let error = DatabaseConfig::parse(&url)
        .unwrap()
        .connect()
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("inlet_no_such_database") && error.contains("create the database"),
        "{error}"
    );
}

/// A batch upserting `(id, v)` rows into `t`, from `offset` on.
fn upserts(rows: &[(i32, &str)], offset: i64) -> Batch {
    let mut batch = Batch {
        connector: "test".into(),
        topics: vec!["events".into()],
        targets: vec![CopyTarget {
            table: TableName::parse("public.t").unwrap(),
            columns: vec!["id".into(), "v".into()],
            write: WriteMode::Upsert {
                key: vec!["id".into()],
            },
        }],
        ..Batch::default()
    };
    for (i, (id, v)) in rows.iter().enumerate() {
        let range = row(*id, v, &mut batch.rows);
        let raw = raw(&mut batch);
        batch.entries.push(Entry {
            topic: 0,
            partition: 0,
            offset: offset + i as i64,
            kind: EntryKind::Row {
                target: 0,
                range,
                raw,
            },
        });
    }
    batch.starts.insert((0, 0), (offset > 0).then_some(offset));
    batch
}

async fn stored_rows(client: &tokio_postgres::Client) -> Vec<(i32, String)> {
    client
        .query("SELECT id, v FROM t ORDER BY id", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

#[tokio::test]
async fn upserts_of_new_keys_are_copied_and_a_stored_key_among_them_still_updates() {
    let (_db, mut client) = setup().await;
    // Every key new: straight in.
    let outcome = upserts(&[(1, "a"), (2, "b"), (3, "c")], 0)
        .write(&mut client)
        .await
        .unwrap();
    assert!(
        matches!(outcome, Outcome::Committed { rows: 3, .. }),
        "{outcome:?}"
    );
    assert_eq!(
        stored_rows(&client).await,
        [(1, "a".into()), (2, "b".into()), (3, "c".into())]
    );
    // New keys and a stored one: the COPY meets the stored key, is undone, and the run
    // is applied by key: the stored row updated, the new ones inserted, nothing twice.
    let outcome = upserts(&[(4, "d"), (2, "B"), (5, "e")], 3)
        .write(&mut client)
        .await
        .unwrap();
    assert!(
        matches!(outcome, Outcome::Committed { rows: 3, .. }),
        "{outcome:?}"
    );
    assert_eq!(
        stored_rows(&client).await,
        [
            (1, "a".into()),
            (2, "B".into()),
            (3, "c".into()),
            (4, "d".into()),
            (5, "e".into())
        ]
    );
    let stored: i64 = client
        .query_one(
            "SELECT next_offset FROM inlet.offsets WHERE connector = 'test'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, 6, "the offsets commit with the rows");
}

/// A dead letter as the table holds it: (offset, error, attempts, last_seen after
/// failed_at, replayed).
async fn stored_dead_letters(
    client: &tokio_postgres::Client,
) -> Vec<(i64, String, i32, bool, bool)> {
    client
        .query(
            r#"SELECT "offset", error, attempts, last_seen > failed_at, replayed_at IS NOT NULL
               FROM inlet.dead_letters ORDER BY "offset""#,
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
        .collect()
}

/// Offsets reset to earliest over dead-lettered records: the records are met again, and
/// each dead letter takes the new reason, a later `last_seen` and one more attempt; the
/// batch commits (it used to fail on the dead letters' unique key, at every restart).
#[tokio::test]
async fn a_record_dead_lettered_again_after_an_offset_reset_updates_its_dead_letter() {
    let (_db, mut client) = setup().await;
    let values = [
        (10, Some("a")),
        (11, None),
        (12, Some("bad")),
        (13, Some("b")),
    ];
    let first = batch(&values, None).write(&mut client).await.unwrap();
    assert!(
        matches!(
            first,
            Outcome::Committed {
                rows: 2,
                dead_letters: 2,
                ..
            }
        ),
        "{first:?}"
    );
    // The reset: the connector's offsets go back to the partition's start.
    client
        .execute("UPDATE inlet.offsets SET next_offset = 10", &[])
        .await
        .unwrap();
    client.execute("DELETE FROM t", &[]).await.unwrap();
    // Met again, the undecodable record fails for another reason this time.
    let mut again = batch(&values, Some(10));
    if let EntryKind::Dead { reason, .. } = &mut again.entries[1].kind {
        *reason = Reason::new(ReasonCode::UnknownSchema, "unknown schema id 7");
    }
    let second = again.write(&mut client).await.unwrap();
    assert_eq!(
        second,
        Outcome::Committed {
            rows: 2,
            dead_letters: 2,
            next: rustc_hash::FxHashMap::from_iter([((0, 0), 14)]),
        }
    );
    let dead = stored_dead_letters(&client).await;
    assert_eq!(dead.len(), 2, "one dead letter per record: {dead:?}");
    assert_eq!(
        (dead[0].0, dead[0].1.as_str(), dead[0].2, dead[0].3),
        (11, "unknown schema id 7", 2, true)
    );
    assert_eq!((dead[1].0, dead[1].2, dead[1].3), (12, 2, true));
    assert!(dead[1].1.contains("t_v_check"), "{}", dead[1].1);
    let code: String = client
        .query_one(
            r#"SELECT reason_code FROM inlet.dead_letters WHERE "offset" = 11"#,
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(code, "unknown_schema", "the code follows the new reason");
    assert_eq!(
        load_offsets(&client, "test", "events").await.unwrap()[&0],
        14
    );
}

/// Two workers storing the same dead letter at once (a rebalance while offsets were being
/// reset): the second waits for the first's transaction, then updates its row; both
/// commit, and there is one dead letter with two attempts.
#[tokio::test]
async fn two_transactions_storing_one_dead_letter_at_once_both_commit() {
    let (db, mut client) = setup().await;
    let mut other = DatabaseConfig::parse(db.url())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let one = batch(&[(5, None)], None);
    // The other worker has stored the same dead letter and not committed yet.
    let hold = other.transaction().await.unwrap();
    hold.batch_execute(
        r#"INSERT INTO inlet.dead_letters (connector, topic, "partition", "offset", error, reason_code)
           VALUES ('test', 'events', 0, 5, 'first', 'malformed_value')"#,
    )
    .await
    .unwrap();
    let (written, ()) = tokio::join!(one.write(&mut client), async {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        hold.commit().await.unwrap();
    });
    assert!(
        matches!(
            written.unwrap(),
            Outcome::Committed {
                dead_letters: 1,
                ..
            }
        ),
        "the waiting transaction commits"
    );
    let dead = stored_dead_letters(&client).await;
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!((dead[0].1.as_str(), dead[0].2), ("malformed Avro body", 2));
}

/// The id of the dead letter at `offset`.
async fn dead_letter_id(client: &tokio_postgres::Client, offset: i64) -> i64 {
    client
        .query_one(
            r#"SELECT id FROM inlet.dead_letters WHERE "offset" = $1"#,
            &[&offset],
        )
        .await
        .unwrap()
        .get(0)
}

/// A replay that fails again gives the dead letter its new reason, a later `last_seen` and
/// one more attempt; one that stores its row marks it replayed, and meeting that same record
/// again (an offset reset) keeps it replayed — its row is stored — while a different record
/// at that offset (the topic made again) is a dead letter to replay anew.
#[tokio::test]
async fn a_replayed_dead_letter_that_fails_again_keeps_one_dead_letter_with_its_new_reason() {
    use inlet_postgres::dead_letters::Replayed;
    let (_db, mut client) = setup().await;
    let values = [(10, None), (11, Some("bad")), (12, None)];
    batch(&values, None).write(&mut client).await.unwrap();
    let (ten, eleven, twelve) = (
        dead_letter_id(&client, 10).await,
        dead_letter_id(&client, 11).await,
        dead_letter_id(&client, 12).await,
    );
    // The replay: 10 still does not decode, 11 is still refused, 12 now converts.
    let mut replay = batch(&[(10, None), (11, Some("bad")), (12, Some("ok"))], None);
    if let EntryKind::Dead { reason, .. } = &mut replay.entries[0].kind {
        *reason = Reason::new(ReasonCode::UnknownSchema, "unknown schema id 7");
    }
    let outcomes = [
        replay.replay(&mut client, 0, ten).await.unwrap(),
        replay.replay(&mut client, 1, eleven).await.unwrap(),
        replay.replay(&mut client, 2, twelve).await.unwrap(),
    ];
    assert!(
        matches!(&outcomes[0], Replayed::StillDead { reason, reason_code: ReasonCode::UnknownSchema } if reason == "unknown schema id 7"),
        "{outcomes:?}"
    );
    assert!(
        matches!(&outcomes[1], Replayed::StillDead { reason, reason_code: ReasonCode::DatabaseRefused } if reason.contains("t_v_check"))
    );
    assert_eq!(outcomes[2], Replayed::Stored);
    let dead = stored_dead_letters(&client).await;
    assert_eq!(
        dead.iter()
            .map(|d| (d.0, d.2, d.3, d.4))
            .collect::<Vec<_>>(),
        [
            (10, 2, true, false),
            (11, 2, true, false),
            (12, 1, false, true)
        ]
    );
    assert_eq!(dead[0].1, "unknown schema id 7");
    let replays: Vec<i32> = client
        .query(
            r#"SELECT replays FROM inlet.dead_letters ORDER BY "offset""#,
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(replays, [1, 1, 1]);

    // The offsets reset: 12, met again as it was, fails again (its row stays stored by the
    // replay); then the topic is made again and offset 12 holds another record.
    client
        .execute("UPDATE inlet.offsets SET next_offset = 12", &[])
        .await
        .unwrap();
    batch(&[(12, None)], Some(12))
        .write(&mut client)
        .await
        .unwrap();
    let dead = stored_dead_letters(&client).await;
    assert_eq!(
        (dead[2].0, dead[2].2, dead[2].4),
        (12, 2, true),
        "still replayed"
    );
    client
        .execute("UPDATE inlet.offsets SET next_offset = 12", &[])
        .await
        .unwrap();
    let mut other = Batch {
        connector: "test".into(),
        topics: vec!["events".into()],
        ..Batch::default()
    };
    let raw = other.keep_raw(None, None, Some(b"another record"), "", None);
    other.entries.push(Entry {
        topic: 0,
        partition: 0,
        offset: 12,
        kind: EntryKind::Dead {
            raw,
            reason: Reason::new(ReasonCode::MalformedValue, "malformed Avro body"),
        },
    });
    other.starts.insert((0, 0), Some(12));
    other.write(&mut client).await.unwrap();
    let dead = stored_dead_letters(&client).await;
    assert_eq!(
        (dead[2].0, dead[2].2, dead[2].4),
        (12, 3, false),
        "to replay anew"
    );
    let value: Vec<u8> = client
        .query_one(
            r#"SELECT value FROM inlet.dead_letters WHERE "offset" = 12"#,
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(value, b"another record");
}

/// `inlet.dead_letters.reason_code` takes exactly the codes of `ReasonCode`, and migration 11
/// gives the dead letters stored before it the code their sentence shows.
#[tokio::test]
async fn reason_codes_are_checked_and_dead_letters_stored_before_them_get_theirs() {
    let (_db, client) = setup().await;
    let insert = r#"INSERT INTO inlet.dead_letters (connector, topic, "partition", "offset", error, reason_code)
                    VALUES ('c', 't', 0, $1, 'e', $2)"#;
    for (i, code) in ReasonCode::ALL.into_iter().enumerate() {
        client
            .execute(insert, &[&(i as i64), &code.as_str()])
            .await
            .unwrap_or_else(|e| panic!("{code} refused: {e}"));
        assert_eq!(ReasonCode::parse(code.as_str()), Some(code));
    }
    // The CHECK lists exactly these codes, no other.
    let check: String = client
        .query_one(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'dead_letters_reason_code_is_known'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let mut listed: Vec<&str> = check.split('\'').skip(1).step_by(2).collect();
    listed.sort_unstable();
    let mut codes: Vec<&str> = ReasonCode::ALL.map(ReasonCode::as_str).to_vec();
    codes.sort_unstable();
    assert_eq!(listed, codes, "{check}");
    let refused = client
        .execute(insert, &[&99i64, &"gone_wrong"])
        .await
        .unwrap_err();
    assert_eq!(
        refused.code(),
        Some(&tokio_postgres::error::SqlState::CHECK_VIOLATION),
        "{refused}"
    );
    // As a schema of version 10 held them: sentences only.
    client
        .batch_execute(
            "DELETE FROM inlet.dead_letters; \
             ALTER TABLE inlet.dead_letters DROP CONSTRAINT dead_letters_reason_code_is_known, DROP COLUMN reason_code",
        )
        .await
        .unwrap();
    let sentences = [
        (
            "not a Confluent Avro frame: 3 bytes, fewer than the 5 of the header",
            "bad_frame",
        ),
        (
            "schema id 9 is not in the schema registry: schema registry at http://r answered HTTP 404",
            "unknown_schema",
        ),
        (
            "schema id 9: the writer schema is not valid Avro: no type",
            "unusable_schema",
        ),
        (
            "the schema fills none of the columns of public.t (its fields: a; the table's columns: b)",
            "unusable_schema",
        ),
        (
            "column b of public.t is NOT NULL and has no default, and the schema fills no value for it",
            "unusable_schema",
        ),
        (
            "malformed Avro body: unexpected end of data",
            "malformed_value",
        ),
        (
            "field reading: value 40000 cannot be stored in column reading (int2): out of range",
            "value_refused",
        ),
        (
            "the record's key: not Confluent-framed Avro",
            "key_unusable",
        ),
        (
            "the tombstone's key has no value for key column id",
            "key_unusable",
        ),
        (
            "a tombstone (null value): only insert = \"upsert-delete\" acts on it",
            "tombstone",
        ),
        (
            "the database refused the row: new row violates check constraint",
            "database_refused",
        ),
        ("something an older build said", "unclassified"),
    ];
    for (i, (sentence, _)) in sentences.iter().enumerate() {
        client
            .execute(
                r#"INSERT INTO inlet.dead_letters (connector, topic, "partition", "offset", error)
                   VALUES ('c', 't', 0, $1, $2)"#,
                &[&(i as i64), sentence],
            )
            .await
            .unwrap();
    }
    client
        .batch_execute(include_str!(
            "../src/sql/migrations/011_dead_letter_reason_codes.sql"
        ))
        .await
        .unwrap();
    let codes: Vec<String> = client
        .query(
            r#"SELECT reason_code FROM inlet.dead_letters ORDER BY "offset""#,
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(codes, sentences.map(|(_, code)| code));
}
