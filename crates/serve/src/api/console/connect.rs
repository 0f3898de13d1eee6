//! The steps that connect: Kafka's and the registry's "Authenticate", and the cluster's
//! topics with their subjects' latest schema ids (looked up a few at a time, within a
//! budget).

use super::*;

/// One thing a check looked at.
#[derive(Serialize, ToSchema)]
pub struct Finding {
    /// Whether it is as it should be.
    ok: bool,
    /// What was checked: `database`, `kafka`, `topic`, `group`, `registry`, `subject` or
    /// `table`.
    what: String,
    /// What was found; when not ok, also what to do.
    detail: String,
}

/// The findings of a probe, as answered.
pub(super) fn findings(found: &[inlet_engine::Finding]) -> Vec<Finding> {
    found
        .iter()
        .map(|f| Finding {
            ok: f.ok,
            what: f.what.to_owned(),
            detail: f.detail.clone(),
        })
        .collect()
}

/// What Kafka's "Authenticate" found: each thing checked, and the cluster's topics.
#[derive(Serialize, ToSchema)]
pub struct KafkaCheck {
    /// Whether every finding is ok.
    ok: bool,
    /// The brokers' answer, the credentials, each topic asked for and the consumer group:
    /// ok, or what to do.
    findings: Vec<Finding>,
    /// Every topic of the cluster the credentials may see (internal ones left out), by name.
    topics: Vec<ClusterTopic>,
}

/// A topic of the Kafka cluster.
#[derive(Serialize, ToSchema)]
pub struct ClusterTopic {
    /// Its name.
    name: String,
    /// How many partitions it has.
    partitions: usize,
}

/// Checks Kafka's settings (the console's "Authenticate"), and lists the cluster's topics.
///
/// The body is the `kafka.*` keys (and `topics`, to check them). The brokers, the
/// credentials, each topic and the consumer group are checked, each failure with its fix.
/// Nothing is written; the group is not joined.
#[utoipa::path(post, path = "/inlet/v1/kafka/check", request_body = DraftBody, responses(
    (status = 200, description = "What was found (ok false: a finding says what to do).", body = KafkaCheck),
))]
pub(super) async fn kafka_check(
    State(app): State<App>,
    Body(DraftBody(config)): Body<DraftBody>,
) -> Result<Json<KafkaCheck>, ApiError> {
    let _turn = app.step_turn().await?;
    let config = prepared(&app, config).await?;
    let raw = lenient(&config)?;
    let settings = kafka_of(&raw)?;
    let probe = inlet_engine::probe_kafka(&settings, &topics_of(&config)).await;
    Ok(Json(KafkaCheck {
        ok: probe.findings.iter().all(|f| f.ok),
        findings: findings(&probe.findings),
        topics: probe
            .topics
            .into_iter()
            .map(|t| ClusterTopic {
                name: t.name,
                partitions: t.partitions,
            })
            .collect(),
    }))
}

/// The Kafka settings of a step's connector, or 400 with their problems by flat key.
pub(super) fn kafka_of(raw: &RawConnector) -> Result<inlet_kafka::KafkaSettings, ApiError> {
    raw.kafka
        .check(&raw.name)
        .map_err(|e| problems(prefixed(e.problems, "kafka.")))
}

/// The registry settings of a step's connector, or 400 with their problems by flat key.
pub(super) fn registry_of(raw: &RawConnector) -> Result<inlet_registry::RegistryConfig, ApiError> {
    raw.registry
        .check()
        .map_err(|e| problems(prefixed(e.problems, "registry.")))
}

/// The engine's key paths under a section, as flat keys.
pub(super) fn prefixed(problems: Vec<(String, String)>, prefix: &str) -> Vec<flat::Problem> {
    problems
        .into_iter()
        .map(|(k, m)| {
            if k.starts_with(prefix) {
                (k, m)
            } else {
                (format!("{prefix}{k}"), m)
            }
        })
        .collect()
}

/// What the registry's "Authenticate" found, and its subjects.
#[derive(Serialize, ToSchema)]
pub struct RegistryCheck {
    /// Whether every finding is ok.
    ok: bool,
    /// The registry's answer, the credentials, each topic's value subject: ok, or what to
    /// do.
    findings: Vec<Finding>,
    /// The registry's subjects (none when it did not answer).
    subjects: Vec<String>,
}

/// Checks the schema registry's settings (the console's "Authenticate").
///
/// The body is the `registry.*` keys (and `topics`, to check their subjects): the registry
/// answers, it takes the credentials, each topic's value subject has a schema.
#[utoipa::path(post, path = "/inlet/v1/registry/check", request_body = DraftBody, responses(
    (status = 200, description = "What was found (ok false: a finding says what to do).", body = RegistryCheck),
))]
pub(super) async fn registry_check(
    State(app): State<App>,
    Body(DraftBody(config)): Body<DraftBody>,
) -> Result<Json<RegistryCheck>, ApiError> {
    let _turn = app.step_turn().await?;
    let config = prepared(&app, config).await?;
    let raw = lenient(&config)?;
    let registry = registry_of(&raw)?;
    let (found, subjects) = inlet_engine::probe_registry(&registry, &topics_of(&config)).await;
    Ok(Json(RegistryCheck {
        ok: found.iter().all(|f| f.ok),
        findings: findings(&found),
        subjects,
    }))
}

