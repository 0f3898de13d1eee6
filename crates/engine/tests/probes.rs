//! The console's "Authenticate" steps as engine functions, against the real broker and
//! registry: the Kafka probe lists the cluster's topics, the registry probe its subjects,
//! and the table proposal for a topic comes from its subjects' latest schemas.
//! Needs `scripts/services up`.

use inlet_engine::config::{RawKafka, RawRegistry};
use inlet_engine::{probe_kafka, probe_registry, propose_table};
use inlet_testkit::{AvroProducer, create_topic, endpoints, kafka_config, unique};

#[tokio::test(flavor = "multi_thread")]
async fn kafka_and_registry_probes_list_what_the_console_shows() {
    let env = endpoints();
    let kafka = env.require_kafka().to_owned();
    let registry = env.require_registry().await.to_owned();
    let topic = unique("probed");
    create_topic(&kafka_config(&kafka), &topic, 3).await;
    let producer = AvroProducer::new(&kafka_config(&kafka), &registry);
    producer
        .register(
            &format!("{topic}-value"),
            r#"{"type":"record","name":"P","fields":[{"name":"id","type":"long"}]}"#,
        )
        .await;
    producer
        .register(
            &format!("{topic}-key"),
            r#"{"type":"record","name":"K","fields":[{"name":"tenant","type":"string"}]}"#,
        )
        .await;

    let settings: RawKafka = toml::from_str(&format!("bootstrap_servers = \"{kafka}\"")).unwrap();
    let probe = probe_kafka(
        &settings.check("probe").unwrap(),
        std::slice::from_ref(&topic),
    )
    .await;
    assert!(probe.findings.iter().all(|f| f.ok), "{:#?}", probe.findings);
    let listed = probe.topics.iter().find(|t| t.name == topic);
    assert_eq!(listed.map(|t| t.partitions), Some(3), "{:?}", probe.topics);
    assert!(probe.topics.iter().all(|t| !t.name.starts_with("__")));

    let registry: RawRegistry = toml::from_str(&format!("url = \"{registry}\"")).unwrap();
    let registry = registry.check().unwrap();
    let (findings, subjects) = probe_registry(&registry, std::slice::from_ref(&topic)).await;
    assert!(findings.iter().all(|f| f.ok), "{findings:#?}");
    assert!(subjects.contains(&format!("{topic}-value")));

    let table = inlet_postgres::TableName::parse("public.probed").unwrap();
    let (proposal, ddl) = propose_table(&registry, &topic, &table, &[]).await.unwrap();
    let columns: Vec<&str> = proposal.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(columns, ["id", "tenant"], "the key's field too");
    assert!(
        ddl.contains("CREATE TABLE \"public\".\"probed\" ("),
        "{ddl}"
    );
    let missing = propose_table(&registry, "no-such-topic", &table, &[])
        .await
        .unwrap_err()
        .to_string();
    assert!(
        missing.contains("no-such-topic-value") && missing.contains("produce to the topic"),
        "{missing}"
    );
}
