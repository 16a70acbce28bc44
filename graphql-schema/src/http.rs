//! GraphQL over HTTP (and WebSocket) for any `async_graphql::Executor`, conforming to the GraphQL-over-HTTP spec.
//!
//! The stock `async-graphql-axum` handler answers every request with `application/graphql-response+json`, answers
//! document errors with 200 and `"data": null`, and runs mutations sent over GET. This module negotiates the media
//! type from `Accept`, tells request errors from field errors, refuses mutations over GET, applies an alias limit and
//! a body size limit before execution, and authenticates every GraphQL request (or, for WebSocket, the
//! `connection_init` payload). See `tests/audit` for the `graphql-http` conformance audit.
//!
//! Status codes, by negotiated media type:
//!
//! | situation | `application/graphql-response+json` | `application/json` |
//! |---|---|---|
//! | success, or field errors from resolvers | 200 | 200 |
//! | malformed request (bad JSON, missing or mistyped parameter) | 400 | 400 |
//! | document parse or validation error, too many aliases | 400, no `data` | 200, no `data` |
//! | mutation over GET | 405, `Allow: POST` | 405, `Allow: POST` |
//! | authentication refused | 401, `WWW-Authenticate: Bearer` | 401, `WWW-Authenticate: Bearer` |
//! | body over the limit | 413 | 413 |
//! | POST without `application/json` body | 415 | 415 |
//! | neither media type acceptable | 406 (body in `application/json`) | |

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet};
use async_graphql::{Data, ErrorExtensionValues, Executor, Name, ServerError, Value, Variables};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::Router;
use axum::body::Body;
use axum::extract::{FromRequestParts, Query, State, WebSocketUpgrade};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use serde::Serialize;

/// Per-request data built from the request headers (or, for WebSocket, from the connection_init payload).
///
/// Asynchronous so that an implementation may look the caller up (implement it with `async fn`).
pub trait Authenticate: Clone + Send + Sync + 'static {
    /// `authorization` is the value of the Authorization header (or the `Authorization`/`authorization` key of the
    /// graphql-transport-ws connection_init payload), None when absent.
    fn authenticate(
        &self,
        authorization: Option<&str>,
    ) -> impl Future<Output = Result<async_graphql::Data, AuthRejection>> + Send;
}

/// Why a request was refused authentication: answered with 401 and a GraphQL error carrying `code` in its
/// `extensions` (on WebSocket, the connection is closed with `message` as the reason).
#[derive(Debug, Clone)]
pub struct AuthRejection {
    /// Machine-readable error code, put in the error's `extensions.code` (e.g. `"UNAUTHENTICATED"`).
    pub code: &'static str,
    /// Human-readable message, put in the error's `message`.
    pub message: String,
}

/// A cache of serialized responses, consulted before a POSTed request is even parsed and filled
/// after an operation ran without errors (`crate::response_cache` is the platform's). The key
/// is the request as sent: document, operation name, variables and the negotiated media type;
/// the cache adds the caller's part (from the request's data) and decides what it may keep.
pub trait ResponseCache: Clone + Send + Sync + 'static {
    /// What one admitted request records while it runs.
    type Ticket: Send;

    /// The stored response to `key` for the caller in `data`, if it may be served now.
    fn get(&self, key: &str, data: &Data) -> impl Future<Output = Option<axum::body::Bytes>> + Send;

    /// Whether the response to this operation may be kept for this caller; if so, the ticket
    /// that records what its execution reads (`data` is the request's, to put the recorder in).
    fn admit(&self, document: &ExecutableDocument, operation_name: Option<&str>, data: &Data) -> Option<Self::Ticket>;

    /// Keeps `body`, the error-free response to `key`, if what the ticket recorded allows it;
    /// whether it was kept.
    fn put(&self, key: String, ticket: Self::Ticket, body: axum::body::Bytes) -> bool;
}

/// No response cache.
#[derive(Debug, Clone, Copy)]
pub struct NoCache;

impl ResponseCache for NoCache {
    type Ticket = ();

    async fn get(&self, _: &str, _: &Data) -> Option<axum::body::Bytes> {
        None
    }

    fn admit(&self, _: &ExecutableDocument, _: Option<&str>, _: &Data) -> Option<()> {
        None
    }

    fn put(&self, _: String, (): (), _: axum::body::Bytes) -> bool {
        false
    }
}

/// The response header that tells a response served from the response cache (`hit`) from one
/// that was executed and kept (`miss`); absent when the response was not cacheable.
pub const CACHE_HEADER: &str = "x-onedoor-cache";

/// Limits applied before execution, on the parsed document.
#[derive(Debug, Clone, Copy)]
pub struct RequestLimits {
    /// Most aliased fields a document may contain, counted over all operations and fragments.
    pub max_aliases: usize,
    /// Largest accepted POST body (and GET query string, and WebSocket message), in bytes.
    pub max_body_bytes: usize,
}

/// The router: GET/POST /graphql, WebSocket at /graphql, GET /healthz. POSTed queries go
/// through `cache`.
pub fn router<E, A, C>(executor: E, auth: A, limits: RequestLimits, cache: C) -> axum::Router
where
    E: async_graphql::Executor + Clone,
    A: Authenticate,
    C: ResponseCache,
{
    let state = Arc::new(Shared { executor, auth, limits, cache });
    Router::new()
        .route(GRAPHQL_PATH, get(graphql_get::<E, A, C>).post(graphql_post::<E, A, C>))
        .route("/graphql/assets/{file}", get(crate::graphiql::asset))
        .route("/healthz", get(healthz))
        .with_state(state)
}

const GRAPHQL_PATH: &str = "/graphql";
const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json; charset=utf-8";
const JSON: &str = "application/json; charset=utf-8";

/// Error codes of the errors this module produces itself.
mod code {
    pub const BAD_REQUEST: &str = "BAD_REQUEST";
    pub const PARSE_FAILED: &str = "GRAPHQL_PARSE_FAILED";
    pub const TOO_MANY_ALIASES: &str = "TOO_MANY_ALIASES";
    pub const METHOD_NOT_ALLOWED: &str = "METHOD_NOT_ALLOWED";
    pub const NOT_ACCEPTABLE: &str = "NOT_ACCEPTABLE";
    pub const UNSUPPORTED_MEDIA_TYPE: &str = "UNSUPPORTED_MEDIA_TYPE";
    pub const PAYLOAD_TOO_LARGE: &str = "PAYLOAD_TOO_LARGE";
    pub const BAD_AUTHORIZATION_HEADER: &str = "BAD_AUTHORIZATION_HEADER";
    pub const INTERNAL: &str = "INTERNAL_SERVER_ERROR";
}

struct Shared<E, A, C> {
    executor: E,
    auth: A,
    limits: RequestLimits,
    cache: C,
}

type AppState<E, A, C> = State<Arc<Shared<E, A, C>>>;

