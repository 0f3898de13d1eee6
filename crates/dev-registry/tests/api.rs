//! The REST API as a Confluent client sees it: paths, bodies, error codes, content type, auth.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use inlet_dev_registry::{BasicAuth, CONTENT_TYPE, Store, app};
use serde_json::{Value, json};
use tower::ServiceExt as _;

const USER: &str =
    r#"{"type":"record","name":"User","namespace":"acme","fields":[{"name":"id","type":"long"}]}"#;
const ORDER: &str = r#"{"type":"record","name":"Order","namespace":"acme","fields":[{"name":"by","type":"acme.User"},{"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":9,"scale":2}}]}"#;

async fn call(app: &Router, method: &str, uri: &str, body: Option<Value>) -> (StatusCode, Value) {
    let (status, _, body) = call_raw(app, method, uri, body, None).await;
    (status, body)
}

async fn call_raw(
    app: &Router,
    method: &str,
    uri: &str,
    body: Option<Value>,
    authorization: Option<&str>,
) -> (StatusCode, String, Value) {
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::CONTENT_TYPE, CONTENT_TYPE);
    if let Some(auth) = authorization {
        request = request.header(header::AUTHORIZATION, auth);
    }
    let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
    let response = app
        .clone()
        .oneshot(request.body(body).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, content_type, value)
}

fn registry() -> Router {
    app(Store::in_memory(), None)
}

