//! The web console's files, built from `console/` (`scripts/console`: TypeScript bundled by
//! esbuild into `console/dist`) and embedded in the binary: `GET /` answers the console's
//! page to a browser (a request that accepts `text/html`) and Kafka Connect's server
//! information to everyone else; `GET /console/{file}` answers the page's script and
//! styles. The console is a client of the public API only, from the same origin.

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The files of `console/dist`, embedded when the binary was built (none when they had not
/// been built: the page then says how to build them).
#[derive(rust_embed::Embed)]
#[folder = "$CARGO_MANIFEST_DIR/../../console/dist/"]
#[allow_missing = true]
struct Assets;

/// What a browser gets at `/` when the binary holds no console.
const NOT_BUILT: &str = "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>inlet</title>\
<body style=\"font-family:sans-serif;max-width:40em;margin:3em auto\"><h1>inlet</h1>\
<p>This inlet binary was built without the web console's files. The API works (see \
<a href=\"/openapi.json\">/openapi.json</a>).</p><p>To have the console: run \
<code>scripts/console</code> (it runs <code>npm ci</code> and <code>npm run build</code> in \
<code>console/</code>, Node.js 18 or later), then build inlet again \
(<code>cargo build --release</code>).</p></body></html>";

/// Whether this binary holds the console.
pub fn console_built() -> bool {
    Assets::get("index.html").is_some()
}

/// Whether a request is a browser's for a page.
pub(super) fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|a| a.to_str().ok())
        .is_some_and(|a| a.contains("text/html"))
}

/// The console's page, or the page that says how to build it.
pub(super) fn index() -> Response {
    match Assets::get("index.html") {
        Some(file) => with_headers(file.data.into_owned(), "text/html; charset=utf-8"),
        None => with_headers(NOT_BUILT.as_bytes().to_vec(), "text/html; charset=utf-8"),
    }
}

/// `GET /console/{file}`: a file of the console, or 404.
pub(super) async fn file(Path(path): Path<String>) -> Response {
    let Some(file) = Assets::get(&path) else {
        return super::ApiError::new(
            StatusCode::NOT_FOUND,
            format!("the console has no file {path}"),
        )
        .into_response();
    };
    with_headers(file.data.into_owned(), content_type(&path))
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("html") => "text/html; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("map") => "application/json",
        _ => "application/octet-stream",
    }
}

/// A console file with its type, and headers that keep the page to its own origin: it
/// loads nothing from elsewhere and may not be framed.
fn with_headers(body: Vec<u8>, content_type: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
        ),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browsers_get_the_page_and_tools_get_json() {
        let mut headers = HeaderMap::new();
        assert!(!wants_html(&headers), "no Accept: Connect's ServerInfo");
        headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        assert!(!wants_html(&headers));
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_static("text/html,application/xhtml+xml,*/*;q=0.8"),
        );
        assert!(wants_html(&headers));
    }

    #[test]
    fn the_page_is_html_kept_to_its_own_origin() {
        let response = index();
        let headers = response.headers();
        assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
        let policy = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(policy.contains("default-src 'self'"), "{policy}");
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
        assert_eq!(content_type("app.js"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("app.css"), "text/css; charset=utf-8");
    }
}
