//! The API in process (`router(app).oneshot`), over a real PostgreSQL: against a caller who
//! holds a token and wants another connector's secret, or a web page that wants to drive
//! the API — with spy HTTP servers on loopback that record every request they get, so a
//! secret sent where its connector does not send it shows in what they saw — and as the
//! clients made for Kafka Connect call it.

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use inlet_engine::Supervisor;
use inlet_postgres::DatabaseConfig;
use inlet_serve::api::{ApiOptions, App, router};
use inlet_serve::secrets::SecretsKey;
use inlet_testkit::TestDatabase;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::ServiceExt;

const KAFKA_PASSWORD: &str = "victim-kafka-password-7f3a";
const REGISTRY_SECRET: &str = "victim-registry-secret-91c2";

/// An HTTP server on loopback that records each request's head and answers `answer`.
#[derive(Clone)]
struct Spy {
    url: String,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Spy {
    async fn start(answer: String) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let log = log.clone();
                let answer = answer.clone();
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut buf = [0u8; 4096];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 65536 {
                        match socket.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    log.lock()
                        .unwrap()
                        .push(String::from_utf8_lossy(&head).into_owned());
                    let _ = socket.write_all(answer.as_bytes()).await;
                });
            }
        });
        Spy { url, seen }
    }

    /// A registry that has no subjects.
    async fn registry() -> Self {
        Spy::start(http(
            "200 OK",
            "application/vnd.schemaregistry.v1+json",
            "[]",
        ))
        .await
    }

    /// Each request's head as it came, with its basic-auth credentials decoded after it.
    fn heads(&self) -> Vec<String> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .map(|head| {
                let mut text = head.clone();
                for line in head.lines() {
                    let lower = line.to_ascii_lowercase();
                    if lower.starts_with("authorization: basic ") {
                        let decoded = base64_decode(line["authorization: basic ".len()..].trim());
                        text.push_str(&format!("[decoded: {decoded}]\n"));
                    }
                }
                text
            })
            .collect()
    }

    /// Every request it got, as [`Spy::heads`].
    fn requests(&self) -> String {
        self.heads().concat()
    }

    fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

