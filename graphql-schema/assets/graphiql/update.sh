#!/usr/bin/env bash
# Refreshes the GraphiQL assets served at /graphql/assets/ from the npm registry, so the
# GraphiQL page works without internet access (a centre's intranet). Pinned versions; run it
# after changing one, and commit the files.
set -euo pipefail
cd "$(dirname "$0")"
GRAPHIQL=3.9.0 REACT=18.3.1 GRAPHQL_WS=6.4.2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "graphiql@$GRAPHIQL" "react@$REACT" "react-dom@$REACT" "graphql-ws@$GRAPHQL_WS" >/dev/null)
for pkg in graphiql-$GRAPHIQL react-$REACT react-dom-$REACT graphql-ws-$GRAPHQL_WS; do
    mkdir -p "$tmp/$pkg" && tar xzf "$tmp/$pkg.tgz" -C "$tmp/$pkg"
done
cp "$tmp/graphiql-$GRAPHIQL/package/graphiql.min.js" "$tmp/graphiql-$GRAPHIQL/package/graphiql.min.css" .
cp "$tmp/react-$REACT/package/umd/react.production.min.js" .
cp "$tmp/react-dom-$REACT/package/umd/react-dom.production.min.js" .
cp "$tmp/graphql-ws-$GRAPHQL_WS/package/umd/graphql-ws.min.js" .
{
    echo "GraphiQL assets, vendored from npm by update.sh: graphiql $GRAPHIQL, react and react-dom $REACT, graphql-ws $GRAPHQL_WS."
    echo
    for pkg in graphiql-$GRAPHIQL react-$REACT graphql-ws-$GRAPHQL_WS; do
        echo "==== $pkg ===="
        cat "$tmp/$pkg/package/"LICENSE*
        echo
    done
} > LICENSES.txt