/// A topic of the cluster as the console lists it, with its value subject.
#[derive(Serialize, ToSchema)]
pub struct TopicRow {
    /// Its name.
    name: String,
    /// How many partitions it has.
    partitions: usize,
    /// `<topic>-value`, when the registry has that subject (else null).
    #[schema(required = true)]
    value_subject: Option<String>,
    /// The id of the subject's latest schema, when it was read and inlet can read the
    /// schema (else null).
    #[schema(required = true)]
    latest_schema_id: Option<u32>,
    /// Why the latest schema id was not read (a slow or failing registry); null when read
    /// or not looked up.
    #[schema(required = true)]
    latest_schema_error: Option<String>,
}

/// Lists the cluster's topics, each with its value subject and latest schema id.
///
/// The body is the `kafka.*` and `registry.*` keys (and `topics`, to list only those).
/// The topics come by name, each with its partitions and whether `<topic>-value` has a
/// schema.
/// The latest ids are looked up for the first 500 topics with a subject, 8 at once, all
/// within 8 s: one not read by then has `latest_schema_error`, why. 502 when Kafka or the
/// registry fails a check.
#[utoipa::path(post, path = "/inlet/v1/topics", request_body = DraftBody, responses(
    (status = 200, description = "The topics, by name.", body = Vec<TopicRow>),
))]
pub(super) async fn cluster_topics(
    State(app): State<App>,
    Body(DraftBody(config)): Body<DraftBody>,
) -> Result<Json<Vec<TopicRow>>, ApiError> {
    let _turn = app.step_turn().await?;
    let config = prepared(&app, config).await?;
    let raw = lenient(&config)?;
    let settings = kafka_of(&raw)?;
    let registry = registry_of(&raw)?;
    let probe = inlet_engine::probe_kafka(&settings, &[]).await;
    if let Some(failed) = probe.findings.iter().find(|f| !f.ok) {
        return Err(ApiError::new(
            StatusCode::BAD_GATEWAY,
            failed.detail.clone(),
        ));
    }
    // No registry (topics of formats without one): no subjects to show.
    let (findings, subjects) = if raw.registry.url.trim().is_empty() {
        (Vec::new(), Vec::new())
    } else {
        inlet_engine::probe_registry(&registry, &[]).await
    };
    if let Some(failed) = findings.iter().find(|f| !f.ok) {
        return Err(ApiError::new(
            StatusCode::BAD_GATEWAY,
            failed.detail.clone(),
        ));
    }
    let subjects: std::collections::HashSet<String> = subjects.into_iter().collect();
    // Only the topics named in `topics`, when it names some.
    let wanted = topics_of(&config);
    let mut listed: Vec<&inlet_engine::TopicInfo> = probe
        .topics
        .iter()
        .filter(|t| wanted.is_empty() || wanted.contains(&t.name))
        .collect();
    listed.sort_by(|a, b| a.name.cmp(&b.name));
    // The latest ids of the first subjects, looked up at once (a few in flight) and all
    // answered within the budget: a slow registry costs the budget, not a wait per topic.
    let looked_up: Vec<String> = listed
        .iter()
        .map(|t| format!("{}-value", t.name))
        .filter(|s| subjects.contains(s))
        .take(MAX_TOPICS_LOOKED_UP)
        .collect();
    let ids =
        inlet_engine::latest_schema_ids(&registry, &looked_up, LOOKUPS_AT_ONCE, LOOKUP_BUDGET)
            .await;
    let mut out = Vec::new();
    for topic in listed {
        let subject = format!("{}-value", topic.name);
        let has_subject = subjects.contains(&subject);
        let (latest, unread) = match looked_up.iter().position(|s| *s == subject) {
            Some(i) => match &ids[i] {
                inlet_engine::LatestId::Id(id) => (Some(*id), None),
                inlet_engine::LatestId::None => (None, None),
                inlet_engine::LatestId::Unread(why) => (None, Some(why.clone())),
            },
            None => (None, None),
        };
        out.push(TopicRow {
            name: topic.name.clone(),
            partitions: topic.partitions,
            value_subject: has_subject.then_some(subject),
            latest_schema_id: latest,
            latest_schema_error: unread,
        });
    }
    Ok(Json(out))
}

/// How many latest schema ids `topics` asks the registry for at once.
pub(super) const LOOKUPS_AT_ONCE: usize = 8;

/// How long `topics` waits for the latest schema ids, all of them together: those not read
/// by then are listed without, with why (`latest_schema_error`).
pub(super) const LOOKUP_BUDGET: std::time::Duration = std::time::Duration::from_secs(8);
