//! Runs the graphql-http server audits (GraphQL-over-HTTP conformance) against a running endpoint.
//
// Usage: node audit.mjs http://127.0.0.1:PORT/graphql
//
// Prints one JSON line per audit on stdout: {"id", "name", "status"} where status is one of graphql-http's
// "ok" | "notice" | "warn" | "error" ("error" is a failed MUST audit, "warn" a failed SHOULD/MAY one), plus
// "reason" when the audit did not pass. A summary goes to stderr. Exits 0 once every audit has run (the caller
// decides what fails); exits 2 on bad usage.
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs <graphql endpoint url>');
  process.exit(2);
}

const counts = {};
for (const audit of serverAudits({ url, fetchFn: fetch })) {
  let result;
  try {
    result = await audit.fn();
  } catch (error) {
    // The audit functions throw only on fatal errors (e.g. the server is unreachable).
    result = { id: audit.id, name: audit.name, status: 'error', reason: String(error?.stack ?? error) };
  }
  const line = { id: result.id, name: result.name, status: result.status };
  if (result.status !== 'ok') {
    line.reason = result.reason;
  }
  counts[line.status] = (counts[line.status] ?? 0) + 1;
  console.log(JSON.stringify(line));
}
console.error(`graphql-http audit of ${url}: ${JSON.stringify(counts)}`);
