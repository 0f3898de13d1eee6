//! Permissions Kafka refused, and the ACL that grants each one.
//!
//! A connector needs READ on each of its topics (a LITERAL topic ACL) and READ on its
//! consumer group (a PREFIXED group ACL on `group_prefix` covers every connector of a
//! project, as Confluent Cloud's connectors are granted). `inlet check` and `inlet run` say
//! the same sentence for the same refusal, so that a user can grant exactly what is missing.

use rdkafka::error::{KafkaError, RDKafkaErrorCode};

/// A permission the brokers refused to the connector's principal.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Denied {
    /// READ on these topics (DESCRIBE comes with READ).
    Topics(Vec<String>),
    /// READ on the consumer group (joining it, reading and committing its offsets).
    Group {
        /// The group id, `<group_prefix>/<connector name>`.
        group: String,
    },
    /// An operation on the cluster resource.
    Cluster,
}

impl Denied {
    /// Whether `error` is one of Kafka's authorization failures (topic, group or cluster).
    pub fn is_authorization_failure(error: &KafkaError) -> bool {
        matches!(
            error.rdkafka_error_code(),
            Some(
                RDKafkaErrorCode::TopicAuthorizationFailed
                    | RDKafkaErrorCode::GroupAuthorizationFailed
                    | RDKafkaErrorCode::ClusterAuthorizationFailed
            )
        )
    }

    /// The refusal a librdkafka error stands for, if it is an authorization failure;
    /// `topics` are the ones the failing request concerned and `group` the consumer group.
    pub fn from_error(error: &KafkaError, topics: &[&str], group: &str) -> Option<Denied> {
        match error.rdkafka_error_code()? {
            RDKafkaErrorCode::TopicAuthorizationFailed => Some(Denied::Topics(
                topics.iter().map(|t| (*t).to_owned()).collect(),
            )),
            RDKafkaErrorCode::GroupAuthorizationFailed => Some(Denied::Group {
                group: group.to_owned(),
            }),
            RDKafkaErrorCode::ClusterAuthorizationFailed => Some(Denied::Cluster),
            _ => None,
        }
    }

    /// What is missing and the ACL that grants it, for `principal` (the SASL user, if any):
    /// one sentence, the same from `inlet check` and `inlet run`.
    pub fn advice(&self, principal: Option<&str>) -> String {
        let who = principal.map_or_else(
            || "the connector's principal".to_owned(),
            |p| format!("User:{p}"),
        );
        match self {
            Denied::Topics(topics) => format!(
                "Kafka refused READ on topic {} to {who} (TOPIC_AUTHORIZATION_FAILED; a topic that does not exist is refused so too when the principal may not describe it): grant it an ALLOW ACL for operation READ on {}, pattern LITERAL (kafka-acls --bootstrap-server <broker> --add --allow-principal {who} --operation READ --topic {})",
                topics.join(", "),
                if topics.len() == 1 {
                    "the topic"
                } else {
                    "each topic"
                },
                topics.first().map_or("<topic>", String::as_str)
            ),
            Denied::Group { group } => {
                // The group is <group_prefix>/<connector name>.
                let group_prefix = group.rsplit_once('/').map_or(group.as_str(), |(p, _)| p);
                format!(
                    "Kafka refused READ on consumer group {group} to {who} (GROUP_AUTHORIZATION_FAILED): grant it an ALLOW ACL for operation READ on group {group_prefix:?}, pattern PREFIXED (kafka-acls --bootstrap-server <broker> --add --allow-principal {who} --operation READ --group {group_prefix} --resource-pattern-type prefixed), or change kafka.group_prefix to a prefix it may use"
                )
            }
            Denied::Cluster => format!(
                "Kafka refused an operation on the cluster to {who} (CLUSTER_AUTHORIZATION_FAILED): grant it an ALLOW ACL for operation DESCRIBE on the cluster (kafka-acls --bootstrap-server <broker> --add --allow-principal {who} --operation DESCRIBE --cluster)"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_refusal_names_the_acl_that_grants_it() {
        let topic = KafkaError::MessageConsumption(RDKafkaErrorCode::TopicAuthorizationFailed);
        let denied = Denied::from_error(&topic, &["orders"], "tigerdata-kafka/p1/orders").unwrap();
        let text = denied.advice(Some("svc"));
        assert!(text.contains("READ on topic orders to User:svc"), "{text}");
        assert!(text.contains("LITERAL"), "{text}");

        let group = KafkaError::MessageConsumption(RDKafkaErrorCode::GroupAuthorizationFailed);
        let denied = Denied::from_error(&group, &["orders"], "tigerdata-kafka/p1/orders").unwrap();
        let text = denied.advice(None);
        assert!(text.contains("group \"tigerdata-kafka/p1\""), "{text}");
        assert!(
            text.contains("READ on consumer group tigerdata-kafka/p1/orders"),
            "{text}"
        );
        assert!(text.contains("PREFIXED"), "{text}");

        let other = KafkaError::MessageConsumption(RDKafkaErrorCode::BrokerTransportFailure);
        assert_eq!(Denied::from_error(&other, &["orders"], "g"), None);
    }
}
