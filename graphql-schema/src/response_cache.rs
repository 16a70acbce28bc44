//! The response cache: serialized answers to anonymous catalogue queries, served again only
//! while every centre catalogue they were computed from is still at the same generation.
//!
//! **What may be kept.** An anonymous query (the caller is part of the key: only
//! `Caller::Anonymous` is cached) whose every selected field, through fragments, is one of
//! [`CATALOGUE_FIELDS`]: fields whose value is a function of the request's arguments and one
//! catalogue snapshot of a centre (`Query.matters` reads the snapshot; a matter's fields, its
//! guide and its owner unit come from that same snapshot). Whether the execution really read
//! only snapshots is recorded while it runs ([`Reads`]): a search the snapshot cannot answer
//! (by name or zone, read from the database) or an owner unit the request's loader had to load
//! marks the response as not cacheable. A response with errors is never kept.
//!
//! **When it may be served.** The stored response carries the (centre, generation) pairs it was
//! computed at. A hit is served only after the catalogue cache's group check of each centre,
//! started after the request arrived, returns the same generation: every transaction that
//! changes a centre's matters or units bumps its generation, so a change committed on any
//! replica is seen by every later read, with no TTL (as for the catalogue cache itself).
//!
//! **Bounded.** At most [`MAX_BYTES`] of keys and bodies; the oldest entries go first.

use crate::http::ResponseCache;
use async_graphql::Data;
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet};
use axum::body::Bytes;
use onedoor::Onedoor;
use onedoor::domain::{Caller, CentreId};
use std::any::TypeId;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

/// Fields whose value depends only on their arguments and one catalogue snapshot of a centre:
/// (type, field, type of its value or `""` for a leaf). A field not listed here (a centre, a
/// matter's versions, anything of cases or halls) makes a query not cacheable.
/// `schema_fields_exist` checks each entry against the schema.
pub(crate) const CATALOGUE_FIELDS: &[(&str, &str, &str)] = &[
    ("Query", "matters", "MatterConnection"),
    ("MatterConnection", "edges", "MatterEdge"),
    ("MatterConnection", "nodes", "Matter"),
    ("MatterConnection", "pageInfo", "PageInfo"),
    ("MatterEdge", "cursor", ""),
    ("MatterEdge", "node", "Matter"),
    ("PageInfo", "hasNextPage", ""),
    ("PageInfo", "hasPreviousPage", ""),
    ("PageInfo", "startCursor", ""),
    ("PageInfo", "endCursor", ""),
    ("Matter", "id", ""),
    ("Matter", "code", ""),
    ("Matter", "name", ""),
    ("Matter", "status", ""),
    ("Matter", "version", ""),
    ("Matter", "updatedAt", ""),
    ("Matter", "guide", "ServiceGuide"),
    ("Matter", "ownerUnit", "Unit"),
    ("ServiceGuide", "code", ""),
    ("ServiceGuide", "name", ""),
    ("ServiceGuide", "matterType", ""),
    ("ServiceGuide", "ownerUnit", "Unit"),
    ("ServiceGuide", "handlingLevel", ""),
    ("ServiceGuide", "legalBasis", ""),
    ("ServiceGuide", "description", ""),
    ("ServiceGuide", "materials", "Material"),
    ("ServiceGuide", "statutoryDays", ""),
    ("ServiceGuide", "promisedDays", ""),
    ("ServiceGuide", "fees", "Fee"),
    ("ServiceGuide", "totalFee", ""),
    ("ServiceGuide", "modes", ""),
    ("ServiceGuide", "maxVisits", ""),
    ("ServiceGuide", "crossScope", ""),
    ("ServiceGuide", "delivery", ""),
    ("ServiceGuide", "online", ""),
    ("Material", "name", ""),
    ("Material", "required", ""),
    ("Material", "form", ""),
    ("Material", "copies", ""),
    ("Material", "elicenceType", ""),
    ("Material", "note", ""),
    ("Fee", "item", ""),
    ("Fee", "amount", ""),
    ("Fee", "basis", ""),
    ("Unit", "id", ""),
    ("Unit", "code", ""),
    ("Unit", "name", ""),
    ("Unit", "kind", ""),
];

/// The most bytes of keys and bodies kept.
pub(crate) const MAX_BYTES: usize = 16 << 20;
/// The largest single entry kept.
const MAX_ENTRY: usize = 1 << 20;
/// Deeper documents are not cached (validation limits depth anyway).
const MAX_DEPTH: usize = 32;