async fn healthz() -> &'static str {
    "ok"
}

// ---------------------------------------------------------------------------------------------------------------
// Media types
// ---------------------------------------------------------------------------------------------------------------

/// The media type of a GraphQL response body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MediaType {
    GraphQlResponseJson,
    Json,
}

impl MediaType {
    fn content_type(self) -> &'static str {
        match self {
            Self::GraphQlResponseJson => GRAPHQL_RESPONSE_JSON,
            Self::Json => JSON,
        }
    }
}

/// The quality and specificity (3 exact, 2 `type/*`, 1 `*/*`, 0 no match) that `accept` gives `wanted`.
fn accept_quality(accept: &str, wanted: &str) -> (f32, u8) {
    let (wanted_type, _) = wanted.split_once('/').unwrap_or((wanted, ""));
    let mut best: (f32, u8) = (0.0, 0);
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        if media.is_empty() {
            continue;
        }
        let mut quality = 1.0_f32;
        let mut valid = true;
        for param in parts {
            if let Some((name, value)) = param.split_once('=')
                && name.trim().eq_ignore_ascii_case("q")
            {
                match value.trim().parse::<f32>() {
                    Ok(q) if (0.0..=1.0).contains(&q) => quality = q,
                    _ => valid = false,
                }
            }
        }
        if !valid {
            continue;
        }
        let specificity = if media == wanted {
            3
        } else if media == "*/*" {
            1
        } else if let Some((ty, "*")) = media.split_once('/')
            && ty == wanted_type
        {
            2
        } else {
            0
        };
        if specificity > best.1 {
            best = (quality, specificity);
        }
    }
    best
}

/// All `Accept` header values joined, or None when the client sent none (or only blank ones).
fn accept_header(headers: &HeaderMap) -> Option<String> {
    let joined =
        headers.get_all(header::ACCEPT).iter().filter_map(|value| value.to_str().ok()).collect::<Vec<_>>().join(",");
    (!joined.trim().is_empty()).then_some(joined)
}

/// Picks the response media type; None means 406.
///
/// `application/graphql-response+json` only when the client names it and does not prefer `application/json`;
/// a missing `Accept` or `*/*` gets `application/json`, as the spec recommends for the transition period (and as
/// the `graphql-http` audit expects).
fn negotiate(headers: &HeaderMap) -> Option<MediaType> {
    let Some(accept) = accept_header(headers) else {
        return Some(MediaType::Json);
    };
    let (gr_q, gr_specificity) = accept_quality(&accept, "application/graphql-response+json");
    let (json_q, _) = accept_quality(&accept, "application/json");
    if gr_q > 0.0 && gr_specificity == 3 && gr_q >= json_q {
        Some(MediaType::GraphQlResponseJson)
    } else if json_q > 0.0 {
        Some(MediaType::Json)
    } else if gr_q > 0.0 {
        Some(MediaType::GraphQlResponseJson)
    } else {
        None
    }
}

/// Whether the client explicitly accepts HTML (`text/html` or `text/*`), as a browser does.
fn accepts_html(headers: &HeaderMap) -> bool {
    accept_header(headers).is_some_and(|accept| {
        let (q, specificity) = accept_quality(&accept, "text/html");
        q > 0.0 && specificity >= 2
    })
}

// ---------------------------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------------------------

fn error_with_code(message: impl Into<String>, code: &str) -> ServerError {
    let mut error = ServerError::new(message, None);
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", code);
    error.extensions = Some(extensions);
    error
}

/// A response body without `data`: the shape of a request error.
#[derive(Serialize)]
struct ErrorsOnly<'a> {
    errors: &'a [ServerError],
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    extensions: &'a BTreeMap<String, Value>,
}

fn json_response(status: StatusCode, content_type: &'static str, body: Result<Vec<u8>, serde_json::Error>) -> Response {
    match body {
        Ok(body) => (status, [(header::CONTENT_TYPE, content_type)], body).into_response(),
        Err(error) => {
            tracing::error!(%error, "could not serialize a GraphQL response");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                [(header::CONTENT_TYPE, content_type)],
                format!(
                    r#"{{"errors":[{{"message":"internal server error","extensions":{{"code":"{}"}}}}]}}"#,
                    code::INTERNAL
                ),
            )
                .into_response()
        }
    }
}

/// A response carrying only errors, with the given status.
fn errors_response(status: StatusCode, media: MediaType, errors: &[ServerError]) -> Response {
    let body = serde_json::to_vec(&ErrorsOnly { errors, extensions: &BTreeMap::new() });
    json_response(status, media.content_type(), body)
}

fn error_response(status: StatusCode, media: MediaType, message: impl Into<String>, code: &str) -> Response {
    errors_response(status, media, &[error_with_code(message, code)])
}

/// A request error about the GraphQL document (parse, validation, limits): 400 with
/// `application/graphql-response+json`, 200 with `application/json`; never a `data` entry.
fn document_error_response(media: MediaType, errors: &[ServerError]) -> Response {
    let status = match media {
        MediaType::GraphQlResponseJson => StatusCode::BAD_REQUEST,
        MediaType::Json => StatusCode::OK,
    };
    errors_response(status, media, errors)
}

/// Whether an executor response is a request error (nothing executed): no data and no error from a resolver.
fn is_request_error(response: &async_graphql::Response) -> bool {
    !response.errors.is_empty()
        && response.data == Value::Null
        && response.errors.iter().all(|error| error.path.is_empty())
}

fn execution_response(response: async_graphql::Response, media: MediaType, cacheable: bool) -> Response {
    let mut http = if is_request_error(&response) {
        let status = match media {
            MediaType::GraphQlResponseJson => StatusCode::BAD_REQUEST,
            MediaType::Json => StatusCode::OK,
        };
        let body = serde_json::to_vec(&ErrorsOnly { errors: &response.errors, extensions: &response.extensions });
        json_response(status, media.content_type(), body)
    } else {
        let mut http = json_response(StatusCode::OK, media.content_type(), serde_json::to_vec(&response));
        if cacheable
            && response.is_ok()
            && let Some(value) = response.cache_control.value()
            && let Ok(value) = HeaderValue::from_str(&value)
        {
            http.headers_mut().insert(header::CACHE_CONTROL, value);
        }
        http
    };
    for (name, value) in &response.http_headers {
        http.headers_mut().append(name, value.clone());
    }
    http
}

// ---------------------------------------------------------------------------------------------------------------
// Request parameters
// ---------------------------------------------------------------------------------------------------------------

/// The GraphQL request parameters, checked for shape.
struct Params {
    query: String,
    operation_name: Option<String>,
    variables: Variables,
    extensions: async_graphql::Extensions,
}

/// A malformed request: answered with 400 whatever the media type.
struct BadRequest(String);

