//! The client against a real HTTP registry on 127.0.0.1 (the development registry, in-process).

use inlet_fault::Classify as _;
use std::time::Duration;

use inlet_dev_registry::{BasicAuth, Store, app};
use inlet_registry::{
    BasicCredentials, Error, RegistryClient, RegistryConfig, SchemaReference, Secret,
};

const ADDRESS: &str = r#"{"type":"record","name":"Address","namespace":"acme","fields":[{"name":"city","type":"string"}]}"#;
const CUSTOMER: &str = r#"{"type":"record","name":"Customer","namespace":"acme","fields":[{"name":"home","type":"acme.Address"}]}"#;
const ORDER: &str = r#"{"type":"record","name":"Order","namespace":"acme","fields":[{"name":"by","type":"acme.Customer"},{"name":"ship_to","type":"acme.Address"}]}"#;

/// Serves a fresh registry on an ephemeral loopback port; returns its URL.
async fn serve(auth: Option<BasicAuth>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app(Store::in_memory(), auth)).await });
    format!("http://{addr}")
}

fn client(url: &str, password: Option<&str>) -> RegistryClient {
    let mut config = RegistryConfig::new(url);
    config.credentials = password.map(|p| BasicCredentials {
        username: "key".into(),
        password: Secret::new(p),
    });
    RegistryClient::new(config).unwrap()
}

fn reference(name: &str, subject: &str) -> SchemaReference {
    SchemaReference {
        name: name.into(),
        subject: subject.into(),
        version: 1,
    }
}

#[tokio::test]
async fn resolves_transitive_references_dependencies_first() {
    let url = serve(None).await;
    let client = client(&url, None);
    client.register("address", ADDRESS, &[]).await.unwrap();
    client
        .register(
            "customer",
            CUSTOMER,
            &[reference("acme.Address", "address")],
        )
        .await
        .unwrap();
    let order = client
        .register(
            "orders-value",
            ORDER,
            &[
                reference("acme.Customer", "customer"),
                reference("acme.Address", "address"),
            ],
        )
        .await
        .unwrap();

    let resolved = client.resolve(order).await.unwrap();
    assert_eq!(resolved.schema, ORDER);
    assert_eq!(
        resolved.dependencies,
        vec![ADDRESS.to_owned(), CUSTOMER.to_owned()]
    );
    // The texts parse together, as the decoder will parse them.
    apache_avro_parse(&resolved.schema, &resolved.dependencies);

    let latest = client
        .subject_version("orders-value", "latest")
        .await
        .unwrap();
    assert_eq!((latest.id, latest.version), (order, Some(1)));
    assert_eq!(
        client.subjects().await.unwrap(),
        ["address", "customer", "orders-value"]
    );
}

fn apache_avro_parse(schema: &str, dependencies: &[String]) {
    let (parsed, _) = apache_avro::Schema::parse_str_with_list(schema, dependencies).unwrap();
    assert!(matches!(parsed, apache_avro::Schema::Record(ref r) if r.name.name() == "Order"));
}

#[tokio::test]
async fn resolved_schemas_are_cached() {
    let url = serve(None).await;
    let client = client(&url, None);
    let id = client.register("s", ADDRESS, &[]).await.unwrap();
    client.resolve(id).await.unwrap();
    let http = reqwest_delete(&format!("{url}/subjects/s?permanent=true")).await;
    assert!(http.is_success());
    assert!(
        client.schema_by_id(id).await.is_ok(),
        "ids outlive subjects in a registry"
    );
    assert_eq!(client.resolve(id).await.unwrap().schema, ADDRESS);
}

async fn reqwest_delete(url: &str) -> reqwest::StatusCode {
    // Soft delete first, as Confluent requires before a permanent one.
    let http = reqwest::Client::new();
    http.delete(url.replace("?permanent=true", ""))
        .send()
        .await
        .unwrap();
    http.delete(url).send().await.unwrap().status()
}

#[tokio::test]
async fn errors_say_what_happened_and_whether_to_retry() {
    let url = serve(BasicAuth::parse("key:right")).await;

    let err = client(&url, Some("wrong")).subjects().await.unwrap_err();
    assert!(
        matches!(err, Error::Unauthorized { status: 401, .. }),
        "{err:?}"
    );
    assert!(!err.is_retriable());
    assert!(err.to_string().contains("basic-auth"), "{err}");
    assert!(
        !format!("{err} {err:?}").contains("wrong"),
        "the password leaked: {err:?}"
    );

    let err = client(&url, Some("right"))
        .schema_by_id(4242)
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert!(err.to_string().contains("40403"), "{err}");

    // A port nobody listens on: bind one, then drop it.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mut config = RegistryConfig::new(format!("http://{closed}"));
    config.timeout = Duration::from_secs(2);
    let err = RegistryClient::new(config)
        .unwrap()
        .subjects()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unreachable { .. }), "{err:?}");
    assert!(err.is_retriable());
}

/// A registry that answers every request with `body` after `delay`, HTTP 200.
async fn serve_answer(delay: Duration, body: &'static str) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = axum::Router::new().fallback(move || async move {
        tokio::time::sleep(delay).await;
        body
    });
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}")
}

/// A registry (or the proxy before it) that answers 200 with a web page, and one that
/// answers too slowly: both are the registry's fault and retried, and the first says what
/// came back.
#[tokio::test]
async fn a_garbled_or_slow_answer_is_the_registrys_fault_and_retried() {
    let url = serve_answer(Duration::ZERO, "<html><body>Bad gateway</body></html>").await;
    let err = client(&url, None).resolve(1).await.unwrap_err();
    assert!(matches!(err, Error::Garbled { status: 200, .. }), "{err:?}");
    assert!(err.is_retriable(), "{err:?}");
    assert_eq!(err.fault(), inlet_fault::Fault::External);
    let text = err.to_string();
    assert!(
        text.contains("not the JSON") && text.contains("<html><body>Bad gateway"),
        "{text}"
    );

    let url = serve_answer(Duration::from_secs(5), "{}").await;
    let mut config = RegistryConfig::new(url);
    config.timeout = Duration::from_millis(300);
    let err = RegistryClient::new(config)
        .unwrap()
        .resolve(1)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unreachable { .. }), "{err:?}");
    assert!(err.is_retriable());
}
