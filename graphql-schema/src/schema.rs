//! The schema root: queries, the `Node` lookup, the subscription, and schema construction.

use crate::error::{coded, query_error};
use crate::ids::{Kind, decode_any};
use crate::mutation::CatalogueMutation;
use crate::scalars::{CatalogueOperation, MatterFilterInput, Role};
use crate::types::*;
use async_graphql::connection::Connection;
use async_graphql::{
    Context, ID, MergedObject, MergedSubscription, Object, Result, Schema, SimpleObject, Subscription,
};
use futures_util::Stream;
use onedoor::Onedoor;
use onedoor::domain::{BundleId, Caller, HallId, MatterId, StaffId, UnitId, WindowId, ZoneId};

/// The onedoor schema.
pub type OnedoorSchema = Schema<Query, Mutation, SubscriptionRoot>;

/// Reads. (In the code, one part per capability, each in its own module.)
#[derive(MergedObject, Default, Debug)]
pub struct Query(
    OrganisationQuery,
    crate::cases::CaseQuery,
    crate::hall::HallQuery,
    crate::plugins::PluginsQuery,
    crate::evaluation::EvaluationQuery,
);

/// Writes: each takes one `input` and returns a payload with `userErrors`.
#[derive(MergedObject, Default, Debug)]
pub struct Mutation(
    CatalogueMutation,
    crate::cases::CaseMutation,
    crate::hall::HallMutation,
    crate::plugins::PluginsMutation,
    crate::evaluation::EvaluationMutation,
);

/// Live streams, over `graphql-transport-ws` at `/graphql`.
#[derive(MergedSubscription, Default, Debug)]
#[graphql(name = "Subscription")]
pub struct SubscriptionRoot(
    CatalogueSubscription,
    crate::cases::CaseSubscription,
    crate::hall::HallSubscription,
    crate::evaluation::EvaluationSubscription,
);

/// Limits applied to every operation.
#[derive(Debug, Clone, Copy)]
pub struct SchemaLimits {
    /// Deepest selection allowed.
    pub max_depth: usize,
    /// Highest complexity allowed (connections count `first` times their selection).
    pub max_complexity: usize,
    /// Largest `first` of a connection.
    pub max_page_size: usize,
}

impl Default for SchemaLimits {
    fn default() -> Self {
        SchemaLimits { max_depth: 12, max_complexity: 2000, max_page_size: 100 }
    }
}

/// Builds the schema over a platform.
pub fn build_schema(od: Onedoor, limits: SchemaLimits) -> OnedoorSchema {
    Schema::build(Query::default(), Mutation::default(), SubscriptionRoot::default())
        .data(od)
        .data(MaxPage(limits.max_page_size))
        .limit_depth(limits.max_depth)
        .limit_complexity(limits.max_complexity)
        .finish()
}

/// The SDL of the schema, as committed in `schema.graphql`.
pub fn sdl() -> String {
    Schema::build(Query::default(), Mutation::default(), SubscriptionRoot::default())
        .finish()
        .sdl_with_options(async_graphql::SDLExportOptions::new().sorted_fields().sorted_enum_items())
}

/// Who is calling.
#[derive(SimpleObject)]
pub struct Viewer {
    /// The caller's centre.
    centre: Option<CentreObj>,
    /// The caller, if their staff record is visible.
    staff: Option<StaffObj>,
    /// The roles in the caller's token.
    roles: Vec<Role>,
}

/// Queries of the organisation and the catalogue.
#[derive(Debug, Default)]
pub struct OrganisationQuery;

#[Object]
impl OrganisationQuery {
    /// Any node by its global id; null if it does not exist or the caller may not see it.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Node>> {
        node(ctx, &id).await
    }

    /// Several nodes by global id, in order; null where not found or not visible.
    #[graphql(complexity = "ids.len() * child_complexity")]
    async fn nodes(&self, ctx: &Context<'_>, ids: Vec<ID>) -> Result<Vec<Option<Node>>> {
        if ids.len() > 100 {
            return Err(coded("PAGE_TOO_LARGE", "at most 100 ids"));
        }
        let mut out = Vec::with_capacity(ids.len());
        for id in &ids {
            out.push(node(ctx, id).await?);
        }
        Ok(out)
    }

    /// The signed-in caller; null for anonymous callers.
    async fn viewer(&self, ctx: &Context<'_>) -> Result<Option<Viewer>> {
        let (od, caller) = parts(ctx);
        let Some(scope) = caller.scope() else { return Ok(None) };
        Ok(Some(Viewer {
            centre: od.centre(scope.centre).await.map_err(query_error)?.map(CentreObj),
            staff: od.staff(caller, scope.centre, scope.staff).await.map_err(query_error)?.map(StaffObj),
            roles: scope.roles.iter().map(Into::into).collect(),
        }))
    }

    /// Every centre on the platform, by code (public).
    async fn centres(&self, ctx: &Context<'_>) -> Result<Vec<CentreObj>> {
        Ok(parts(ctx).0.centres().await.map_err(query_error)?.into_iter().map(CentreObj).collect())
    }

    /// A centre by code (public).
    async fn centre(&self, ctx: &Context<'_>, code: String) -> Result<Option<CentreObj>> {
        Ok(parts(ctx).0.centre_by_code(&code).await.map_err(query_error)?.map(CentreObj))
    }

    /// Searches a centre's catalogue (public for active matters). `centre` is a centre code;
    /// it defaults to the caller's own centre.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity + 1")]
    async fn matters(
        &self,
        ctx: &Context<'_>,
        centre: Option<String>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<MatterFilterInput>,
    ) -> Result<Connection<String, MatterObj>> {
        // Arguments are checked even when the centre does not exist.
        page(ctx, first, after.clone())?;
        let (od, caller) = parts(ctx);
        let id = match (centre, caller.scope()) {
            (Some(code), _) => od
                .centre_id(&code)
                .await
                .map_err(query_error)?
                .ok_or_else(|| coded("NOT_FOUND", format!("no centre has the code `{code}`")))?,
            (None, Some(scope)) => scope.centre,
            (None, None) => {
                return Err(coded("CENTRE_REQUIRED", "anonymous callers name the centre (`centre: \"code\"`)"));
            }
        };
        matters_of(ctx, id, first, after, filter).await
    }
}

