//! The SQL inlet sends to a TimescaleDB, against TimescaleDB itself: PGlite (PostgreSQL 17
//! in WASM) with TimescaleDB 2.23 (`inlet_testkit::TimescaleDb`), since TimescaleDB's
//! packages cannot be installed here. inlet's migrations, finding the extension, creating a
//! table from a proposal, making it a hypertable on its time column with the chunk interval
//! asked (twice: the second call is a no-op), and reading it back as `inlet check` and a
//! connector do. PGlite's `COPY … FROM STDIN` does not work, so the COPY path into
//! hypertables is tested on plain PostgreSQL only (`batch.rs`). Needs `scripts/services up`.

use inlet_avro::{PgType, TableColumn};
use inlet_postgres::{
    DatabaseConfig, TableName, create_hypertable, create_table, enable_columnstore,
    ensure_inlet_schema, table_columns, timescaledb_present, unique_keys,
};
use inlet_testkit::TimescaleDb;

fn column(name: &str, pg_type: PgType, nullable: bool) -> TableColumn {
    TableColumn {
        name: name.into(),
        pg_type,
        nullable,
        has_default: false,
        generated: None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_table_becomes_a_hypertable_on_its_time_column_with_the_chunk_interval() {
    let timescale = TimescaleDb::start();
    let mut client = DatabaseConfig::parse(timescale.url())
        .unwrap()
        .connect()
        .await
        .unwrap();
    // inlet's own tables, as every connector brings them up.
    ensure_inlet_schema(&mut client).await.unwrap();
    ensure_inlet_schema(&mut client).await.unwrap();

    // Installed only once the extension is created in the database.
    assert!(!timescaledb_present(&client).await.unwrap());
    client
        .batch_execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
        .await
        .unwrap();
    assert!(timescaledb_present(&client).await.unwrap());

    let table = TableName::parse("metrics.readings").unwrap();
    let columns = [
        column("device_id", PgType::Text, false),
        column("ts", PgType::parse("timestamptz").unwrap(), false),
        column("temperature", PgType::Float8, true),
    ];
    let ddl = inlet_postgres::ddl::create_table(&table, &columns, None);
    assert!(create_table(&mut client, &table, &ddl).await.unwrap());
    assert!(
        !create_table(&mut client, &table, &ddl).await.unwrap(),
        "exists"
    );
    create_hypertable(&client, &table, "ts", "6 hours")
        .await
        .unwrap();
    create_hypertable(&client, &table, "ts", "6 hours")
        .await
        .unwrap();

    let dimension = client
        .query_one(
            "SELECT column_name::text, time_interval::text FROM timescaledb_information.dimensions
             WHERE hypertable_schema = 'metrics' AND hypertable_name = 'readings'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(dimension.get::<_, String>(0), "ts");
    assert_eq!(dimension.get::<_, String>(1), "06:00:00");

    // Read back as a connector and `inlet check` read a table.
    let read = table_columns(&client, &table).await.unwrap().unwrap();
    let described: Vec<(String, String, bool)> = read
        .iter()
        .map(|c| (c.name.clone(), c.pg_type.to_string(), c.nullable))
        .collect();
    assert_eq!(
        described,
        [
            ("device_id".into(), "text".into(), false),
            ("ts".into(), "timestamp with time zone".into(), false),
            ("temperature".into(), "double precision".into(), true),
        ]
    );
    assert!(unique_keys(&client, &table).await.unwrap().is_empty());
    // Rows go into chunks of 6 hours (by INSERT: PGlite has no COPY FROM STDIN).
    client
        .batch_execute(
            "INSERT INTO metrics.readings VALUES
               ('a', '2026-01-01 00:00+00', 1.5), ('a', '2026-01-01 07:00+00', 2.5),
               ('b', '2026-01-01 13:00+00', 3.5)",
        )
        .await
        .unwrap();
    let chunks: i64 = client
        .query_one(
            "SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_name = 'readings'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(chunks, 3);
}

/// A table with a unique key that leaves out the time column cannot be a hypertable:
/// TimescaleDB refuses, and inlet does not ask (it says why instead).
#[tokio::test(flavor = "multi_thread")]
async fn timescaledb_refuses_a_hypertable_whose_unique_key_leaves_out_the_time_column() {
    let timescale = TimescaleDb::start();
    let mut client = DatabaseConfig::parse(timescale.url())
        .unwrap()
        .connect()
        .await
        .unwrap();
    client
        .batch_execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
        .await
        .unwrap();
    let table = TableName::parse("public.keyed").unwrap();
    let columns = [
        column("id", PgType::Int8, false),
        column("ts", PgType::parse("timestamptz").unwrap(), false),
    ];
    let key = ["id".to_owned()];
    let ddl = inlet_postgres::ddl::create_table(&table, &columns, Some(&key));
    create_table(&mut client, &table, &ddl).await.unwrap();
    assert_eq!(
        unique_keys(&client, &table).await.unwrap(),
        [vec!["id".to_owned()]]
    );
    let refused = create_hypertable(&client, &table, "ts", "1 day")
        .await
        .unwrap_err()
        .to_string();
    assert!(refused.contains("partitioning"), "{refused}");
}

/// The columnstore: segmented by the key but its time column, ordered by the time column
/// newest first, a policy converting older chunks; rows upserted into a converted chunk
/// land (what inlet's upsert mode does, by INSERT … ON CONFLICT from its staging table).
#[tokio::test(flavor = "multi_thread")]
async fn a_hypertable_gets_the_columnstore_and_takes_upserts_into_converted_chunks() {
    let timescale = TimescaleDb::start();
    let mut client = DatabaseConfig::parse(timescale.url())
        .unwrap()
        .connect()
        .await
        .unwrap();
    client
        .batch_execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
        .await
        .unwrap();
    let table = TableName::parse("public.Readings").unwrap();
    let columns = [
        column("device id", PgType::Text, false),
        column("ts", PgType::parse("timestamptz").unwrap(), false),
        column("v", PgType::Float8, true),
    ];
    let key = ["device id".to_owned(), "ts".to_owned()];
    let ddl = inlet_postgres::ddl::create_table(&table, &columns, Some(&key));
    create_table(&mut client, &table, &ddl).await.unwrap();
    create_hypertable(&client, &table, "ts", "1 day")
        .await
        .unwrap();
    let segment_by = ["device id".to_owned()];
    enable_columnstore(&client, &table, "ts", &segment_by, "3 days")
        .await
        .unwrap();
    enable_columnstore(&client, &table, "ts", &segment_by, "3 days")
        .await
        .unwrap();
    // (column, segmentby index, orderby index, ascending)
    type Setting = (String, Option<i16>, Option<i16>, Option<bool>);
    let settings: Vec<Setting> = client
        .query(
            "SELECT attname::text, segmentby_column_index, orderby_column_index, orderby_asc
             FROM timescaledb_information.compression_settings
             WHERE hypertable_name = 'Readings' ORDER BY attname",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    assert_eq!(
        settings,
        [
            ("device id".into(), Some(1), None, None),
            ("ts".into(), None, Some(1), Some(false)),
        ]
    );
    let policy: String = client
        .query_one(
            "SELECT config->>'compress_after' FROM timescaledb_information.jobs
             WHERE hypertable_name = 'Readings' AND proc_name = 'policy_compression'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(policy, "3 days");
    client
        .batch_execute(
            r#"INSERT INTO "Readings" VALUES ('a', '2026-01-01 00:00+00', 1), ('b', '2026-01-02 00:00+00', 2);
               SELECT compress_chunk(c) FROM show_chunks('"Readings"') c;
               INSERT INTO "Readings" VALUES ('a', '2026-01-01 00:00+00', 5), ('c', '2026-01-01 01:00+00', 6)
                 ON CONFLICT ("device id", ts) DO UPDATE SET v = excluded.v;"#,
        )
        .await
        .unwrap();
    let rows: Vec<(String, f64)> = client
        .query(
            r#"SELECT "device id", v FROM "Readings" ORDER BY ts, "device id""#,
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(
        rows,
        [("a".into(), 5.0), ("c".into(), 6.0), ("b".into(), 2.0)]
    );
    // Without segmentby columns (append, no key): ordered only.
    let plain = TableName::parse("public.plain").unwrap();
    let ddl = inlet_postgres::ddl::create_table(&plain, &columns, None);
    create_table(&mut client, &plain, &ddl).await.unwrap();
    create_hypertable(&client, &plain, "ts", "1 day")
        .await
        .unwrap();
    enable_columnstore(&client, &plain, "ts", &[], "7 days")
        .await
        .unwrap();
}