fn json_object_param(
    name: &str,
    value: Option<serde_json::Value>,
) -> Result<Option<serde_json::Map<String, serde_json::Value>>, BadRequest> {
    match value {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::Object(map)) => Ok(Some(map)),
        Some(_) => Err(BadRequest(format!("the `{name}` parameter must be a map"))),
    }
}

impl Params {
    /// From the parsed JSON body of a POST.
    fn from_json(body: serde_json::Value) -> Result<Self, BadRequest> {
        let serde_json::Value::Object(mut body) = body else {
            return Err(BadRequest("the request body must be a JSON object (batching is not supported)".into()));
        };
        let query = match body.remove("query") {
            None | Some(serde_json::Value::Null) => {
                return Err(BadRequest("the `query` parameter is missing".into()));
            }
            Some(serde_json::Value::String(query)) => query,
            Some(_) => return Err(BadRequest("the `query` parameter must be a string".into())),
        };
        let operation_name = match body.remove("operationName") {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(name)) => Some(name),
            Some(_) => {
                return Err(BadRequest("the `operationName` parameter must be a string".into()));
            }
        };
        let variables = json_object_param("variables", body.remove("variables"))?;
        let extensions = json_object_param("extensions", body.remove("extensions"))?;
        Self::build(query, operation_name, variables, extensions)
    }

    /// From the URL query string of a GET; None when there is no `query` parameter.
    fn from_url(pairs: Vec<(String, String)>) -> Result<Option<Self>, BadRequest> {
        let mut query = None;
        let mut operation_name = None;
        let mut variables = None;
        let mut extensions = None;
        for (name, value) in pairs {
            let slot = match name.as_str() {
                "query" => &mut query,
                "operationName" => &mut operation_name,
                "variables" => &mut variables,
                "extensions" => &mut extensions,
                _ => continue,
            };
            if slot.replace(value).is_some() {
                return Err(BadRequest(format!("the `{name}` parameter is given more than once")));
            }
        }
        let Some(query) = query else {
            return Ok(None);
        };
        let parse_json = |name: &str, text: Option<String>| -> Result<Option<serde_json::Value>, BadRequest> {
            text.filter(|text| !text.is_empty())
                .map(|text| {
                    serde_json::from_str(&text)
                        .map_err(|error| BadRequest(format!("the `{name}` parameter is not valid JSON: {error}")))
                })
                .transpose()
        };
        let variables = json_object_param("variables", parse_json("variables", variables)?)?;
        let extensions = json_object_param("extensions", parse_json("extensions", extensions)?)?;
        Self::build(query, operation_name.filter(|name| !name.is_empty()), variables, extensions).map(Some)
    }

    fn build(
        query: String,
        operation_name: Option<String>,
        variables: Option<serde_json::Map<String, serde_json::Value>>,
        extensions: Option<serde_json::Map<String, serde_json::Value>>,
    ) -> Result<Self, BadRequest> {
        let mut vars = Variables::default();
        for (name, value) in variables.unwrap_or_default() {
            let value = Value::from_json(value)
                .map_err(|error| BadRequest(format!("the `variables` parameter is invalid: {error}")))?;
            vars.insert(Name::new(name), value);
        }
        let mut exts = async_graphql::Extensions::default();
        for (name, value) in extensions.unwrap_or_default() {
            let value = Value::from_json(value)
                .map_err(|error| BadRequest(format!("the `extensions` parameter is invalid: {error}")))?;
            exts.insert(name, value);
        }
        Ok(Self { query, operation_name, variables: vars, extensions: exts })
    }

    fn into_request(self) -> async_graphql::Request {
        let mut request = async_graphql::Request::new(self.query).variables(self.variables);
        request.operation_name = self.operation_name;
        request.extensions = self.extensions;
        request
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Document checks
// ---------------------------------------------------------------------------------------------------------------

/// Number of aliased fields in the document, over all operations and fragments (each written alias counts once).
fn count_aliases(document: &ExecutableDocument) -> usize {
    let mut pending: Vec<&SelectionSet> = document
        .operations
        .iter()
        .map(|(_, operation)| &operation.node.selection_set.node)
        .chain(document.fragments.values().map(|fragment| &fragment.node.selection_set.node))
        .collect();
    let mut count = 0_usize;
    while let Some(set) = pending.pop() {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    if field.node.alias.is_some() {
                        count = count.saturating_add(1);
                    }
                    pending.push(&field.node.selection_set.node);
                }
                Selection::InlineFragment(fragment) => pending.push(&fragment.node.selection_set.node),
                Selection::FragmentSpread(_) => {}
            }
        }
    }
    count
}

/// `text` cut to about `max` bytes by dropping its middle (a parse error quotes the offending source line, which can
/// be the whole document).
fn shorten(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut head = max / 2;
    while !text.is_char_boundary(head) {
        head -= 1;
    }
    let mut tail = text.len() - max / 2;
    while !text.is_char_boundary(tail) {
        tail += 1;
    }
    format!("{} … {}", &text[..head], &text[tail..])
}

/// The documents parsed last, by their text, with their alias counts: clients send the same few documents again
/// and again (a desk's "call next", a board's subscription, a portal's list), and parsing is the costliest step
/// before execution. Parsing depends on the text alone, so one cache serves every schema and caller.
static PARSED: std::sync::LazyLock<std::sync::Mutex<ParsedDocuments>> = std::sync::LazyLock::new(Default::default);
/// Parsed documents and their alias counts, by text.
type ParsedDocuments = std::collections::HashMap<Box<str>, Arc<(ExecutableDocument, usize)>>;
/// The most documents kept (the cache starts over when full).
const PARSED_DOCUMENTS: usize = 256;
/// Longer documents are parsed every time.
const PARSED_MAX_LEN: usize = 8 * 1024;

/// `query` parsed (from the cache when it was seen lately) and its alias count.
fn parsed(query: &str) -> Result<(ExecutableDocument, usize), async_graphql::parser::Error> {
    let cached = PARSED.lock().ok().and_then(|m| m.get(query).cloned());
    if let Some(hit) = cached {
        return Ok((hit.0.clone(), hit.1));
    }
    let document = async_graphql::parser::parse_query(query)?;
    let aliases = count_aliases(&document);
    if query.len() <= PARSED_MAX_LEN
        && let Ok(mut m) = PARSED.lock()
    {
        if m.len() >= PARSED_DOCUMENTS {
            m.clear();
        }
        m.insert(query.into(), Arc::new((document.clone(), aliases)));
    }
    Ok((document, aliases))
}

