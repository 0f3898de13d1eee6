//! The topics a connector reads and where: its stored next offsets (Kafka Connect's sink
//! shape), changed or reset only while it is STOPPED.

use super::*;

/// The topics a connector reads.
#[derive(Serialize, ToSchema)]
pub struct ConnectorTopics {
    /// Its configuration's topics.
    topics: Vec<String>,
}

/// The topics a connector reads, under its name (Kafka Connect's shape).
#[utoipa::path(get, path = "/connectors/{name}/topics", params(Named), responses(
    (status = 200, description = "name → its topics.", body = BTreeMap<String, ConnectorTopics>),
))]
pub(super) async fn topics(
    State(app): State<App>,
    Path(Named { name }): Path<Named>,
) -> Result<Json<BTreeMap<String, ConnectorTopics>>, ApiError> {
    let found = find(&app, &name).await?;
    let topics = flat::topics(found.config())
        .into_iter()
        .map(str::to_owned)
        .collect();
    Ok(Json(BTreeMap::from([(name, ConnectorTopics { topics })])))
}

/// Taken, 202: Kafka Connect forgets the topics a connector has used; an inlet
/// connector's topics are its configuration's, so there is nothing to forget (the call is
/// taken, for the clients that make it).
#[utoipa::path(put, path = "/connectors/{name}/topics/reset", params(Named), responses(
    (status = 202, description = "Taken."),
))]
pub(super) async fn reset_topics(
    State(app): State<App>,
    Path(Named { name }): Path<Named>,
) -> Result<StatusCode, ApiError> {
    read_only(&app, &name)?;
    find(&app, &name).await?;
    Ok(StatusCode::ACCEPTED)
}

/// A connector's offsets, in Kafka Connect's sink shape (ConnectorOffsets).
#[derive(Serialize, Deserialize, ToSchema)]
pub struct Offsets {
    /// One per partition.
    offsets: Vec<OffsetEntry>,
}

impl Shape for Offsets {
    const SHAPE: &'static str = "{\"offsets\": [{\"partition\": {\"kafka_topic\", \"kafka_partition\"}, \"offset\": {\"kafka_offset\"} or null}]}";
}

/// A partition's offset.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct OffsetEntry {
    /// The partition.
    partition: SinkPartition,
    /// Its stored next offset; null (in a change) forgets it.
    offset: Option<SinkOffset>,
}

/// A partition, as a sink's offsets name it.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct SinkPartition {
    /// The topic.
    #[schema(pattern = "^[A-Za-z0-9._-]{1,249}$")]
    kafka_topic: String,
    /// The partition, from 0.
    #[schema(minimum = 0)]
    kafka_partition: i32,
}

/// A sink's offset: the next record to read.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct SinkOffset {
    /// The offset, from 0.
    kafka_offset: i64,
}

/// What an offsets change answers.
#[derive(Serialize, ToSchema)]
pub struct Message {
    /// What was done.
    message: String,
}

/// A connector's stored next offsets, in the sink shape.
#[utoipa::path(get, path = "/connectors/{name}/offsets", params(Named), responses(
    (status = 200, description = "The offsets.", body = Offsets),
))]
pub(super) async fn offsets(
    State(app): State<App>,
    Path(Named { name }): Path<Named>,
) -> Result<Json<Offsets>, ApiError> {
    find(&app, &name).await?;
    let client = app.client().await?;
    let offsets = control::offsets_of(&*client, &name)
        .await?
        .into_iter()
        .map(|(kafka_topic, kafka_partition, kafka_offset)| OffsetEntry {
            partition: SinkPartition {
                kafka_topic,
                kafka_partition,
            },
            offset: Some(SinkOffset { kafka_offset }),
        })
        .collect();
    Ok(Json(Offsets { offsets }))
}

pub(super) fn offsets_refused(name: &str, refused: OffsetsRefused) -> ApiError {
    match refused {
        OffsetsRefused::Missing => ApiError::no_connector(name),
        OffsetsRefused::NotStopped(TargetState::Stopped) => ApiError::new(
            StatusCode::CONFLICT,
            format!(
                "connector {name} is STOPPED, but a worker has not let one of its tasks go yet: retry in a few seconds"
            ),
        ),
        OffsetsRefused::NotStopped(state) => ApiError::new(
            StatusCode::BAD_REQUEST,
            format!(
                "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/{name}/stop' endpoint (it is {})",
                state.as_str()
            ),
        ),
    }
}

/// Sets (or, with `"offset": null`, forgets) the stored offsets of the partitions given;
/// only while STOPPED.
#[utoipa::path(patch, path = "/connectors/{name}/offsets", params(Named), request_body = Offsets,
    responses((status = 200, description = "Altered.", body = Message)),
)]
pub(super) async fn alter_offsets(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Path(Named { name }): Path<Named>,
    Body(body): Body<Offsets>,
) -> Result<Json<Message>, ApiError> {
    read_only(&app, &name)?;
    let found = find(&app, &name).await?;
    let topics = flat::topics(found.config());
    if let Some(other) = body
        .offsets
        .iter()
        .find(|o| !topics.contains(&o.partition.kafka_topic.as_str()))
    {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!(
                "topic {:?} is not one the connector reads ({})",
                other.partition.kafka_topic,
                topics.join(", ")
            ),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    if let Some(twice) = body.offsets.iter().find(|o| {
        !seen.insert((
            o.partition.kafka_topic.as_str(),
            o.partition.kafka_partition,
        ))
    }) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!(
                "{}/{} is given twice",
                twice.partition.kafka_topic, twice.partition.kafka_partition
            ),
        ));
    }
    if body.offsets.is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "The offsets to modify must not be empty",
        ));
    }
    if let Some(bad) = body.offsets.iter().find(|o| {
        o.partition.kafka_partition < 0 || o.offset.as_ref().is_some_and(|o| o.kafka_offset < 0)
    }) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!(
                "partition {} and offsets of {} must not be negative",
                bad.partition.kafka_partition, bad.partition.kafka_topic
            ),
        ));
    }
    let offsets: Vec<(String, i32, Option<i64>)> = body
        .offsets
        .into_iter()
        .map(|o| {
            (
                o.partition.kafka_topic,
                o.partition.kafka_partition,
                o.offset.map(|o| o.kafka_offset),
            )
        })
        .collect();
    let mut client = app.client().await?;
    control::alter_offsets(&mut client, &name, Some(&offsets), Actor(&caller.name))
        .await?
        .map_err(|r| offsets_refused(&name, r))?;
    Ok(Json(Message {
        message: "The offsets for this connector have been altered successfully".into(),
    }))
}

/// Forgets every stored offset (the topics are read again from `kafka.start_from`); only
/// while STOPPED.
#[utoipa::path(delete, path = "/connectors/{name}/offsets", params(Named), responses(
    (status = 200, description = "Reset.", body = Message),
))]
pub(super) async fn reset_offsets(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Path(Named { name }): Path<Named>,
) -> Result<Json<Message>, ApiError> {
    read_only(&app, &name)?;
    let mut client = app.client().await?;
    control::alter_offsets(&mut client, &name, None, Actor(&caller.name))
        .await?
        .map_err(|r| offsets_refused(&name, r))?;
    Ok(Json(Message {
        message: "The offsets for this connector have been reset successfully".into(),
    }))
}