async fn node(ctx: &Context<'_>, id: &ID) -> Result<Option<Node>> {
    let Some((kind, centre, id)) = decode_any(id) else {
        return Err(coded("INVALID_ID", "not a global id"));
    };
    let (od, caller) = parts(ctx);
    let n = match kind {
        Kind::Centre => {
            od.centre(centre).await.map_err(query_error)?.filter(|c| c.id.0 == id).map(|c| Node::Centre(CentreObj(c)))
        }
        Kind::Hall => od.hall(centre, HallId(id)).await.map_err(query_error)?.map(|h| Node::Hall(HallObj(h))),
        Kind::Zone => od.zone(centre, ZoneId(id)).await.map_err(query_error)?.map(|z| Node::Zone(ZoneObj(z))),
        Kind::Window => od.window(centre, WindowId(id)).await.map_err(query_error)?.map(|w| Node::Window(WindowObj(w))),
        Kind::Unit => od.unit(centre, UnitId(id)).await.map_err(query_error)?.map(|u| Node::Unit(UnitObj(u))),
        Kind::Staff => {
            od.staff(caller, centre, StaffId(id)).await.map_err(query_error)?.map(|s| Node::Staff(StaffObj(s)))
        }
        Kind::Matter => {
            od.matter(caller, centre, MatterId(id)).await.map_err(query_error)?.map(|m| Node::Matter(MatterObj(m)))
        }
        Kind::Bundle => {
            od.bundle(caller, centre, BundleId(id)).await.map_err(query_error)?.map(|b| Node::Bundle(BundleObj(b)))
        }
        Kind::Case => od
            .case(caller, centre, onedoor::domain::CaseId(id))
            .await
            .map_err(query_error)?
            .map(|c| Node::Case(crate::cases::CaseObj::staff(c))),
        Kind::Plugin | Kind::Decision | Kind::Alert => crate::plugins::node(ctx, kind, centre, id).await?,
        Kind::Ticket => crate::hall::ticket_node(od, centre, id).await?.map(Node::Ticket),
        Kind::Rating => od
            .rating(caller, centre, onedoor::domain::id::RatingId(id))
            .await
            .map_err(query_error)?
            .map(|r| Node::Rating(crate::evaluation::RatingObj(r))),
        Kind::Rectification => od
            .rectification(caller, centre, onedoor::domain::id::RectificationId(id))
            .await
            .map_err(query_error)?
            .map(|r| Node::Rectification(crate::evaluation::RectificationObj(r))),
        // Slots and bookings are reached through their zone and code, not by id.
        Kind::Slot | Kind::Appointment => None,
    };
    Ok(n)
}

/// A change in a centre's catalogue.
pub struct CatalogueChange {
    event: onedoor::CatalogueEvent,
    caller: Caller,
}

#[Object]
impl CatalogueChange {
    /// The operation.
    async fn operation(&self) -> CatalogueOperation {
        self.event.operation.into()
    }
    /// The matter's new version.
    async fn version(&self) -> u32 {
        self.event.version
    }
    /// The matter as it stands now, if the subscriber may see it (active matters for the
    /// public).
    async fn matter(&self, ctx: &Context<'_>) -> Result<Option<MatterObj>> {
        let od = parts(ctx).0;
        Ok(od.matter(&self.caller, self.event.centre, self.event.matter).await.map_err(query_error)?.map(MatterObj))
    }
}

/// Subscriptions to the catalogue.
#[derive(Debug, Default)]
pub struct CatalogueSubscription;

#[Subscription]
impl CatalogueSubscription {
    /// Changes to a centre's catalogue (by centre code), for kiosks and portals that cache
    /// service guides.
    async fn catalogue_changed(
        &self,
        ctx: &Context<'_>,
        centre: String,
    ) -> Result<impl Stream<Item = CatalogueChange>> {
        let (od, caller) = parts(ctx);
        let id =
            od.centre_id(&centre).await.map_err(query_error)?.ok_or_else(|| coded("NOT_FOUND", "no such centre"))?;
        let caller = caller.clone();
        let rx = od.subscribe();
        let stream = tokio_stream::wrappers::BroadcastStream::new(rx);
        Ok(futures_util::StreamExt::filter_map(stream, move |e| {
            let caller = caller.clone();
            async move {
                match e {
                    Ok(event) if event.centre == id && event.version > 0 => Some(CatalogueChange { event, caller }),
                    _ => None,
                }
            }
        }))
    }
}