/// Parses the request's document and applies the limits; on success the parsed document is attached to the request
/// so that the executor does not parse it again. Returns the type of the operation to run, when it can be told.
fn check_document(
    request: &mut async_graphql::Request,
    limits: RequestLimits,
) -> Result<Option<OperationType>, Vec<ServerError>> {
    let (document, aliases) = parsed(&request.query).map_err(|error| {
        let mut error = ServerError::from(error);
        error.message = shorten(&error.message, 1024);
        let mut extensions = ErrorExtensionValues::default();
        extensions.set("code", code::PARSE_FAILED);
        error.extensions = Some(extensions);
        vec![error]
    })?;
    if aliases > limits.max_aliases {
        return Err(vec![error_with_code(
            format!("the document has {aliases} aliases; at most {} are allowed", limits.max_aliases),
            code::TOO_MANY_ALIASES,
        )]);
    }
    let operation_type = match (&document.operations, request.operation_name.as_deref()) {
        (DocumentOperations::Single(operation), _) => Some(operation.node.ty),
        (DocumentOperations::Multiple(operations), Some(name)) => {
            operations.get(name).map(|operation| operation.node.ty)
        }
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => {
            operations.values().next().map(|operation| operation.node.ty)
        }
        (DocumentOperations::Multiple(_), None) => None,
    };
    request.set_parsed_query(document);
    Ok(operation_type)
}

/// Wraps the executor of WebSocket connections so that their operations get the same document limits.
#[derive(Clone)]
struct Limited<E> {
    inner: E,
    limits: RequestLimits,
}

impl<E: Executor> Executor for Limited<E> {
    fn execute(&self, mut request: async_graphql::Request) -> impl Future<Output = async_graphql::Response> + Send {
        let checked = check_document(&mut request, self.limits);
        let inner = self.inner.clone();
        async move {
            match checked {
                Ok(_) => inner.execute(request).await,
                Err(errors) => async_graphql::Response::from_errors(errors),
            }
        }
    }

    fn execute_stream(
        &self,
        mut request: async_graphql::Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, async_graphql::Response> {
        match check_document(&mut request, self.limits) {
            Ok(_) => self.inner.execute_stream(request, session_data),
            Err(errors) => {
                futures_util::stream::once(futures_util::future::ready(async_graphql::Response::from_errors(errors)))
                    .boxed()
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Authentication
// ---------------------------------------------------------------------------------------------------------------

fn unauthorized(media: MediaType, rejection: AuthRejection) -> Response {
    tracing::debug!(code = rejection.code, "GraphQL request refused authentication");
    let mut response = error_response(StatusCode::UNAUTHORIZED, media, rejection.message, rejection.code);
    response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

/// Runs the authenticator on the Authorization header (an unreadable or repeated header is refused without asking it).
async fn authenticate_headers<A: Authenticate>(auth: &A, headers: &HeaderMap) -> Result<Data, AuthRejection> {
    let bad_header = |message: &str| AuthRejection { code: code::BAD_AUTHORIZATION_HEADER, message: message.into() };
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let authorization = match (values.next(), values.next()) {
        (None, _) => None,
        (Some(value), None) => {
            Some(value.to_str().map_err(|_| bad_header("the Authorization header is not visible ASCII"))?)
        }
        (Some(_), Some(_)) => return Err(bad_header("more than one Authorization header")),
    };
    auth.authenticate(authorization).await
}

/// Runs the authenticator on a graphql-transport-ws / graphql-ws `connection_init` payload.
async fn authenticate_payload<A: Authenticate>(auth: &A, payload: serde_json::Value) -> async_graphql::Result<Data> {
    let authorization =
        payload.get("Authorization").or_else(|| payload.get("authorization")).filter(|value| !value.is_null());
    let authorization = match authorization {
        None => None,
        Some(serde_json::Value::String(value)) => Some(value.as_str()),
        Some(_) => {
            return Err(async_graphql::Error::new("the Authorization entry of connection_init must be a string"));
        }
    };
    auth.authenticate(authorization).await.map_err(|rejection| {
        tracing::debug!(code = rejection.code, "WebSocket connection refused authentication");
        // The close reason of a WebSocket close frame holds at most 123 bytes.
        let mut message = format!("{}: {}", rejection.code, rejection.message);
        if message.len() > 123 {
            let mut end = 123;
            while !message.is_char_boundary(end) {
                end -= 1;
            }
            message.truncate(end);
        }
        async_graphql::Error::new(message)
    })
}

// ---------------------------------------------------------------------------------------------------------------
// Handlers
// ---------------------------------------------------------------------------------------------------------------

/// The response cache's key of a request: document, operation name, variables and media type.
fn cache_key(params: &Params, media: MediaType) -> Option<String> {
    let variables = serde_json::to_string(&params.variables).ok()?;
    let op = params.operation_name.as_deref().unwrap_or("");
    // The lengths make the concatenation unambiguous.
    Some(format!(
        "{}:{}:{}:{}{}{}{}",
        params.query.len(),
        op.len(),
        variables.len(),
        params.query,
        op,
        variables,
        media.content_type()
    ))
}

/// Checks the document and executes with the caller's `data`; `via_get` refuses mutations and allows HTTP caching
/// (with `Cache-Control`); POSTed queries without extensions go through the response cache.
async fn run<E: Executor, A: Authenticate, C: ResponseCache>(
    shared: &Shared<E, A, C>,
    data: Data,
    media: MediaType,
    params: Params,
    via_get: bool,
) -> Response {
    let key = if via_get || !params.extensions.is_empty() { None } else { cache_key(&params, media) };
    if let Some(key) = &key
        && let Some(body) = shared.cache.get(key, &data).await
    {
        return (
            StatusCode::OK,
            [(header::CONTENT_TYPE, media.content_type()), (header::HeaderName::from_static(CACHE_HEADER), "hit")],
            body,
        )
            .into_response();
    }
    let operation_name = params.operation_name.clone();
    let mut request = params.into_request();
    let operation_type = match check_document(&mut request, shared.limits) {
        Ok(operation_type) => operation_type,
        Err(errors) => return document_error_response(media, &errors),
    };
    if via_get && operation_type == Some(OperationType::Mutation) {
        let mut response = error_response(
            StatusCode::METHOD_NOT_ALLOWED,
            media,
            "mutations must be sent with POST",
            code::METHOD_NOT_ALLOWED,
        );
        response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    let ticket = match (&key, operation_type, request.parsed_query()) {
        (Some(_), Some(OperationType::Query), Ok(document)) => {
            shared.cache.admit(document, operation_name.as_deref(), &data)
        }
        _ => None,
    };
    request.data = data;
    let response = shared.executor.execute(request).await;
    if let (Some(key), Some(ticket)) = (key, ticket)
        && response.errors.is_empty()
        && response.http_headers.is_empty()
    {
        let body = match serde_json::to_vec(&response) {
            Ok(body) => axum::body::Bytes::from(body),
            Err(error) => return json_response(StatusCode::OK, media.content_type(), Err(error)),
        };
        let kept = shared.cache.put(key, ticket, body.clone());
        let mut http = (StatusCode::OK, [(header::CONTENT_TYPE, media.content_type())], body).into_response();
        if kept {
            http.headers_mut().insert(header::HeaderName::from_static(CACHE_HEADER), HeaderValue::from_static("miss"));
        }
        return http;
    }
    execution_response(response, media, via_get)
}

async fn graphql_get<E: Executor, A: Authenticate, C: ResponseCache>(
    State(shared): AppState<E, A, C>,
    request: axum::extract::Request,
) -> Response {
    let (mut parts, _body) = request.into_parts();
    let wants_websocket = parts
        .headers
        .get_all(header::UPGRADE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|value| value.split(',').any(|token| token.trim().eq_ignore_ascii_case("websocket")));
    if wants_websocket {
        return websocket(&shared, &mut parts).await;
    }

    let raw_query = parts.uri.query().unwrap_or("");
    if raw_query.len() > shared.limits.max_body_bytes {
        return error_response(
            StatusCode::URI_TOO_LONG,
            negotiate(&parts.headers).unwrap_or(MediaType::Json),
            "the query string is too long",
            code::PAYLOAD_TOO_LARGE,
        );
    }
    let pairs = match Query::<Vec<(String, String)>>::try_from_uri(&parts.uri) {
        Ok(Query(pairs)) => pairs,
        Err(error) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                negotiate(&parts.headers).unwrap_or(MediaType::Json),
                format!("the query string is malformed: {error}"),
                code::BAD_REQUEST,
            );
        }
    };
    let params = Params::from_url(pairs);
    if matches!(params, Ok(None)) && parts.method == Method::GET && accepts_html(&parts.headers) {
        return ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], crate::graphiql::PAGE).into_response();
    }
    let Some(media) = negotiate(&parts.headers) else {
        return not_acceptable();
    };
    let data = match authenticate_headers(&shared.auth, &parts.headers).await {
        Ok(data) => data,
        Err(rejection) => return unauthorized(media, rejection),
    };
    let params = match params {
        Ok(Some(params)) => params,
        Ok(None) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                media,
                "the `query` parameter is missing",
                code::BAD_REQUEST,
            );
        }
        Err(BadRequest(message)) => {
            return error_response(StatusCode::BAD_REQUEST, media, message, code::BAD_REQUEST);
        }
    };
    let mut response = run(&shared, data, media, params, true).await;
    // A GET answer may be cached (per the schema's cache hints): it depends on these headers.
    response.headers_mut().append(header::VARY, HeaderValue::from_static("accept, authorization"));
    response
}

fn not_acceptable() -> Response {
    error_response(
        StatusCode::NOT_ACCEPTABLE,
        MediaType::Json,
        "the Accept header allows neither application/graphql-response+json nor application/json",
        code::NOT_ACCEPTABLE,
    )
}

/// Whether the Content-Type is `application/json` (any charset parameter must be utf-8).
fn is_json_content_type(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok()) else {
        return false;
    };
    let mut parts = value.split(';');
    let essence = parts.next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case("application/json") {
        return false;
    }
    parts.all(|param| match param.split_once('=') {
        Some((name, value)) if name.trim().eq_ignore_ascii_case("charset") => {
            let value = value.trim().trim_matches('"');
            value.eq_ignore_ascii_case("utf-8") || value.eq_ignore_ascii_case("utf8")
        }
        _ => true,
    })
}