#[tokio::test]
async fn register_then_fetch_by_id_and_by_version() {
    let app = registry();
    let (status, body) = call(
        &app,
        "POST",
        "/subjects/users-value/versions",
        Some(json!({"schema": USER})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body["id"].as_u64().unwrap();

    let (status, body) = call(&app, "GET", &format!("/schemas/ids/{id}"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["schema"], USER);
    assert!(
        body.get("references").is_none(),
        "no references key without references: {body}"
    );

    let (_, raw) = call(&app, "GET", &format!("/schemas/ids/{id}/schema"), None).await;
    assert_eq!(raw["name"], "User");

    let (_, latest) = call(&app, "GET", "/subjects/users-value/versions/latest", None).await;
    assert_eq!(
        latest,
        json!({"subject": "users-value", "version": 1, "id": id, "schema": USER})
    );

    let (_, raw) = call(&app, "GET", "/subjects/users-value/versions/1/schema", None).await;
    assert_eq!(raw["fields"][0]["name"], "id");

    let (_, versions) = call(&app, "GET", &format!("/schemas/ids/{id}/versions"), None).await;
    assert_eq!(versions, json!([{"subject": "users-value", "version": 1}]));
}

#[tokio::test]
async fn same_schema_under_two_subjects_has_one_id() {
    let app = registry();
    let (_, a) = call(
        &app,
        "POST",
        "/subjects/a/versions",
        Some(json!({"schema": USER})),
    )
    .await;
    let (_, b) = call(
        &app,
        "POST",
        "/subjects/b/versions?normalize=false",
        Some(json!({"schema": USER, "schemaType": "AVRO"})),
    )
    .await;
    assert_eq!(a["id"], b["id"]);
    let (_, subjects) = call(&app, "GET", "/subjects", None).await;
    assert_eq!(subjects, json!(["a", "b"]));
}

#[tokio::test]
async fn references_are_stored_and_returned() {
    let app = registry();
    call(
        &app,
        "POST",
        "/subjects/user/versions",
        Some(json!({"schema": USER})),
    )
    .await;
    let refs = json!([{"name": "acme.User", "subject": "user", "version": 1}]);
    let (status, body) = call(
        &app,
        "POST",
        "/subjects/order-value/versions",
        Some(json!({"schema": ORDER, "references": refs})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, by_id) = call(&app, "GET", &format!("/schemas/ids/{}", body["id"]), None).await;
    assert_eq!(by_id["references"], refs);

    let (status, body) = call(
        &app,
        "POST",
        "/subjects/order-value",
        Some(json!({"schema": ORDER, "references": refs})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "lookup: {body}");
    assert_eq!(body["version"], 1);
}

#[tokio::test]
async fn confluent_error_codes_and_content_type() {
    let app = registry();
    let (status, content_type, body) =
        call_raw(&app, "GET", "/subjects/nope/versions", None, None).await;
    assert_eq!(
        (status, body["error_code"].as_u64()),
        (StatusCode::NOT_FOUND, Some(40401))
    );
    assert_eq!(content_type, CONTENT_TYPE);

    call(
        &app,
        "POST",
        "/subjects/s/versions",
        Some(json!({"schema": USER})),
    )
    .await;
    let (status, body) = call(&app, "GET", "/subjects/s/versions/9", None).await;
    assert_eq!(
        (status, body["error_code"].as_u64()),
        (StatusCode::NOT_FOUND, Some(40402))
    );

    let (status, body) = call(&app, "GET", "/schemas/ids/999", None).await;
    assert_eq!(
        (status, body["error_code"].as_u64()),
        (StatusCode::NOT_FOUND, Some(40403))
    );

    let (status, body) = call(
        &app,
        "POST",
        "/subjects/s/versions",
        Some(json!({"schema": "{\"type\":\"nonsense\"}"})),
    )
    .await;
    assert_eq!(
        (status, body["error_code"].as_u64()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some(42201))
    );

    let (status, body) = call(&app, "GET", "/subjects/s/versions/zero", None).await;
    assert_eq!(
        (status, body["error_code"].as_u64()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some(42202))
    );

    let (status, body) = call(
        &app,
        "POST",
        "/subjects/s",
        Some(json!({"schema": "\"string\""})),
    )
    .await;
    assert_eq!(
        (status, body["error_code"].as_u64()),
        (StatusCode::NOT_FOUND, Some(40403))
    );

    let (status, body) = call(
        &app,
        "POST",
        "/subjects/s/versions",
        Some(json!({"nothing": 1})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

#[tokio::test]
async fn deletes_are_soft_then_permanent() {
    let app = registry();
    call(
        &app,
        "POST",
        "/subjects/s/versions",
        Some(json!({"schema": "\"string\""})),
    )
    .await;
    call(
        &app,
        "POST",
        "/subjects/s/versions",
        Some(json!({"schema": "\"long\""})),
    )
    .await;
    let (_, deleted) = call(&app, "DELETE", "/subjects/s/versions/1", None).await;
    assert_eq!(deleted, json!(1));
    let (_, versions) = call(&app, "GET", "/subjects/s/versions", None).await;
    assert_eq!(versions, json!([2]));
    let (_, deleted) = call(&app, "DELETE", "/subjects/s", None).await;
    assert_eq!(deleted, json!([2]));
    let (_, subjects) = call(&app, "GET", "/subjects", None).await;
    assert_eq!(subjects, json!([]));
    let (_, subjects) = call(&app, "GET", "/subjects?deleted=true", None).await;
    assert_eq!(subjects, json!(["s"]));
    let (_, deleted) = call(&app, "DELETE", "/subjects/s?permanent=true", None).await;
    assert_eq!(deleted, json!([1, 2]));
    let (_, subjects) = call(&app, "GET", "/subjects?deleted=true", None).await;
    assert_eq!(subjects, json!([]));
}

#[tokio::test]
async fn basic_auth_is_required_when_configured() {
    let app = app(Store::in_memory(), BasicAuth::parse("key:s3cret"));
    let (status, _, body) = call_raw(&app, "GET", "/subjects", None, None).await;
    assert_eq!(
        (status, body["error_code"].as_u64()),
        (StatusCode::UNAUTHORIZED, Some(401))
    );
    // base64("key:wrong") and base64("key:s3cret")
    let (status, _, _) = call_raw(&app, "GET", "/subjects", None, Some("Basic a2V5Ondyb25n")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, body) = call_raw(
        &app,
        "GET",
        "/subjects",
        None,
        Some("Basic a2V5OnMzY3JldA=="),
    )
    .await;
    assert_eq!((status, body), (StatusCode::OK, json!([])));
}

#[tokio::test]
async fn unknown_schema_types_are_refused() {
    let app = registry();
    let (status, body) = call(
        &app,
        "POST",
        "/subjects/s/versions",
        Some(json!({"schema": "{}", "schemaType": "XML"})),
    )
    .await;
    assert_eq!(
        (status, body["error_code"].as_u64()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some(42206))
    );
    let (_, types) = call(&app, "GET", "/schemas/types", None).await;
    assert_eq!(types, json!(["AVRO", "PROTOBUF", "JSON"]));
}
