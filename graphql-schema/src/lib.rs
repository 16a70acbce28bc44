//! The onedoor GraphQL API: schema, resolvers, the HTTP and WebSocket transport, and `app()`.
//!
//! **Architecture Invariant**: this is the only crate that knows GraphQL, HTTP or JSON on the
//! wire. It converts between the API's types and the domain's at the boundary; the tenant
//! scope comes from the bearer token only, never from a header or an argument.
//!
//! **API Boundary**: [`app`] builds the whole service as an axum `Router`, so it can be served
//! by the `onedoor` binary, embedded, or tested without a socket.

mod cases;
mod error;
mod evaluation;
mod graphiql;
mod hall;
pub mod http;
mod ids;
mod loader;
mod mutation;
mod plugins;
mod response_cache;
mod scalars;
mod schema;
pub mod simulate;
mod types;

pub use error::UserError;

/// The allocator `onedoor` serves with: mimalloc (its v2 line, without transparent huge
/// pages). glibc's malloc cost the server about a fifth of its CPU (`_int_malloc`,
/// `malloc_consolidate`, `unlink_chunk`, its arena locks). A program that embeds the library
/// picks its own allocator; the server's binary and the benchmark commands declare this one.
pub use mimalloc::MiMalloc as Allocator;
pub use schema::{OnedoorSchema, SchemaLimits, build_schema, sdl};

use async_graphql::Data;
use http::{AuthRejection, Authenticate, RequestLimits};
use onedoor::Onedoor;
use onedoor::auth::Verifier;
use onedoor::config::Limits;
use onedoor::domain::Caller;
use std::sync::Arc;

/// Turns the `Authorization` header into the request's caller: verifies the token, then
/// resolves its centre and roles. No header: anonymous.
#[derive(Clone)]
pub struct TokenAuth {
    od: Onedoor,
    verifier: Arc<Verifier>,
}

impl std::fmt::Debug for TokenAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenAuth").finish_non_exhaustive()
    }
}

impl Authenticate for TokenAuth {
    async fn authenticate(&self, authorization: Option<&str>) -> Result<Data, AuthRejection> {
        let caller = match self.verifier.verify_header(authorization) {
            Ok(None) => Caller::Anonymous,
            Ok(Some(claims)) => self.od.caller(&claims).await.map_err(|e| match e {
                onedoor::Error::Unauthenticated => AuthRejection {
                    code: "UNKNOWN_PRINCIPAL",
                    message: "the token names a centre or role that does not exist, or a malformed staff id".into(),
                },
                _ => AuthRejection { code: "INTERNAL", message: "internal error".into() },
            })?,
            Err(e) => return Err(AuthRejection { code: e.code(), message: e.to_string() }),
        };
        let mut data = Data::default();
        data.insert(caller);
        let reads = response_cache::Reads::default();
        data.insert(reads.clone());
        data.insert(loader::Units::with_cache(
            loader::UnitLoader { od: self.od.clone(), reads },
            tokio::spawn,
            async_graphql::dataloader::HashMapCache::default(),
        ));
        Ok(data)
    }
}

/// The schema with the configured limits, and the same schema with looser ones for
/// operations that only introspect: GraphiQL's and code generators' introspection query nests
/// `ofType` deeper than any data query needs, and its cost is bounded by the schema, not by
/// data.
#[derive(Clone)]
struct Executors {
    limited: OnedoorSchema,
    introspection: OnedoorSchema,
}

/// Depth allowed to introspection-only operations.
const INTROSPECTION_DEPTH: usize = 32;

impl Executors {
    fn pick(&self, request: &mut async_graphql::Request) -> &OnedoorSchema {
        if introspection_only(request) { &self.introspection } else { &self.limited }
    }
}

/// Whether every root field of every operation is an introspection field (`__schema`,
/// `__type`, `__typename`); fragments at the root count as "no".
fn introspection_only(request: &mut async_graphql::Request) -> bool {
    use async_graphql::parser::types::Selection;
    if !request.query.contains("__schema") && !request.query.contains("__type") {
        return false;
    }
    let Ok(document) = request.parsed_query() else { return false };
    document.operations.iter().all(|(_, op)| {
        op.node.selection_set.node.items.iter().all(|item| match &item.node {
            Selection::Field(f) => f.node.name.node.starts_with("__"),
            _ => false,
        })
    })
}

impl async_graphql::Executor for Executors {
    fn execute(
        &self,
        mut request: async_graphql::Request,
    ) -> impl std::future::Future<Output = async_graphql::Response> + Send {
        let schema = self.pick(&mut request).clone();
        async move { schema.execute(request).await }
    }

    fn execute_stream(
        &self,
        mut request: async_graphql::Request,
        session_data: Option<Arc<Data>>,
    ) -> futures_util::stream::BoxStream<'static, async_graphql::Response> {
        async_graphql::Executor::execute_stream(self.pick(&mut request), request, session_data)
    }
}

/// The whole service: `GET`/`POST /graphql` (GraphiQL in a browser), WebSocket
/// (`graphql-transport-ws`) at `/graphql`, `GET /healthz` (the process answers) and
/// `GET /readyz` (the database answers too: for load balancers in front of replicas).
pub fn app(od: Onedoor, verifier: Verifier, limits: &Limits) -> axum::Router {
    let configured = SchemaLimits {
        max_depth: limits.max_depth,
        max_complexity: limits.max_complexity,
        max_page_size: limits.max_page_size,
    };
    let executors = Executors {
        limited: build_schema(od.clone(), configured),
        introspection: build_schema(
            od.clone(),
            SchemaLimits {
                max_depth: INTROSPECTION_DEPTH.max(limits.max_depth),
                max_complexity: usize::MAX,
                ..configured
            },
        ),
    };
    let auth = TokenAuth { od: od.clone(), verifier: Arc::new(verifier) };
    http::router(
        executors,
        auth,
        RequestLimits { max_aliases: limits.max_aliases, max_body_bytes: limits.max_body_bytes },
        response_cache::CatalogueResponses::new(od.clone()),
    )
    .route("/readyz", axum::routing::get(move || readyz(od.clone())))
    // A span per request (method, path, status, latency at debug level) for operators.
    .layer(tower_http::trace::TraceLayer::new_for_http())
    // A slow or stalled request cannot hold a connection for ever; a WebSocket upgrade
    // answers at once, so subscriptions are not cut.
    .layer(tower_http::timeout::TimeoutLayer::with_status_code(
        axum::http::StatusCode::REQUEST_TIMEOUT,
        std::time::Duration::from_secs(limits.request_timeout_seconds as u64),
    ))
}

/// `GET /readyz`: 200 when the database answers, 503 otherwise (the cause is logged).
async fn readyz(od: Onedoor) -> (axum::http::StatusCode, &'static str) {
    match od.store().ping().await {
        Ok(()) => (axum::http::StatusCode::OK, "ready"),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check: the database does not answer");
            (axum::http::StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}
