// Subscribes to a onedoor GraphQL subscription over graphql-transport-ws with the real
// `graphql-ws` client and prints one JSON line per event: {"event": …}, or {"error": …}.
// Usage: node subscribe.mjs WS_URL QUERY [TOKEN] [COUNT]
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [url, query, token, count] = process.argv.slice(2);
const want = Number(count || 1);
const client = createClient({
  url,
  webSocketImpl: WebSocket,
  lazy: false,
  retryAttempts: 0,
  connectionParams: token ? { Authorization: `Bearer ${token}` } : {},
  on: { connected: () => console.log(JSON.stringify({ connected: true })) },
});
let seen = 0;
client.subscribe(
  { query },
  {
    next: (value) => {
      console.log(JSON.stringify({ event: value }));
      seen += 1;
      if (seen >= want) {
        client.dispose();
        process.exit(0);
      }
    },
    error: (err) => {
      console.log(JSON.stringify({ error: String(err?.message ?? err?.reason ?? err) }));
      process.exit(0);
    },
    complete: () => process.exit(0),
  },
);
