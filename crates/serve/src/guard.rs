//! What a request must be before any handler (or the token check) sees it, so that a web
//! page the user happens to open cannot drive the API — in the tokenless loopback mode
//! above all, where the browser is the only thing between a page and the API:
//!
//! - its `Host` is one of the server's own names ([`Hosts`]): loopback, `localhost`, the
//!   listen address, or a name given with `inlet serve --host-name`. A DNS-rebinding page
//!   (`attacker.example` made to resolve to 127.0.0.1) sends its own name: 421.
//! - its `Origin`, when a browser sends one, is the server's own (`scheme://` + the `Host`
//!   above) or one of `--cors-origin`: 403 otherwise.
//! - a body comes as `Content-Type: application/json` (or `…+json`): 415 otherwise. A
//!   cross-site form or `fetch` without a CORS preflight can only send `text/plain`, a form
//!   encoding or multipart.
//!
//! A request with no `Host` (HTTP/1.0, a test's in-process call) is not a browser's, and
//! passes the first rule.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::api::{ApiError, App};

/// The names a request's `Host` may carry: loopback addresses and `localhost` always, the
/// listen address (any address when it listens on all of them: an address is not a name a
/// rebinding page controls), and the names configured.
#[derive(Debug, Clone, Default)]
pub struct Hosts {
    /// The address the API listens on (none: loopback only).
    listen: Option<IpAddr>,
    /// Other names of the server, lower case (`inlet.example.com`).
    names: Vec<String>,
}

impl Hosts {
    /// The hosts of a server listening on `listen` and also called by `names` (DNS names
    /// or addresses, without a port).
    pub fn new(listen: SocketAddr, names: &[String]) -> Self {
        Hosts {
            listen: Some(listen.ip()),
            names: names
                .iter()
                .map(|n| n.trim().to_ascii_lowercase())
                .filter(|n| !n.is_empty())
                .collect(),
        }
    }

    /// Whether `host` (a `Host` header's value: a name or an address, and maybe a port) is
    /// one of the server's.
    pub fn allows(&self, host: &str) -> bool {
        let name = host_name(host).to_ascii_lowercase();
        if name == "localhost" || self.names.contains(&name) {
            return true;
        }
        match name.parse::<IpAddr>() {
            Ok(ip) => {
                ip.is_loopback()
                    || self
                        .listen
                        .is_some_and(|listen| listen.is_unspecified() || listen == ip)
            }
            Err(_) => false,
        }
    }
}

/// The name or address of a `Host` value, without its port or an IPv6 address' brackets.
fn host_name(host: &str) -> &str {
    let host = host.trim();
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}

/// Whether `method` is one whose body the API reads.
fn writes(method: &Method) -> bool {
    matches!(*method, Method::POST | Method::PUT | Method::PATCH)
}

/// Whether a request of `method` with these headers carries a body.
fn has_body(method: &Method, headers: &HeaderMap) -> bool {
    if !writes(method) {
        return false;
    }
    let length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    length.is_some_and(|n| n > 0) || headers.contains_key(header::TRANSFER_ENCODING)
}

/// Whether the request's `Content-Type` is JSON (`application/json`, `application/*+json`,
/// parameters such as `charset` aside).
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// The middleware: refuses a request that breaks a rule of this module, with what to do.
pub async fn guard(State(app): State<App>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| request.uri().authority().map(|a| a.as_str().to_owned()));
    if let Some(host) = &host
        && !app.0.hosts.allows(host)
    {
        return ApiError::new(
            StatusCode::MISDIRECTED_REQUEST,
            format!(
                "Host {:?} is not a name of this server: call it by its address, localhost, or a name given with inlet serve --host-name NAME",
                crate::flat::shorten(host)
            ),
        )
        .into_response();
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or_default().trim();
        let allowed = app.0.cors_origins.iter().any(|o| o == origin)
            || host
                .as_deref()
                .is_some_and(|host| same_origin(origin, host));
        if !allowed {
            return ApiError::new(
                StatusCode::FORBIDDEN,
                format!(
                    "requests from the web origin {:?} are refused: the console is served by this server itself; to call the API from a page of that origin, start inlet serve with --cors-origin {:?}",
                    crate::flat::shorten(origin),
                    crate::flat::shorten(origin)
                ),
            )
            .into_response();
        }
    }
    let sized = axum::body::HttpBody::size_hint(request.body()).upper() != Some(0);
    if (has_body(request.method(), headers) || (writes(request.method()) && sized))
        && !is_json(headers)
    {
        return ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "the request body must be JSON, sent with Content-Type: application/json",
        )
        .into_response();
    }
    next.run(request).await
}

/// Whether `origin` (`scheme://host[:port]`) is the server's own as called by `host`.
fn same_origin(origin: &str, host: &str) -> bool {
    let Some((scheme, authority)) = origin.split_once("://") else {
        return false;
    };
    matches!(scheme, "http" | "https") && authority.eq_ignore_ascii_case(host.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_loopback_localhost_the_listen_address_and_the_names_given() {
        let hosts = Hosts::new(
            "127.0.0.1:8083".parse().unwrap(),
            &["Inlet.Example.com".into()],
        );
        for ok in [
            "127.0.0.1:8083",
            "localhost:8083",
            "[::1]:8083",
            "inlet.example.com",
            "INLET.example.com:443",
            "127.0.0.2",
        ] {
            assert!(hosts.allows(ok), "{ok}");
        }
        for refused in [
            "attacker.example:8083",
            "10.0.0.5:8083",
            "localhost.attacker.example",
            "",
        ] {
            assert!(!hosts.allows(refused), "{refused}");
        }
        let everywhere = Hosts::new("0.0.0.0:8083".parse().unwrap(), &[]);
        assert!(everywhere.allows("10.0.0.5:8083"));
        assert!(!everywhere.allows("attacker.example:8083"));
        assert!(!Hosts::default().allows("10.0.0.5"));
        assert!(Hosts::default().allows("127.0.0.1"));
    }

    #[test]
    fn an_origin_is_the_servers_own_only_with_the_same_authority() {
        assert!(same_origin("http://127.0.0.1:8083", "127.0.0.1:8083"));
        assert!(same_origin(
            "https://Inlet.example.com",
            "inlet.example.com"
        ));
        assert!(!same_origin("http://evil.example", "127.0.0.1:8083"));
        assert!(!same_origin("null", "127.0.0.1:8083"));
        assert!(!same_origin("http://127.0.0.1:9999", "127.0.0.1:8083"));
    }

    #[test]
    fn a_body_is_json_only_with_a_json_content_type() {
        let with = |t: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::CONTENT_TYPE, t.parse().unwrap());
            h
        };
        assert!(is_json(&with("application/json")));
        assert!(is_json(&with("Application/JSON; charset=utf-8")));
        assert!(is_json(&with("application/vnd.kafka.v2+json")));
        assert!(!is_json(&with("text/plain")));
        assert!(!is_json(&with("application/x-www-form-urlencoded")));
        let mut empty = HeaderMap::new();
        empty.insert(header::CONTENT_LENGTH, "0".parse().unwrap());
        assert!(!has_body(&Method::PUT, &empty));
        let mut some = HeaderMap::new();
        some.insert(header::CONTENT_LENGTH, "12".parse().unwrap());
        assert!(has_body(&Method::POST, &some));
        assert!(!has_body(&Method::GET, &some));
    }
}