/// Reads the body, refusing more than `limit` bytes.
async fn read_body(body: Body, limit: usize) -> Result<Vec<u8>, Option<axum::Error>> {
    let mut stream = body.into_data_stream();
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(Some)?;
        if bytes.len().saturating_add(chunk.len()) > limit {
            return Err(None);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

async fn graphql_post<E: Executor, A: Authenticate, C: ResponseCache>(
    State(shared): AppState<E, A, C>,
    request: axum::extract::Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let Some(media) = negotiate(&parts.headers) else {
        return not_acceptable();
    };
    if !is_json_content_type(&parts.headers) {
        return error_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            media,
            "the request body must be application/json",
            code::UNSUPPORTED_MEDIA_TYPE,
        );
    }
    let limit = shared.limits.max_body_bytes;
    let too_large = || {
        error_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            media,
            format!("the request body is larger than {limit} bytes"),
            code::PAYLOAD_TOO_LARGE,
        )
    };
    let declared_length = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok());
    if declared_length.is_some_and(|length| length > u64::try_from(limit).unwrap_or(u64::MAX)) {
        return too_large();
    }
    // Authenticate before reading the body, so an unauthenticated client cannot make the server buffer it.
    let data = match authenticate_headers(&shared.auth, &parts.headers).await {
        Ok(data) => data,
        Err(rejection) => return unauthorized(media, rejection),
    };
    let bytes = match read_body(body, limit).await {
        Ok(bytes) => bytes,
        Err(None) => return too_large(),
        Err(Some(error)) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                media,
                format!("could not read the request body: {error}"),
                code::BAD_REQUEST,
            );
        }
    };
    let params = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(json) => Params::from_json(json),
        Err(error) => Err(BadRequest(format!("the request body is not valid JSON: {error}"))),
    };
    match params {
        Ok(params) => run(&shared, data, media, params, false).await,
        Err(BadRequest(message)) => error_response(StatusCode::BAD_REQUEST, media, message, code::BAD_REQUEST),
    }
}