fn http(status: &str, content_type: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

fn base64_decode(text: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.bytes().filter(|c| *c != b'=') {
        let Some(v) = ALPHABET.iter().position(|a| *a == c) else {
            continue;
        };
        bits = (bits << 6) | v as u32;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

struct Api {
    app: axum::Router,
    db: TestDatabase,
}

impl Api {
    async fn new(secrets_dir: Option<std::path::PathBuf>) -> Self {
        Api::with(ApiOptions {
            secrets_dir,
            ..ApiOptions::default()
        })
        .await
    }

    /// An API with `options`, and the secrets key of [`Api::new`].
    async fn with(options: ApiOptions) -> Self {
        let db = TestDatabase::create("api").await;
        let database = DatabaseConfig::parse(db.url()).unwrap();
        let mut client = database.connect().await.unwrap();
        inlet_postgres::migrate(&mut client).await.unwrap();
        let key =
            SecretsKey::load(None, Some("BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=")).unwrap();
        let app = App::new(
            database,
            "hostile:1".into(),
            Arc::new(Supervisor::new("hostile:1")),
            Vec::new(),
            None,
            ApiOptions {
                secrets_key: key,
                ..options
            },
        )
        .unwrap();
        Api {
            app: router(app),
            db,
        }
    }

    async fn call(&self, request: Request<Body>) -> (StatusCode, String) {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 64 * 1024 * 1024)
            .await
            .unwrap();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    async fn send(&self, method: &str, path: &str, body: &Value) -> (StatusCode, String) {
        self.call(
            Request::builder()
                .method(method)
                .uri(path)
                .header("content-type", "application/json")
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await
    }

    async fn validate(&self, config: &Value) -> (StatusCode, String) {
        self.send(
            "PUT",
            "/connector-plugins/inlet.PostgresSink/config/validate",
            config,
        )
        .await
    }

    async fn stored_config(&self, name: &str) -> String {
        self.db
            .connect()
            .await
            .query_one(
                "SELECT config::text FROM inlet.connectors WHERE name = $1",
                &[&name],
            )
            .await
            .unwrap()
            .get(0)
    }
}

/// The victim's configuration: its own registry is `registry`.
fn victim(registry: &str) -> Value {
    json!({
        "connector.class": "inlet.PostgresSink",
        "topics": "orders",
        "table": "public.orders",
        "kafka.bootstrap_servers": "127.0.0.1:1",
        "kafka.security_protocol": "SASL_PLAINTEXT",
        "kafka.sasl_mechanism": "PLAIN",
        "kafka.username": "victim",
        "kafka.password": KAFKA_PASSWORD,
        "registry.url": registry,
        "registry.key": "victim-key",
        "registry.secret": REGISTRY_SECRET,
    })
}

fn with(mut config: Value, changes: &[(&str, &str)]) -> Value {
    for (k, v) in changes {
        config[*k] = json!(v);
    }
    config
}

async fn create_victim(api: &Api, registry: &str) {
    let (code, body) = api
        .send(
            "POST",
            "/connectors",
            &json!({"name": "victim", "config": victim(registry), "initial_state": "STOPPED"}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED, "{body}");
    assert!(!body.contains(KAFKA_PASSWORD) && !body.contains(REGISTRY_SECRET));
}

fn sealed(key: &str) -> String {
    format!("${{secret:victim/{key}}}")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stored_secret_never_leaves_its_own_key_of_its_own_connector() {
    let own = Spy::registry().await;
    let attacker = Spy::registry().await;
    let api = Api::new(None).await;
    create_victim(&api, &own.url).await;
    let stored = api.stored_config("victim").await;
    assert!(stored.contains(&sealed("registry.secret")), "{stored}");

    // Its own validation, as a UI sends it back: the secret goes to its own registry (the
    // spy sees it, so the spy would see a leak too).
    let mut as_shown = victim(&own.url);
    as_shown["name"] = json!("victim");
    as_shown["kafka.password"] = json!("[hidden]");
    as_shown["registry.secret"] = json!(sealed("registry.secret"));
    let (code, body) = api.validate(&as_shown).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert!(
        !body.contains(REGISTRY_SECRET) && !body.contains(KAFKA_PASSWORD),
        "{body}"
    );
    assert!(
        own.requests().contains(REGISTRY_SECRET),
        "the connector's own registry was not asked with its secret: {}",
        own.requests()
    );

    // 1. A reference in a key that is not a secret: refused, never resolved nor echoed.
    for name in ["victim", "attacker"] {
        let probe = with(
            victim(&own.url),
            &[
                ("name", name),
                ("table", &sealed("registry.secret")),
                ("topic.orders.table", &sealed("kafka.password")),
                ("kafka.username", &sealed("kafka.password")),
                ("kafka.password", "x"),
                ("registry.secret", "x"),
            ],
        );
        let (code, body) = api.validate(&probe).await;
        assert_eq!(code, StatusCode::OK, "{body}");
        assert!(
            !body.contains(REGISTRY_SECRET) && !body.contains(KAFKA_PASSWORD),
            "{body}"
        );
        assert!(body.contains("may stand only in a secret key"), "{body}");
    }

    // 2. Another connector's secret, or this one's sent to a host of the caller's: refused,
    // and the caller's host gets nothing.
    for (name, url) in [
        ("attacker", attacker.url.as_str()),
        ("victim", attacker.url.as_str()),
        ("victim", &format!("{}/elsewhere", own.url)),
    ] {
        let probe = with(
            victim(url),
            &[
                ("name", name),
                ("kafka.password", "x"),
                ("registry.secret", &sealed("registry.secret")),
            ],
        );
        let (code, body) = api.validate(&probe).await;
        assert_eq!(code, StatusCode::OK, "{body}");
        assert!(!body.contains(REGISTRY_SECRET), "{body}");
        let value: Value = serde_json::from_str(&body).unwrap();
        assert!(value["error_count"].as_u64().unwrap() >= 1, "{body}");
        // The setup steps apply the same rule.
        let (code, body) = api.send("POST", "/inlet/v1/registry/check", &probe).await;
        assert_eq!(code, StatusCode::BAD_REQUEST, "{body}");
    }
    assert!(
        !attacker.requests().contains(REGISTRY_SECRET),
        "the victim's secret reached the caller's host: {}",
        attacker.requests()
    );
    assert!(
        !own.heads()
            .iter()
            .any(|r| r.contains("/elsewhere") && r.contains(REGISTRY_SECRET)),
        "{}",
        own.requests()
    );

    // 3. The stored connector rewired to send its Kafka password to the caller's registry.
    let rewired = with(
        victim(&attacker.url),
        &[
            ("kafka.password", "[hidden]"),
            ("registry.secret", &sealed("kafka.password")),
        ],
    );
    let (code, body) = api.send("PUT", "/connectors/victim/config", &rewired).await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body.contains("not the secret stored for registry.secret"),
        "{body}"
    );
    let (code, body) = api
        .send(
            "PATCH",
            "/connectors/victim/config",
            &json!({"registry.url": attacker.url, "registry.secret": sealed("kafka.password")}),
        )
        .await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "{body}");
    // A key removed and its reference named again (the row is still there): refused.
    let (code, body) = api
        .send(
            "PATCH",
            "/connectors/victim/config",
            &json!({"registry.secret": null, "registry.key": null}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let (code, body) = api
        .send(
            "PATCH",
            "/connectors/victim/config",
            &json!({"registry.url": attacker.url, "registry.key": "k", "registry.secret": sealed("registry.secret")}),
        )
        .await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("send the secret itself"), "{body}");
    assert!(!api.stored_config("victim").await.contains(&attacker.url));

    // 4. A reference in a table name is refused on create: no table, nothing logged.
    let (code, body) = api
        .send(
            "POST",
            "/connectors",
            &json!({"name": "thief", "config": with(victim(&own.url), &[("table", "${secret:victim/kafka.password}")])}),
        )
        .await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "{body}");
    assert!(!body.contains(KAFKA_PASSWORD));
    assert!(
        !attacker.requests().contains(KAFKA_PASSWORD),
        "{}",
        attacker.requests()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_reference_is_refused_by_its_text_alone() {
    let dir = std::env::temp_dir().join(format!("inlet-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let api = Api::new(Some(dir.clone())).await;
    let own = Spy::registry().await;
    let answer = |path: &str| {
        with(
            victim(&own.url),
            &[
                ("kafka.password", &format!("${{file:{path}}}")),
                ("registry.secret", "x"),
            ],
        )
    };
    // 5. A file that exists and one that does not, outside the secrets dir: the same words.
    let errors_of = |body: &str| -> Value {
        let value: Value = serde_json::from_str(body).unwrap();
        value["configs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["value"]["name"] == "kafka.password")
            .unwrap()["value"]["errors"]
            .clone()
    };
    let (_, exists) = api.validate(&answer("/etc/hostname")).await;
    let (_, missing) = api.validate(&answer("/etc/no-such-file-here")).await;
    assert_eq!(errors_of(&exists), errors_of(&missing));
    assert!(!exists.contains("No such file") && !missing.contains("No such file"));
    let (_, env_set) = api
        .validate(&with(
            victim(&own.url),
            &[("kafka.password", "${env:HOME}")],
        ))
        .await;
    let (_, env_unset) = api
        .validate(&with(
            victim(&own.url),
            &[("kafka.password", "${env:NO_SUCH_VAR_X}")],
        ))
        .await;
    assert_eq!(errors_of(&env_set), errors_of(&env_unset));
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_of_another_site_cannot_drive_the_api() {
    let api = Api::new(None).await;
    let own = Spy::registry().await;
    let create = json!({"name": "csrf", "config": victim(&own.url), "initial_state": "STOPPED"});
    let request = |content_type: &str, origin: Option<&str>, host: Option<&str>| {
        let mut r = Request::builder()
            .method("POST")
            .uri("/connectors")
            .header("content-type", content_type);
        if let Some(origin) = origin {
            r = r.header("origin", origin);
        }
        if let Some(host) = host {
            r = r.header("host", host);
        }
        r.body(Body::from(create.to_string())).unwrap()
    };
    // 6. A simple cross-site request (text/plain), a foreign origin, a rebinding host.
    let (code, body) = api.call(request("text/plain", None, None)).await;
    assert_eq!(code, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
    assert!(body.contains("application/json"), "{body}");
    let (code, body) = api
        .call(request(
            "application/json",
            Some("http://evil.example"),
            Some("127.0.0.1:8083"),
        ))
        .await;
    assert_eq!(code, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("--cors-origin"), "{body}");
    let (code, body) = api
        .call(request(
            "application/json",
            Some("http://attacker.example:8083"),
            Some("attacker.example:8083"),
        ))
        .await;
    assert_eq!(code, StatusCode::MISDIRECTED_REQUEST, "{body}");
    assert!(body.contains("--host-name"), "{body}");
    let stored: i64 = api
        .db
        .connect()
        .await
        .query_one("SELECT count(*) FROM inlet.connectors", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, 0, "a refused request created a connector");
    // The console's own page: its origin is the server's.
    let (code, body) = api
        .call(request(
            "application/json",
            Some("http://127.0.0.1:8083"),
            Some("127.0.0.1:8083"),
        ))
        .await;
    assert_eq!(code, StatusCode::CREATED, "{body}");
    // 9. A weak tag never matches.
    let (code, body) = api
        .call(
            Request::builder()
                .method("PATCH")
                .uri("/connectors/csrf/config")
                .header("content-type", "application/json")
                .header("if-match", "W/\"1\"")
                .body(Body::from(r#"{"batch.linger_ms":"100"}"#))
                .unwrap(),
        )
        .await;
    assert_eq!(code, StatusCode::PRECONDITION_FAILED, "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_huge_validation_gets_a_bounded_answer() {
    let api = Api::new(None).await;
    let own = Spy::registry().await;
    // 8. 100,000 unknown keys, and one whose name is 10,000 characters long.
    let mut config = victim(&own.url);
    for i in 0..100_000 {
        config[format!("x{i}")] = json!("v");
    }
    let long = "k".repeat(10_000);
    config[long.as_str()] = json!("v");
    let (code, body) = api.validate(&config).await;
    assert_eq!(code, StatusCode::OK);
    assert!(
        body.len() < 200_000,
        "the answer is {} bytes for a 1.5 MB request",
        body.len()
    );
    let value: Value = serde_json::from_str(&body).unwrap();
    assert!(
        value["error_count"].as_u64().unwrap() >= 100_001,
        "{}",
        &body[..500]
    );
    assert!(
        body.contains("more keys with errors"),
        "{}",
        &body[body.len() - 500..]
    );
    assert!(!body.contains(&long[..200]));
    // The same as a create: a bounded 400.
    let (code, body) = api
        .send(
            "POST",
            "/connectors",
            &json!({"name": "huge", "config": config}),
        )
        .await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert!(body.len() < 100_000, "{} bytes", body.len());
    assert!(
        body.contains("more problems"),
        "{}",
        &body[body.len() - 300..]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_registry_check_follows_no_redirect_to_another_host_and_quotes_little() {
    let api = Api::new(None).await;
    let elsewhere = Spy::registry().await;
    let redirecting = Spy::start(format!(
        "HTTP/1.1 302 Found\r\nLocation: {}/subjects\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        elsewhere.url
    ))
    .await;
    // 7. A redirect to another host is not followed: the credentials stay.
    let config = json!({
        "registry.url": redirecting.url,
        "registry.key": "k",
        "registry.secret": "redirected-secret-5521",
    });
    let (code, body) = api.send("POST", "/inlet/v1/registry/check", &config).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert!(redirecting.count() >= 1);
    assert_eq!(elsewhere.count(), 0, "{}", elsewhere.requests());
    assert!(body.contains("302"), "{body}");
    // A remote error body is quoted shortly, never whole.
    let chatty = Spy::start(http(
        "500 Internal Server Error",
        "text/html",
        &"<p>internal page</p>".repeat(200),
    ))
    .await;
    let (_, body) = api
        .send(
            "POST",
            "/inlet/v1/registry/check",
            &json!({"registry.url": chatty.url}),
        )
        .await;
    assert!(body.contains("internal page"), "{body}");
    assert!(body.len() < 2_000, "{} bytes: {body}", body.len());
}

#[tokio::test(flavor = "multi_thread")]
async fn clients_made_for_kafka_connect_are_answered_as_connect_answers_them() {
    let api = Api::new(None).await;
    let own = Spy::registry().await;
    // Values as JSON numbers and booleans, as Connect's binding takes them.
    let mut config = victim(&own.url);
    config["tasks.max"] = json!(2);
    config["create_table"] = json!(false);
    let (code, body) = api
        .send(
            "POST",
            "/connectors",
            &json!({"name": "edges", "config": config, "initial_state": "PAUSED"}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED, "{body}");
    let stored = api.stored_config("edges").await;
    assert!(
        stored.contains(r#""create_table": "false""#)
            || stored.contains(r#""create_table":"false""#),
        "{stored}"
    );
    let (code, body) = api
        .send(
            "PATCH",
            "/connectors/edges/config",
            &json!({"batch.linger_ms": 50}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let get = |path: &str| Request::builder().uri(path).body(Body::empty()).unwrap();
    // Trailing slashes.
    for path in [
        "/connectors/",
        "/connectors/edges/",
        "/connectors/edges/status/",
    ] {
        let (code, body) = api.call(get(path)).await;
        assert_eq!(code, StatusCode::OK, "{path}: {body}");
        assert!(body.contains("edges"), "{path}: {body}");
    }
    // Booleans in any case.
    let (code, body) = api
        .call(
            Request::builder()
                .method("POST")
                .uri("/connectors/edges/restart?includeTasks=True&onlyFailed=False")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(code, StatusCode::ACCEPTED, "{body}");
    let (code, body) = api
        .call(
            Request::builder()
                .method("PUT")
                .uri("/connectors/edges/topics/reset")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(code, StatusCode::ACCEPTED, "{body}");
    // Another plugin's configuration, and an expand that is not one.
    let (code, body) = api
        .validate(&json!({"connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector"}))
        .await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("does not match request type"), "{body}");
    let (code, body) = api.call(get("/connectors?expand=garbage")).await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "{body}");
}

/// The dead letters of connector `name`, (id, reason) by id.
async fn dead_letters_of(api: &Api, name: &str) -> Vec<(i64, String)> {
    api.db
        .connect()
        .await
        .query(
            "SELECT id, error FROM inlet.dead_letters WHERE connector = $1 ORDER BY id",
            &[&name],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn dead_letters_are_counted_in_the_table_discarded_with_an_audit_and_go_with_their_connector()
{
    let api = Api::new(None).await;
    let registry = Spy::registry().await;
    create_victim(&api, &registry.url).await;
    let (code, body) = api
        .send(
            "POST",
            "/connectors",
            &json!({"name": "other", "config": victim(&registry.url), "initial_state": "STOPPED"}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED, "{body}");
    let client = api.db.connect().await;
    for (connector, offset, reason, code) in [
        ("victim", 1i64, "malformed Avro body", "malformed_value"),
        ("victim", 2, "malformed Avro body", "malformed_value"),
        ("victim", 3, "unknown schema id 9", "unknown_schema"),
        ("victim", 4, "unknown schema id 9", "unknown_schema"),
        ("victim", 5, "unknown schema id 9", "unknown_schema"),
        ("other", 1, "unknown schema id 9", "unknown_schema"),
    ] {
        client
            .execute(
                r#"INSERT INTO inlet.dead_letters (connector, topic, "partition", "offset", error, reason_code)
                   VALUES ($1, 'orders', 0, $2, $3, $4)"#,
                &[&connector, &offset, &reason, &code],
            )
            .await
            .unwrap();
    }
    // A stopped connector's figures count what its table holds.
    let metrics = |name: &'static str| {
        let api = &api;
        async move {
            let (code, body) = api
                .call(
                    Request::get(format!("/inlet/v1/connectors/{name}/metrics"))
                        .body(Body::empty())
                        .unwrap(),
                )
                .await;
            assert_eq!(code, StatusCode::OK, "{body}");
            serde_json::from_str::<Value>(&body).unwrap()["dead_letters"].clone()
        }
    };
    assert_eq!(metrics("victim").await, json!(5));

    let ids: Vec<i64> = dead_letters_of(&api, "victim")
        .await
        .iter()
        .map(|d| d.0)
        .collect();
    let others: Vec<i64> = dead_letters_of(&api, "other")
        .await
        .iter()
        .map(|d| d.0)
        .collect();
    let discard = |body: Value| {
        let api = &api;
        async move {
            api.send(
                "POST",
                "/inlet/v1/connectors/victim/dead-letters/discard",
                &body,
            )
            .await
        }
    };
    // By id: its own only (another connector's id is passed over).
    let (code, body) = discard(json!({"ids": [ids[0], others[0]]})).await;
    assert_eq!(
        (code, body.as_str()),
        (StatusCode::OK, r#"{"discarded":1}"#)
    );
    assert_eq!(dead_letters_of(&api, "other").await.len(), 1);
    // By reason: every waiting one of it.
    let (code, body) = discard(json!({"reason": "unknown schema id 9"})).await;
    assert_eq!(
        (code, body.as_str()),
        (StatusCode::OK, r#"{"discarded":3}"#)
    );
    assert_eq!(
        dead_letters_of(&api, "victim").await,
        [(ids[1], "malformed Avro body".to_owned())]
    );
    assert_eq!(metrics("victim").await, json!(1));
    assert_eq!(metrics("other").await, json!(1));
    for (wrong, says) in [
        (json!({}), "give ids or a reason"),
        (json!({"ids": [1], "reason": "x"}), "give ids or a reason"),
        (json!({"reason": ""}), "give ids or a reason"),
        (
            json!({"ids": (0..1001).collect::<Vec<_>>()}),
            "at most 1000",
        ),
        (json!({"everything": true}), "unknown field"),
    ] {
        let (code, body) = discard(wrong.clone()).await;
        assert_eq!(code, StatusCode::BAD_REQUEST, "{wrong}: {body}");
        assert!(body.contains(says), "{wrong}: {body}");
    }
    let audit: Vec<(String, String)> = client
        .query(
            "SELECT who, action FROM inlet.audit WHERE action LIKE 'discard%' ORDER BY id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(
        audit,
        [
            ("anonymous".to_owned(), "discard 1 dead letters".to_owned()),
            (
                "anonymous".to_owned(),
                "discard 3 dead letters of one reason".to_owned()
            ),
        ]
    );

    // A deleted connector takes its dead letters with it; the other keeps its own.
    let (code, body) = api
        .call(
            Request::delete("/connectors/victim")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(code, StatusCode::NO_CONTENT, "{body}");
    assert!(dead_letters_of(&api, "victim").await.is_empty());
    assert_eq!(dead_letters_of(&api, "other").await.len(), 1);
}

/// A registry that lists `subjects` at once and answers every other request after
/// `delay`: slow, as an overloaded one is.
async fn slow_registry(subjects: &[String], delay: std::time::Duration) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let listing = serde_json::to_string(subjects).unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let listing = listing.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 65536 {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                if !head.starts_with("GET /subjects ") {
                    tokio::time::sleep(delay).await;
                }
                let answer = http("200 OK", "application/vnd.schemaregistry.v1+json", &listing);
                let _ = socket.write_all(answer.as_bytes()).await;
            });
        }
    });
    url
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_registry_lists_the_topics_within_the_steps_budget_and_says_it_is_slow() {
    let api = Api::new(None).await;
    let env = inlet_testkit::endpoints();
    let kafka = env.require_kafka().to_owned();
    let topics: Vec<String> = (0..3).map(|_| inlet_testkit::unique("slowreg")).collect();
    for topic in &topics {
        inlet_testkit::create_topic(&inlet_testkit::kafka_config(&kafka), topic, 1).await;
    }
    let subjects: Vec<String> = topics.iter().map(|t| format!("{t}-value")).collect();
    let registry = slow_registry(&subjects, std::time::Duration::from_secs(60)).await;
    let (code, body) = api
        .send(
            "POST",
            "/inlet/v1/topics",
            &json!({
                "kafka.bootstrap_servers": kafka,
                "registry.url": registry,
                "topics": topics.join(","),
            }),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let listed: Vec<Value> = serde_json::from_str(&body).unwrap();
    assert_eq!(listed.len(), 3, "{body}");
    for topic in &listed {
        assert!(topic["value_subject"].is_string(), "{topic}");
        assert!(topic["latest_schema_id"].is_null(), "{topic}");
        let why = topic["latest_schema_error"].as_str().unwrap_or_default();
        assert!(
            why.contains("did not answer within 8 s") && why.contains("registry.url"),
            "{topic}"
        );
    }
}

/// The console's table step proposes and creates only a table PostgreSQL can store every
/// row of: for a schema of 1,500 doubles (rows of 12,024 bytes, a page holds 8,160) and one
/// of 5,000 fields, `propose` and `tables` answer 400 with what to do, and nothing is
/// created; a table designed narrower than that is created.
#[tokio::test]
async fn the_table_step_refuses_a_table_too_wide_for_postgresql() {
    let env = inlet_testkit::endpoints();
    let kafka = env.require_kafka().to_owned();
    let registry = env.require_registry().await.to_owned();
    let api = Api::new(None).await;
    let producer =
        inlet_testkit::AvroProducer::new(&inlet_testkit::kafka_config(&kafka), &registry);
    for (fields, says) in [
        (
            1500,
            "would have rows of up to 12024 bytes (1500 columns of fixed width take 12000 bytes",
        ),
        (5000, "would have 5000 columns, more than PostgreSQL's 1600"),
    ] {
        let topic = inlet_testkit::unique("wide");
        let schema = json!({"type": "record", "name": "Wide", "fields": (0..fields)
            .map(|i| json!({"name": format!("f{i}"), "type": "double"}))
            .collect::<Vec<_>>()});
        producer
            .register(&format!("{topic}-value"), &schema.to_string())
            .await;
        let step =
            json!({"config": {"registry.url": registry, "table": "public.wide"}, "topic": topic});
        for path in ["/inlet/v1/propose", "/inlet/v1/tables"] {
            let (code, body) = api.send("POST", path, &step).await;
            assert_eq!(code, StatusCode::BAD_REQUEST, "{path}: {body}");
            assert!(
                body.contains(says) && body.contains("with a jsonb column for the rest"),
                "{path}: {body}"
            );
        }
        let mut narrow = step.clone();
        narrow["columns"] =
            json!([{"name": "f0", "type": "double precision"}, {"name": "rest", "type": "jsonb"}]);
        let (code, body) = api.send("POST", "/inlet/v1/tables", &narrow).await;
        assert_eq!(code, StatusCode::CREATED, "{body}");
        api.db
            .connect()
            .await
            .batch_execute("DROP TABLE public.wide")
            .await
            .unwrap();
    }
}

/// `GET /metrics` of an API whose tokens are `tokens` (none: open, on loopback).
async fn metrics_with(
    tokens: inlet_serve::auth::Tokens,
    authorization: Option<&str>,
) -> (StatusCode, Option<String>, String) {
    let db = TestDatabase::create("metrics").await;
    let database = DatabaseConfig::parse(db.url()).unwrap();
    let app = App::new(
        database,
        "127.0.0.1:8083".into(),
        Arc::new(Supervisor::new("127.0.0.1:8083")),
        Vec::new(),
        None,
        ApiOptions {
            tokens,
            ..ApiOptions::default()
        },
    )
    .unwrap();
    let mut request = Request::get("/metrics");
    if let Some(authorization) = authorization {
        request = request.header("authorization", authorization);
    }
    let response = router(app)
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|t| t.to_str().unwrap().to_owned());
    let body = axum::body::to_bytes(response.into_body(), 1024 * 1024)
        .await
        .unwrap();
    (
        status,
        content_type,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_are_read_with_a_read_token_refused_without_one_and_open_without_tokens() {
    let file = std::env::temp_dir().join(inlet_testkit::unique("tokens"));
    std::fs::write(&file, "grafana read grafana-token\n").unwrap();
    let tokens = inlet_serve::auth::Tokens::load(Some(&file), Some("admin-token")).unwrap();
    std::fs::remove_file(&file).unwrap();

    let (code, content_type, text) =
        metrics_with(tokens.clone(), Some("Bearer grafana-token")).await;
    assert_eq!(code, StatusCode::OK, "{text}");
    assert_eq!(
        content_type.as_deref(),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    // The families of `inlet run --metrics` and this worker's own, with no task yet.
    for line in [
        "# TYPE inlet_rows_total counter\n",
        "# TYPE inlet_batch_seconds histogram\n",
        "# TYPE inlet_lag_records gauge\n",
        "# TYPE inlet_task_state gauge\n",
        "inlet_worker_tasks{worker=\"127.0.0.1:8083\"} 0\n",
        "inlet_worker_connectors_running{worker=\"127.0.0.1:8083\"} 0\n",
    ] {
        assert!(text.contains(line), "{line:?} not in:\n{text}");
    }
    let (code, _, _) = metrics_with(tokens.clone(), Some("Bearer admin-token")).await;
    assert_eq!(code, StatusCode::OK);
    let (code, _, body) = metrics_with(tokens.clone(), None).await;
    assert_eq!(code, StatusCode::UNAUTHORIZED, "{body}");
    let (code, _, body) = metrics_with(tokens, Some("Bearer guessed")).await;
    assert_eq!(code, StatusCode::UNAUTHORIZED, "{body}");
    let (code, _, text) = metrics_with(inlet_serve::auth::Tokens::default(), None).await;
    assert_eq!(code, StatusCode::OK, "{text}");
    assert!(text.contains("# TYPE inlet_worker_tasks gauge\n"), "{text}");
}

/// The `inlet.tasks.state` column takes exactly the states of `ConnectorState` (the API's
/// and the console's come from that enum): each is stored, another text is refused.
#[tokio::test(flavor = "multi_thread")]
async fn a_tasks_state_is_one_of_the_states_the_api_names() {
    let api = Api::new(None).await;
    let client = api.db.connect().await;
    client
        .batch_execute(
            "INSERT INTO inlet.connectors (name, config, target_state, tasks_max) VALUES ('s', '{}', 'RUNNING', 1); \
             INSERT INTO inlet.tasks (connector, task) VALUES ('s', 0)",
        )
        .await
        .unwrap();
    let set = "UPDATE inlet.tasks SET state = $1 WHERE connector = 's'";
    for state in inlet_engine::ConnectorState::ALL {
        client
            .execute(set, &[&state.to_string()])
            .await
            .unwrap_or_else(|e| panic!("{state} refused: {e}"));
    }
    let refused = client.execute(set, &[&"RUNNING_LATE"]).await.unwrap_err();
    assert_eq!(
        refused.code(),
        Some(&tokio_postgres::error::SqlState::CHECK_VIOLATION),
        "{refused}"
    );
}

/// A worker's report made before a configuration change (of the version before it) does not
/// undo the change's UNASSIGNED: the status never shows the old configuration's task RUNNING.
#[tokio::test(flavor = "multi_thread")]
async fn a_report_of_the_configuration_before_a_change_is_dropped() {
    use inlet_postgres::control::{TaskReport, report_task};
    let api = Api::new(None).await;
    let registry = Spy::registry().await;
    let config = victim(&registry.url);
    let (status, body) = api
        .send(
            "POST",
            "/connectors",
            &json!({"name": "stale", "config": config}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let client = api.db.connect().await;
    client
        .execute(
            "UPDATE inlet.tasks SET worker_id = 'w' WHERE connector = 'stale'",
            &[],
        )
        .await
        .unwrap();
    let report = |applied_version| TaskReport {
        connector: "stale",
        task: 0,
        state: "RUNNING",
        trace: None,
        applied_version,
        applied_restart: 0,
    };
    let before = stale_version(&client).await;
    report_task(&client, "w", &report(before)).await.unwrap();
    assert_eq!(stale_state(&client).await, "RUNNING");
    let changed = with(config, &[("batch.linger_ms", "50")]);
    let (status, body) = api.send("PUT", "/connectors/stale/config", &changed).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        stale_state(&client).await,
        "UNASSIGNED",
        "the change unassigns"
    );
    report_task(&client, "w", &report(before)).await.unwrap();
    assert_eq!(
        stale_state(&client).await,
        "UNASSIGNED",
        "a report of the version before is dropped"
    );
    let now = stale_version(&client).await;
    report_task(&client, "w", &report(now)).await.unwrap();
    assert_eq!(
        stale_state(&client).await,
        "RUNNING",
        "the new version's is kept"
    );
    // A restart asked: RESTARTING until the worker reports having made it.
    let (status, body) = api
        .send(
            "POST",
            "/connectors/stale/restart?includeTasks=true",
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(stale_state(&client).await, "RESTARTING");
    report_task(&client, "w", &report(now)).await.unwrap();
    assert_eq!(
        stale_state(&client).await,
        "RESTARTING",
        "a report of before the restart is dropped"
    );
    let restarted = TaskReport {
        applied_restart: 1,
        ..report(now)
    };
    report_task(&client, "w", &restarted).await.unwrap();
    assert_eq!(stale_state(&client).await, "RUNNING");
}

async fn stale_version(client: &tokio_postgres::Client) -> i64 {
    client
        .query_one(
            "SELECT version FROM inlet.connectors WHERE name = 'stale'",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

async fn stale_state(client: &tokio_postgres::Client) -> String {
    client
        .query_one(
            "SELECT state FROM inlet.tasks WHERE connector = 'stale'",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

/// An API whose tokens are `admin-token` (admin) and `viewer-token` (read, named viewer).
async fn api_with_tokens() -> Api {
    let file = std::env::temp_dir().join(inlet_testkit::unique("tokens"));
    std::fs::write(&file, "viewer read viewer-token\n").unwrap();
    let tokens = inlet_serve::auth::Tokens::load(Some(&file), Some("admin-token")).unwrap();
    std::fs::remove_file(&file).unwrap();
    Api::with(ApiOptions {
        tokens,
        ..ApiOptions::default()
    })
    .await
}

/// A request of `method` to `path` with `token` (Bearer), `If-Match` and a JSON `body`:
/// its status, ETag and body.
async fn ask(
    api: &Api,
    method: &str,
    path: &str,
    token: Option<&str>,
    if_match: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Option<String>, Value) {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    if let Some(tag) = if_match {
        request = request.header("if-match", tag);
    }
    let request = match body {
        Some(body) => request
            .header("content-type", "application/json")
            .body(Body::from(body.to_string())),
        None => request.body(Body::empty()),
    }
    .unwrap();
    let response = api.app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let etag = response
        .headers()
        .get("etag")
        .map(|t| t.to_str().unwrap().to_owned());
    let bytes = axum::body::to_bytes(response.into_body(), 1024 * 1024)
        .await
        .unwrap();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("{method} {path}: not JSON ({e}): {bytes:?}"))
    };
    (status, etag, body)
}

/// The connector contract as Kafka Connect's clients rely on it, end to end in process: the
/// codes and `{"error_code", "message"}` bodies, problems named by key, `If-Match`, what a
/// read token may do, and offsets changed only while STOPPED.
#[tokio::test(flavor = "multi_thread")]
async fn the_connector_contract_codes_problems_if_match_roles_and_offsets() {
    let api = api_with_tokens().await;
    let registry = Spy::registry().await;
    let admin = Some("admin-token");
    let viewer = Some("viewer-token");
    let create = json!({"name": "c", "config": victim(&registry.url)});

    // Created once; a second create and a missing name answer as Connect does.
    let (code, _, body) = ask(
        &api,
        "POST",
        "/connectors",
        admin,
        None,
        Some(create.clone()),
    )
    .await;
    assert_eq!(code, StatusCode::CREATED, "{body}");
    assert_eq!(body["name"], "c");
    // The secret sealed: its reference is shown, never the value.
    assert_eq!(
        body["config"]["kafka.password"], "${secret:c/kafka.password}",
        "{body}"
    );
    assert!(!body.to_string().contains(KAFKA_PASSWORD));
    let (code, _, body) = ask(&api, "POST", "/connectors", admin, None, Some(create)).await;
    assert_eq!(
        (code, body),
        (
            StatusCode::CONFLICT,
            json!({"error_code": 409, "message": "Connector c already exists"})
        )
    );
    let (code, _, body) = ask(&api, "GET", "/connectors/gone", admin, None, None).await;
    assert_eq!(
        (code, body),
        (
            StatusCode::NOT_FOUND,
            json!({"error_code": 404, "message": "Connector gone not found"})
        )
    );

    // A configuration with a bad value: refused with the key named; validate lists it by key.
    let bad = with(victim(&registry.url), &[("batch.max_rows", "lots")]);
    let (code, _, body) = ask(
        &api,
        "PUT",
        "/connectors/c/config",
        admin,
        None,
        Some(bad.clone()),
    )
    .await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error_code"], 400);
    assert!(
        body["message"].as_str().unwrap().contains("batch.max_rows"),
        "{body}"
    );
    let (code, _, body) = ask(
        &api,
        "PUT",
        "/connector-plugins/inlet.PostgresSink/config/validate",
        admin,
        None,
        Some(bad),
    )
    .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    // The bad value, and what the probes found (no broker at 127.0.0.1:1, no schema yet),
    // each under its own key.
    assert_eq!(body["error_count"], 3, "{body}");
    let errors_of = |key: &str| {
        body["configs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["value"]["name"] == key)
            .map(|c| c["value"]["errors"].as_array().unwrap().len())
    };
    assert_eq!(errors_of("batch.max_rows"), Some(1), "{body}");
    assert_eq!(errors_of("kafka.bootstrap_servers"), Some(1), "{body}");
    assert_eq!(errors_of("topics"), Some(1), "{body}");
    assert_eq!(errors_of("table"), Some(0), "{body}");

    // If-Match: the ETag read writes once; a stale one is a conflict, a weak one never matches.
    let (code, etag, _) = ask(&api, "GET", "/connectors/c/config", admin, None, None).await;
    assert_eq!(code, StatusCode::OK);
    let etag = etag.expect("an ETag");
    let changed = with(victim(&registry.url), &[("batch.max_rows", "1000")]);
    let (code, _, body) = ask(
        &api,
        "PUT",
        "/connectors/c/config",
        admin,
        Some(&format!("W/{etag}")),
        Some(changed.clone()),
    )
    .await;
    assert_eq!(code, StatusCode::PRECONDITION_FAILED, "{body}");
    let (code, newer, body) = ask(
        &api,
        "PUT",
        "/connectors/c/config",
        admin,
        Some(&etag),
        Some(changed.clone()),
    )
    .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_ne!(newer.as_deref(), Some(etag.as_str()), "a new version");
    let again = with(changed, &[("batch.max_rows", "2000")]);
    let (code, _, body) = ask(
        &api,
        "PUT",
        "/connectors/c/config",
        admin,
        Some(&etag),
        Some(again),
    )
    .await;
    assert_eq!(code, StatusCode::CONFLICT, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("changed meanwhile"),
        "{body}"
    );

    // A read token reads, secrets hidden; it changes nothing. No token: 401.
    let (code, _, body) = ask(&api, "GET", "/connectors/c/config", viewer, None, None).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(body["batch.max_rows"], "1000");
    assert_eq!(body["kafka.password"], "[hidden]");
    for (method, path) in [
        ("PUT", "/connectors/c/pause"),
        ("PUT", "/connectors/c/stop"),
        ("DELETE", "/connectors/c"),
        ("POST", "/connectors/c/restart"),
    ] {
        let (code, _, body) = ask(&api, method, path, viewer, None, None).await;
        assert_eq!(code, StatusCode::FORBIDDEN, "{method} {path}: {body}");
        assert_eq!(body["error_code"], 403, "{body}");
    }
    let (code, _, body) = ask(&api, "GET", "/connectors", None, None, None).await;
    assert_eq!(code, StatusCode::UNAUTHORIZED, "{body}");

    // Offsets: refused while RUNNING, with what to do; changed once STOPPED.
    let offsets = json!({"offsets": [{
        "partition": {"kafka_topic": "orders", "kafka_partition": 0},
        "offset": {"kafka_offset": 5}
    }]});
    let (code, _, body) = ask(
        &api,
        "PATCH",
        "/connectors/c/offsets",
        admin,
        None,
        Some(offsets.clone()),
    )
    .await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("Connectors must be in the STOPPED state"),
        "{body}"
    );
    let (code, _, body) = ask(&api, "PUT", "/connectors/c/stop", admin, None, None).await;
    assert_eq!(code, StatusCode::NO_CONTENT, "{body}");
    let (code, _, body) = ask(
        &api,
        "PATCH",
        "/connectors/c/offsets",
        admin,
        None,
        Some(offsets),
    )
    .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let (_, _, body) = ask(&api, "GET", "/connectors/c/offsets", viewer, None, None).await;
    assert_eq!(
        body["offsets"],
        json!([{
            "partition": {"kafka_topic": "orders", "kafka_partition": 0},
            "offset": {"kafka_offset": 5}
        }])
    );

    // Deleted: its name is free, and it is gone.
    let (code, _, body) = ask(&api, "DELETE", "/connectors/c", admin, None, None).await;
    assert_eq!(code, StatusCode::NO_CONTENT, "{body}");
    let (code, _, _) = ask(&api, "GET", "/connectors/c", admin, None, None).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
}
