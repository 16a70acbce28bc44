//! GraphiQL, served from assets built into the binary (`assets/graphiql`, refreshed by its
//! `update.sh`), so the page works on a centre's intranet without internet access.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The GraphiQL page for `GET /graphql` in a browser: queries over `POST /graphql`,
/// subscriptions over `graphql-transport-ws` at the same path. A bearer token goes in the
/// headers editor: `{"Authorization": "Bearer …"}`.
pub(crate) const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="robots" content="noindex">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>onedoor · GraphiQL</title>
<link rel="stylesheet" href="/graphql/assets/graphiql.min.css">
<style>html, body, #graphiql { height: 100%; margin: 0; }</style>
</head>
<body>
<div id="graphiql">Loading GraphiQL…</div>
<script src="/graphql/assets/react.production.min.js"></script>
<script src="/graphql/assets/react-dom.production.min.js"></script>
<script src="/graphql/assets/graphql-ws.min.js"></script>
<script src="/graphql/assets/graphiql.min.js"></script>
<script>
  const http = new URL('/graphql', location.href).href;
  const ws = http.replace(/^http/, 'ws');
  const fetcher = GraphiQL.createFetcher({
    url: http,
    wsClient: graphqlWs.createClient({ url: ws, lazy: true }),
  });
  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, {
      fetcher,
      defaultQuery: '# onedoor: try\n{ centres { code name level } }\n',
      defaultHeaders: '{}',
      isHeadersEditorEnabled: true,
    }),
  );
</script>
</body>
</html>
"#;

/// (file name, content type, bytes)
const ASSETS: &[(&str, &str, &[u8])] = &[
    ("graphiql.min.js", "text/javascript; charset=utf-8", include_bytes!("../assets/graphiql/graphiql.min.js")),
    ("graphiql.min.css", "text/css; charset=utf-8", include_bytes!("../assets/graphiql/graphiql.min.css")),
    (
        "react.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/graphiql/react.production.min.js"),
    ),
    (
        "react-dom.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/graphiql/react-dom.production.min.js"),
    ),
    ("graphql-ws.min.js", "text/javascript; charset=utf-8", include_bytes!("../assets/graphiql/graphql-ws.min.js")),
    ("LICENSES.txt", "text/plain; charset=utf-8", include_bytes!("../assets/graphiql/LICENSES.txt")),
];

/// `GET /graphql/assets/{file}`: a built-in asset, cached for a day (the file names change
/// with nothing but a new onedoor release).
pub(crate) async fn asset(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|(name, _, _)| *name == file) {
        Some((_, content_type, bytes)) => {
            ([(header::CONTENT_TYPE, *content_type), (header::CACHE_CONTROL, "public, max-age=86400")], *bytes)
                .into_response()
        }
        None => (StatusCode::NOT_FOUND, "no such asset").into_response(),
    }
}