/// What one request read while it ran: the catalogue generations of the snapshots it answered
/// from, and whether it read anything else. Put in every request's data (and in its unit
/// loader); a resolver that answers from a snapshot reports it with
/// [`Reads::read_catalogue`], one that reads around the snapshots with [`Reads::read_other`].
#[derive(Debug, Clone, Default)]
pub(crate) struct Reads(Arc<Mutex<ReadLog>>);

#[derive(Debug, Default)]
struct ReadLog {
    catalogue: Vec<(CentreId, u64)>,
    other: bool,
}

impl Reads {
    /// The request read `centre`'s catalogue snapshot at `generation`.
    pub(crate) fn read_catalogue(&self, centre: CentreId, generation: u64) {
        let mut log = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if !log.catalogue.contains(&(centre, generation)) {
            log.catalogue.push((centre, generation));
        }
    }

    /// The request read data that no catalogue generation covers.
    pub(crate) fn read_other(&self) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).other = true;
    }

    /// The generations the response depends on, or `None` if it read anything else.
    fn finish(&self) -> Option<Vec<(CentreId, u64)>> {
        let log = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        (!log.other).then(|| log.catalogue.clone())
    }
}

/// The platform's response cache (see the module's documentation).
#[derive(Clone)]
pub(crate) struct CatalogueResponses {
    od: Onedoor,
    stored: Arc<Mutex<Stored>>,
}

impl std::fmt::Debug for CatalogueResponses {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CatalogueResponses").finish_non_exhaustive()
    }
}

#[derive(Default)]
struct Stored {
    entries: HashMap<Arc<str>, Entry>,
    /// Keys in the order they were first stored (each once), for eviction.
    order: VecDeque<Arc<str>>,
    bytes: usize,
}

struct Entry {
    body: Bytes,
    at: Arc<[(CentreId, u64)]>,
}

impl CatalogueResponses {
    /// An empty cache over the platform's catalogue generations.
    pub(crate) fn new(od: Onedoor) -> CatalogueResponses {
        CatalogueResponses { od, stored: Arc::default() }
    }
}

/// Whether the request's caller is anonymous (a request without a caller is not).
fn anonymous(data: &Data) -> bool {
    data.get(&TypeId::of::<Caller>()).and_then(|d| d.downcast_ref::<Caller>()).is_some_and(|c| *c == Caller::Anonymous)
}

impl ResponseCache for CatalogueResponses {
    type Ticket = Reads;

    async fn get(&self, key: &str, data: &Data) -> Option<Bytes> {
        if !anonymous(data) {
            return None;
        }
        let (body, at) = {
            let stored = self.stored.lock().unwrap_or_else(PoisonError::into_inner);
            let e = stored.entries.get(key)?;
            (e.body.clone(), e.at.clone())
        };
        for (centre, generation) in at.iter() {
            if self.od.catalogue_generation(*centre).await != Some(*generation) {
                return None;
            }
        }
        Some(body)
    }

    fn admit(&self, document: &ExecutableDocument, operation_name: Option<&str>, data: &Data) -> Option<Reads> {
        if !anonymous(data) || !catalogue_only(document, operation_name) {
            return None;
        }
        data.get(&TypeId::of::<Reads>()).and_then(|d| d.downcast_ref::<Reads>()).cloned()
    }

    fn put(&self, key: String, reads: Reads, body: Bytes) -> bool {
        let Some(at) = reads.finish() else { return false };
        let size = key.len() + body.len();
        if size > MAX_ENTRY {
            return false;
        }
        let mut stored = self.stored.lock().unwrap_or_else(PoisonError::into_inner);
        let key: Arc<str> = key.into();
        let entry = Entry { body, at: at.into() };
        match stored.entries.insert(key.clone(), entry) {
            Some(old) => stored.bytes = stored.bytes - old.body.len() + size - key.len(),
            None => {
                stored.bytes += size;
                stored.order.push_back(key);
            }
        }
        while stored.bytes > MAX_BYTES {
            let Some(oldest) = stored.order.pop_front() else { break };
            if let Some(e) = stored.entries.remove(&oldest) {
                stored.bytes -= oldest.len() + e.body.len();
            }
        }
        true
    }
}

/// Whether the operation to run is a query that selects only [`CATALOGUE_FIELDS`] (and
/// `__typename`), through any fragments.
pub(crate) fn catalogue_only(document: &ExecutableDocument, operation_name: Option<&str>) -> bool {
    let operation = match (&document.operations, operation_name) {
        (DocumentOperations::Single(op), _) => op,
        (DocumentOperations::Multiple(ops), Some(name)) => match ops.get(name) {
            Some(op) => op,
            None => return false,
        },
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => match ops.values().next() {
            Some(op) => op,
            None => return false,
        },
        (DocumentOperations::Multiple(_), None) => return false,
    };
    operation.node.ty == OperationType::Query
        && selects_catalogue(document, "Query", &operation.node.selection_set.node, 0)
}