async fn websocket<E: Executor, A: Authenticate, C: ResponseCache>(
    shared: &Shared<E, A, C>,
    parts: &mut axum::http::request::Parts,
) -> Response {
    let protocol = match GraphQLProtocol::from_request_parts(parts, &()).await {
        Ok(protocol) => protocol,
        Err(status) => {
            return (status, "the Sec-WebSocket-Protocol header must offer graphql-transport-ws or graphql-ws")
                .into_response();
        }
    };
    let upgrade = match WebSocketUpgrade::from_request_parts(parts, &()).await {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    let executor = Limited { inner: shared.executor.clone(), limits: shared.limits };
    let auth = shared.auth.clone();
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .max_message_size(shared.limits.max_body_bytes)
        .max_frame_size(shared.limits.max_body_bytes)
        .on_upgrade(move |socket| {
            GraphQLWebSocket::new(socket, executor, protocol)
                .on_connection_init(move |payload| async move { authenticate_payload(&auth, payload).await })
                .serve()
        })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use async_graphql::{Context, Object, Schema, Subscription};
    use futures_util::Stream;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    /// Who the test authenticator says the caller is.
    #[derive(Debug, Clone)]
    struct Caller(&'static str);

    /// Anonymous without a header, "alice" with `Bearer good`, refused otherwise.
    #[derive(Debug, Clone)]
    struct TestAuth;

    impl Authenticate for TestAuth {
        async fn authenticate(&self, authorization: Option<&str>) -> Result<Data, AuthRejection> {
            let caller = match authorization {
                None => Caller("anonymous"),
                Some("Bearer good") => Caller("alice"),
                Some(_) => {
                    return Err(AuthRejection { code: "UNAUTHENTICATED", message: "bad token".into() });
                }
            };
            let mut data = Data::default();
            data.insert(caller);
            Ok(data)
        }
    }

    struct QueryRoot;

    #[Object]
    impl QueryRoot {
        async fn whoami(&self, ctx: &Context<'_>) -> &'static str {
            ctx.data_opt::<Caller>().map_or("nobody", |caller| caller.0)
        }

        async fn broken(&self) -> async_graphql::Result<i32> {
            Err("resolver failed".into())
        }
    }

    struct MutationRoot;

    #[Object]
    impl MutationRoot {
        async fn bump(&self) -> i32 {
            1
        }
    }

    struct SubscriptionRoot;

    #[Subscription]
    impl SubscriptionRoot {
        async fn ticks(&self, ctx: &Context<'_>) -> impl Stream<Item = String> {
            let caller = ctx.data_opt::<Caller>().map_or("nobody", |caller| caller.0);
            futures_util::stream::iter((0..3).map(move |n| format!("{caller}-{n}")))
        }
    }

    const LIMITS: RequestLimits = RequestLimits { max_aliases: 3, max_body_bytes: 64 * 1024 };

    async fn serve() -> std::net::SocketAddr {
        let schema = Schema::build(QueryRoot, MutationRoot, SubscriptionRoot).finish();
        let app = router(schema, TestAuth, LIMITS, NoCache);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        addr
    }

    #[derive(Debug)]
    struct Reply {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    }

    impl Reply {
        fn header(&self, name: &str) -> Option<&str> {
            self.headers.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
        }

        fn json(&self) -> serde_json::Value {
            serde_json::from_str(&self.body).unwrap()
        }
    }

    /// One HTTP/1.1 exchange on a fresh connection; `headers` are complete lines with CRLF.
    async fn send(addr: std::net::SocketAddr, method: &str, target: &str, headers: &str, body: &[u8]) -> Reply {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let head = format!(
            "{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{headers}Content-Length: {}\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(body).await.unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.unwrap();
        let split = raw.windows(4).position(|window| window == b"\r\n\r\n").unwrap();
        let head = String::from_utf8(raw[..split].to_vec()).unwrap();
        let mut body = raw[split + 4..].to_vec();
        let mut lines = head.split("\r\n");
        let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
        let headers: Vec<(String, String)> = lines
            .map(|line| {
                let (name, value) = line.split_once(':').unwrap();
                (name.trim().to_ascii_lowercase(), value.trim().to_owned())
            })
            .collect();
        if headers.iter().any(|(name, value)| name == "transfer-encoding" && value.contains("chunked")) {
            let mut decoded = Vec::new();
            let mut rest = body.as_slice();
            loop {
                let line_end = rest.windows(2).position(|window| window == b"\r\n").unwrap();
                let size_text = std::str::from_utf8(&rest[..line_end]).unwrap();
                let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap();
                rest = &rest[line_end + 2..];
                if size == 0 {
                    break;
                }
                decoded.extend_from_slice(&rest[..size]);
                rest = &rest[size + 2..];
            }
            body = decoded;
        }
        Reply { status, headers, body: String::from_utf8(body).unwrap() }
    }

    async fn post(addr: std::net::SocketAddr, headers: &str, body: &str) -> Reply {
        send(addr, "POST", "/graphql", headers, body.as_bytes()).await
    }

    const JSON_IN: &str = "Content-Type: application/json\r\n";
    const GR_ACCEPT: &str = "Content-Type: application/json\r\nAccept: application/graphql-response+json\r\n";
    const JSON_ACCEPT: &str = "Content-Type: application/json\r\nAccept: application/json\r\n";

    #[test]
    fn negotiation() {
        let of = |accept: Option<&str>| {
            let mut headers = HeaderMap::new();
            if let Some(accept) = accept {
                headers.insert(header::ACCEPT, HeaderValue::from_str(accept).unwrap());
            }
            negotiate(&headers)
        };
        use MediaType::{GraphQlResponseJson as Gr, Json};
        assert_eq!(of(None), Some(Json));
        assert_eq!(of(Some("*/*")), Some(Json));
        assert_eq!(of(Some("application/json")), Some(Json));
        assert_eq!(of(Some("application/graphql-response+json")), Some(Gr));
        assert_eq!(of(Some("application/graphql-response+json, application/json;q=0.9")), Some(Gr));
        assert_eq!(of(Some("application/json, application/graphql-response+json;q=0.5")), Some(Json));
        assert_eq!(of(Some("application/*")), Some(Json));
        assert_eq!(of(Some("text/html,application/xhtml+xml,*/*;q=0.8")), Some(Json));
        assert_eq!(of(Some("text/html")), None);
        assert_eq!(of(Some("application/json;q=0, */*")), Some(Gr));
        assert_eq!(of(Some("application/json;q=nonsense")), None);
    }

    #[test]
    fn shortens_long_messages() {
        assert_eq!(shorten("short", 10), "short");
        assert_eq!(shorten("0123456789abcdef", 8), "0123 … cdef");
        let long = "é".repeat(100);
        let short = shorten(&long, 9);
        assert!(short.starts_with("éé …") && short.ends_with("… éé"), "{short}");
    }

    #[test]
    fn counts_aliases_in_operations_and_fragments() {
        let document = async_graphql::parser::parse_query(
            "query A { a: x b: y { c: z ... on T { d: w } } ...F } fragment F on Q { e: v f }",
        )
        .unwrap();
        assert_eq!(count_aliases(&document), 5);
    }

    #[test]
    fn parsed_documents_are_kept_by_text_and_errors_are_not() {
        let text = "query CachedOnce { a: x { b: y } }";
        let (first, aliases) = parsed(text).unwrap();
        assert!(PARSED.lock().unwrap().contains_key(text));
        let (again, aliases_again) = parsed(text).unwrap();
        assert_eq!((aliases, aliases_again), (2, 2));
        assert_eq!(format!("{first:?}"), format!("{again:?}"));
        let broken = "query NotCached { x ";
        assert!(parsed(broken).is_err());
        assert!(!PARSED.lock().unwrap().contains_key(broken));
        let long = format!("query Long {{ {} }}", "x ".repeat(PARSED_MAX_LEN));
        assert!(parsed(&long).is_ok());
        assert!(!PARSED.lock().unwrap().contains_key(long.as_str()));
    }

    #[tokio::test]
    async fn post_negotiates_and_classifies_errors() {
        let addr = serve().await;

        let reply = post(addr, GR_ACCEPT, r#"{"query":"{ whoami }"}"#).await;
        assert_eq!(reply.status, 200);
        assert!(reply.header("content-type").unwrap().starts_with("application/graphql-response+json"));
        assert_eq!(reply.json(), serde_json::json!({"data": {"whoami": "anonymous"}}));

        let reply = post(addr, JSON_ACCEPT, r#"{"query":"{ whoami }"}"#).await;
        assert_eq!(reply.status, 200);
        assert!(reply.header("content-type").unwrap().starts_with("application/json"));

        // No Accept: application/json.
        let reply = post(addr, JSON_IN, r#"{"query":"{ whoami }"}"#).await;
        assert!(reply.header("content-type").unwrap().starts_with("application/json"));

        // Malformed JSON: 400 whatever the media type, no data.
        for headers in [GR_ACCEPT, JSON_ACCEPT] {
            let reply = post(addr, headers, r#"{ "not a JSON"#).await;
            assert_eq!(reply.status, 400, "{reply:?}");
            assert!(reply.json().get("data").is_none());
            assert_eq!(reply.json()["errors"][0]["extensions"]["code"], "BAD_REQUEST");
        }
        let reply = post(addr, GR_ACCEPT, r#"{ "not a JSON"#).await;
        assert!(reply.header("content-type").unwrap().starts_with("application/graphql-response+json"));

        // Missing or mistyped parameters.
        for body in [
            r#"{"notquery":"{ whoami }"}"#,
            r#"{"query":1}"#,
            r#"{"query":"{ whoami }","variables":"x"}"#,
            r#"{"query":"{ whoami }","extensions":[1]}"#,
            r#"{"query":"{ whoami }","operationName":false}"#,
            r#"[{"query":"{ whoami }"}]"#,
            "",
        ] {
            assert_eq!(post(addr, GR_ACCEPT, body).await.status, 400, "{body}");
        }

        // Parse and validation errors: 400 without data for graphql-response+json, 200 for json.
        for query in [r#"{"query":"{"}"#, r#"{"query":"{ nosuchfield }"}"#] {
            let reply = post(addr, GR_ACCEPT, query).await;
            assert_eq!(reply.status, 400, "{reply:?}");
            assert!(reply.json().get("data").is_none());
            assert!(reply.json()["errors"].as_array().is_some_and(|errors| !errors.is_empty()));
            let reply = post(addr, JSON_ACCEPT, query).await;
            assert_eq!(reply.status, 200, "{reply:?}");
            assert!(reply.json().get("data").is_none());
        }

        // A resolver error is a field error: 200 with data.
        let reply = post(addr, GR_ACCEPT, r#"{"query":"{ whoami broken }"}"#).await;
        assert_eq!(reply.status, 200, "{reply:?}");
        assert_eq!(reply.json()["data"]["whoami"], "anonymous");
        assert_eq!(reply.json()["errors"][0]["path"][0], "broken");

        // Mutations over POST run.
        let reply = post(addr, GR_ACCEPT, r#"{"query":"mutation { bump }"}"#).await;
        assert_eq!(reply.json(), serde_json::json!({"data": {"bump": 1}}));

        // Variables and operation name.
        let reply = post(
            addr,
            JSON_ACCEPT,
            r#"{"query":"query A { a: whoami } query B($n: String!) { __type(name: $n) { name } }","operationName":"B","variables":{"n":"QueryRoot"}}"#,
        )
        .await;
        assert_eq!(reply.json(), serde_json::json!({"data": {"__type": {"name": "QueryRoot"}}}));
    }

    #[tokio::test]
    async fn post_refuses_bad_media_types_and_sizes() {
        let addr = serve().await;
        let reply = post(addr, "", r#"{"query":"{ whoami }"}"#).await;
        assert_eq!(reply.status, 415);
        let reply = post(addr, "Content-Type: text/plain\r\n", r#"{"query":"{ whoami }"}"#).await;
        assert_eq!(reply.status, 415);
        let reply = post(addr, "Content-Type: application/json; charset=latin1\r\n", r#"{"query":"{ whoami }"}"#).await;
        assert_eq!(reply.status, 415);
        let reply = post(addr, "Content-Type: application/json; charset=utf-8\r\n", r#"{"query":"{ whoami }"}"#).await;
        assert_eq!(reply.status, 200);

        let reply =
            post(addr, "Content-Type: application/json\r\nAccept: text/html\r\n", r#"{"query":"{ whoami }"}"#).await;
        assert_eq!(reply.status, 406);

        let big =
            format!(r#"{{"query":"{{ whoami }}","extensions":{{"pad":"{}"}}}}"#, "x".repeat(LIMITS.max_body_bytes));
        let reply = post(addr, JSON_ACCEPT, &big).await;
        assert_eq!(reply.status, 413);
        assert_eq!(reply.json()["errors"][0]["extensions"]["code"], "PAYLOAD_TOO_LARGE");

        // A deeply nested document is refused, not a crash.
        let deep = format!(r#"{{"query":"{}"}}"#, "{ a ".repeat(10_000));
        let reply = post(addr, GR_ACCEPT, &deep).await;
        assert_eq!(reply.status, 400, "{reply:?}");
    }

    #[tokio::test]
    async fn alias_limit() {
        let addr = serve().await;
        let reply = post(addr, GR_ACCEPT, r#"{"query":"{ a: whoami b: whoami c: whoami }"}"#).await;
        assert_eq!(reply.status, 200);
        let body = r#"{"query":"query { a: whoami b: whoami ...F } fragment F on QueryRoot { c: whoami d: whoami }"}"#;
        let reply = post(addr, GR_ACCEPT, body).await;
        assert_eq!(reply.status, 400);
        assert!(reply.json().get("data").is_none());
        assert_eq!(reply.json()["errors"][0]["extensions"]["code"], "TOO_MANY_ALIASES");
        let reply = post(addr, JSON_ACCEPT, body).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.json()["errors"][0]["extensions"]["code"], "TOO_MANY_ALIASES");
    }

    #[tokio::test]
    async fn authentication() {
        let addr = serve().await;
        let reply =
            post(addr, &format!("{GR_ACCEPT}Authorization: Bearer good\r\n"), r#"{"query":"{ whoami }"}"#).await;
        assert_eq!(reply.json()["data"]["whoami"], "alice");

        for headers in [GR_ACCEPT, JSON_ACCEPT] {
            let reply =
                post(addr, &format!("{headers}Authorization: Bearer bad\r\n"), r#"{"query":"{ whoami }"}"#).await;
            assert_eq!(reply.status, 401);
            assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
            assert_eq!(
                reply.json(),
                serde_json::json!({"errors": [{"message": "bad token", "extensions": {"code": "UNAUTHENTICATED"}}]})
            );
        }
        let reply = send(addr, "GET", "/graphql?query=%7Bwhoami%7D", "Authorization: Bearer bad\r\n", b"").await;
        assert_eq!(reply.status, 401);
        let reply = send(
            addr,
            "GET",
            "/graphql?query=%7Bwhoami%7D",
            "Authorization: Bearer good\r\nAuthorization: Bearer good\r\n",
            b"",
        )
        .await;
        assert_eq!(reply.status, 401);
    }

    #[tokio::test]
    async fn get_requests() {
        let addr = serve().await;
        let reply = send(addr, "GET", "/graphql?query=%7B%20whoami%20%7D", "Accept: application/json\r\n", b"").await;
        assert_eq!(reply.status, 200);
        assert!(reply.header("content-type").unwrap().starts_with("application/json"));
        assert_eq!(reply.json()["data"]["whoami"], "anonymous");

        for accept in ["application/json", "application/graphql-response+json"] {
            let reply =
                send(addr, "GET", "/graphql?query=mutation%20%7B%20bump%20%7D", &format!("Accept: {accept}\r\n"), b"")
                    .await;
            assert_eq!(reply.status, 405, "{reply:?}");
            assert_eq!(reply.header("allow"), Some("POST"));
            assert_eq!(reply.json()["errors"][0]["extensions"]["code"], "METHOD_NOT_ALLOWED");
        }
        // The operation is picked by operationName.
        let target = "/graphql?query=query%20Q%20%7Bwhoami%7D%20mutation%20M%20%7Bbump%7D&operationName=M";
        assert_eq!(send(addr, "GET", target, "", b"").await.status, 405);
        let target = "/graphql?query=query%20Q%20%7Bwhoami%7D%20mutation%20M%20%7Bbump%7D&operationName=Q";
        assert_eq!(send(addr, "GET", target, "", b"").await.status, 200);

        let target = "/graphql?query=query%20T(%24n%3A%20String!)%20%7B__type(name%3A%24n)%7Bname%7D%7D&variables=%7B%22n%22%3A%22QueryRoot%22%7D";
        let reply = send(addr, "GET", target, "", b"").await;
        assert_eq!(reply.json(), serde_json::json!({"data": {"__type": {"name": "QueryRoot"}}}));
        let reply = send(addr, "GET", "/graphql?query=%7Bwhoami%7D&variables=%5B%5D", "", b"").await;
        assert_eq!(reply.status, 400);

        let reply = send(addr, "GET", "/graphql", "Accept: text/html,application/xhtml+xml,*/*;q=0.8\r\n", b"").await;
        assert_eq!(reply.status, 200);
        assert!(reply.header("content-type").unwrap().starts_with("text/html"));
        assert!(reply.body.contains("graphiql"));
        let reply = send(addr, "GET", "/graphql", "Accept: application/json\r\n", b"").await;
        assert_eq!(reply.status, 400);

        let reply = send(addr, "PUT", "/graphql", "", b"").await;
        assert_eq!(reply.status, 405);
    }

    #[tokio::test]
    async fn healthz() {
        let addr = serve().await;
        let reply = send(addr, "GET", "/healthz", "", b"").await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body, "ok");
        assert!(reply.header("content-type").unwrap().starts_with("text/plain"));
    }

    /// A minimal WebSocket client over a raw TCP stream (enough for text and close frames).
    struct Ws(TcpStream);

    impl Ws {
        async fn connect(addr: std::net::SocketAddr, protocol: &str) -> Self {
            let mut stream = TcpStream::connect(addr).await.unwrap();
            let request = format!(
                "GET /graphql HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                 Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
                 Sec-WebSocket-Protocol: {protocol}\r\n\r\n"
            );
            stream.write_all(request.as_bytes()).await.unwrap();
            let mut head = Vec::new();
            while !head.ends_with(b"\r\n\r\n") {
                head.push(stream.read_u8().await.unwrap());
            }
            let head = String::from_utf8(head).unwrap();
            assert!(head.starts_with("HTTP/1.1 101"), "{head}");
            assert!(head.to_ascii_lowercase().contains(&format!("sec-websocket-protocol: {protocol}")), "{head}");
            Self(stream)
        }

        async fn send(&mut self, message: serde_json::Value) {
            let payload = message.to_string().into_bytes();
            let mask = [0x12_u8, 0x34, 0x56, 0x78];
            let mut frame = vec![0x81_u8];
            if payload.len() < 126 {
                frame.push(0x80 | u8::try_from(payload.len()).unwrap());
            } else {
                frame.push(0x80 | 126);
                frame.extend_from_slice(&u16::try_from(payload.len()).unwrap().to_be_bytes());
            }
            frame.extend_from_slice(&mask);
            frame.extend(payload.iter().enumerate().map(|(i, byte)| byte ^ mask[i % 4]));
            self.0.write_all(&frame).await.unwrap();
        }

        /// The next frame: Ok(text) or Err(close code).
        async fn recv(&mut self) -> Result<serde_json::Value, u16> {
            let first = self.0.read_u8().await.unwrap();
            let second = self.0.read_u8().await.unwrap();
            let len = match second & 0x7f {
                126 => usize::from(self.0.read_u16().await.unwrap()),
                127 => usize::try_from(self.0.read_u64().await.unwrap()).unwrap(),
                n => usize::from(n),
            };
            let mut payload = vec![0; len];
            self.0.read_exact(&mut payload).await.unwrap();
            match first & 0x0f {
                1 => Ok(serde_json::from_slice(&payload).unwrap()),
                8 => Err(u16::from_be_bytes([payload[0], payload[1]])),
                opcode => panic!("unexpected opcode {opcode}"),
            }
        }
    }

    #[tokio::test]
    async fn websocket_subscriptions() {
        let addr = serve().await;

        let mut ws = Ws::connect(addr, "graphql-transport-ws").await;
        ws.send(serde_json::json!({"type": "connection_init", "payload": {"Authorization": "Bearer good"}})).await;
        assert_eq!(ws.recv().await, Ok(serde_json::json!({"type": "connection_ack"})));
        ws.send(serde_json::json!({"id": "1", "type": "subscribe", "payload": {"query": "subscription { ticks }"}}))
            .await;
        for n in 0..3 {
            let message = ws.recv().await.unwrap();
            assert_eq!(message["type"], "next");
            assert_eq!(message["payload"]["data"]["ticks"], format!("alice-{n}"));
        }
        assert_eq!(ws.recv().await, Ok(serde_json::json!({"type": "complete", "id": "1"})));

        // The alias limit applies on WebSocket too.
        ws.send(serde_json::json!({
            "id": "2", "type": "subscribe",
            "payload": {"query": "{ a: whoami b: whoami c: whoami d: whoami }"}
        }))
        .await;
        let message = ws.recv().await.unwrap();
        assert_eq!(message["payload"]["errors"][0]["extensions"]["code"], "TOO_MANY_ALIASES", "{message}");

        // Lower-case key, legacy protocol.
        let mut ws = Ws::connect(addr, "graphql-ws").await;
        ws.send(serde_json::json!({"type": "connection_init", "payload": {"authorization": "Bearer good"}})).await;
        assert_eq!(ws.recv().await.unwrap()["type"], "connection_ack");

        // A refused connection_init closes the connection.
        let mut ws = Ws::connect(addr, "graphql-transport-ws").await;
        ws.send(serde_json::json!({"type": "connection_init", "payload": {"Authorization": "Bearer bad"}})).await;
        assert_eq!(ws.recv().await, Err(1002));
    }
}