fn selects_catalogue(document: &ExecutableDocument, ty: &str, set: &SelectionSet, depth: usize) -> bool {
    depth <= MAX_DEPTH
        && set.items.iter().all(|item| match &item.node {
            Selection::Field(f) => {
                let (name, inner) = (f.node.name.node.as_str(), &f.node.selection_set.node);
                if name == "__typename" {
                    return inner.items.is_empty();
                }
                match CATALOGUE_FIELDS.iter().find(|(t, n, _)| *t == ty && *n == name) {
                    Some((_, _, "")) => inner.items.is_empty(),
                    Some((_, _, child)) => selects_catalogue(document, child, inner, depth + 1),
                    None => false,
                }
            }
            Selection::InlineFragment(fragment) => {
                fragment.node.type_condition.as_ref().is_none_or(|c| c.node.on.node.as_str() == ty)
                    && selects_catalogue(document, ty, &fragment.node.selection_set.node, depth + 1)
            }
            Selection::FragmentSpread(spread) => {
                document.fragments.get(&spread.node.fragment_name.node).is_some_and(|fragment| {
                    fragment.node.type_condition.node.on.node.as_str() == ty
                        && selects_catalogue(document, ty, &fragment.node.selection_set.node, depth + 1)
                })
            }
        })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(query: &str, operation: Option<&str>, expect: bool) {
        let document = async_graphql::parser::parse_query(query).unwrap();
        assert_eq!(catalogue_only(&document, operation), expect, "{query}");
    }

    #[test]
    fn only_catalogue_queries_are_cacheable() {
        let list = "{ matters(centre: \"pingliang\", first: 20) { edges { node { id code name guide { promisedDays } ownerUnit { id name } } } } }";
        check(list, None, true);
        check(
            "query Q($c: String!) { __typename matters(centre: $c) { pageInfo { hasNextPage endCursor } nodes { code } } }",
            None,
            true,
        );
        check(
            "query { matters(centre: \"x\") { nodes { ...M } } } fragment M on Matter { code guide { fees { amount } } }",
            None,
            true,
        );
        check("query { matters(centre: \"x\") { nodes { ... on Matter { code } } } }", None, true);
        // Not catalogue data, or not covered by the catalogue generation.
        check("{ matters(centre: \"x\") { nodes { centre { name } } } }", None, false);
        check("{ matters(centre: \"x\") { nodes { versions { version } } } }", None, false);
        check("{ matters(centre: \"x\") { nodes { ownerUnit { centre { code } } } } }", None, false);
        check("{ centres { code } }", None, false);
        check("{ viewer { roles } }", None, false);
        check("{ __schema { types { name } } }", None, false);
        check("query { matters(centre: \"x\") { nodes { ...M } } } fragment M on Unit { code }", None, false);
        check("{ matters(centre: \"x\") { nodes { code { x } } } }", None, false);
        // Mutations and subscriptions never; several operations by the one chosen.
        check("mutation { __typename }", None, false);
        check("query A { matters(centre: \"x\") { nodes { code } } } query B { centres { code } }", Some("A"), true);
        check("query A { matters(centre: \"x\") { nodes { code } } } query B { centres { code } }", Some("B"), false);
        check("query A { matters(centre: \"x\") { nodes { code } } } query B { centres { code } }", None, false);
    }

    /// Every listed field exists in the schema with the listed type of value.
    #[test]
    fn schema_fields_exist() {
        let sdl = crate::sdl();
        for (ty, field, child) in CATALOGUE_FIELDS {
            let start = sdl
                .find(&format!("\ntype {ty} "))
                .or_else(|| sdl.find(&format!("\ntype {ty}{{")))
                .unwrap_or_else(|| panic!("no type {ty}"));
            let body = &sdl[start..start + sdl[start..].find("\n}").unwrap()];
            let line = body
                .lines()
                .map(str::trim)
                .find(|l| l.starts_with(&format!("{field}:")) || l.starts_with(&format!("{field}(")))
                .unwrap_or_else(|| panic!("no field {ty}.{field}"));
            let value = line.rsplit(':').next().unwrap().trim().trim_matches(|c| matches!(c, '[' | ']' | '!'));
            if child.is_empty() {
                assert!(
                    !sdl.contains(&format!("\ntype {value} ")) && !sdl.contains(&format!("\ninterface {value} ")),
                    "{ty}.{field} is not a leaf ({value})"
                );
            } else {
                assert_eq!(value, *child, "{ty}.{field}");
            }
        }
    }
}
