//! Per-request batch loaders, so a list of matters loads its owner units in one query per
//! centre instead of one per matter.

use crate::response_cache::Reads;
use async_graphql::dataloader::Loader;
use onedoor::Onedoor;
use onedoor::domain::organisation::Unit;
use onedoor::domain::{CentreId, UnitId};
use std::collections::HashMap;

/// The per-request unit loader: batches look-ups, and keeps what it was fed (a list of
/// matters feeds the owner units it read from the same catalogue snapshot).
pub type Units = async_graphql::dataloader::DataLoader<UnitLoader, async_graphql::dataloader::HashMapCache>;

/// Loads units by (centre, unit). A load reads around the catalogue snapshot the request's list
/// fed it from, so it is recorded in the request's [`Reads`] (the response is then not kept by
/// the response cache).
#[derive(Debug, Clone)]
pub struct UnitLoader {
    pub od: Onedoor,
    pub(crate) reads: Reads,
}

impl Loader<(CentreId, UnitId)> for UnitLoader {
    type Value = Unit;
    type Error = std::sync::Arc<onedoor::Error>;

    async fn load(&self, keys: &[(CentreId, UnitId)]) -> Result<HashMap<(CentreId, UnitId), Unit>, Self::Error> {
        self.reads.read_other();
        let mut by_centre: HashMap<CentreId, Vec<UnitId>> = HashMap::new();
        for (c, u) in keys {
            by_centre.entry(*c).or_default().push(*u);
        }
        let mut out = HashMap::with_capacity(keys.len());
        for (c, ids) in by_centre {
            for u in self.od.units_by_ids(c, &ids).await.map_err(std::sync::Arc::new)? {
                out.insert((c, u.id), u);
            }
        }
        Ok(out)
    }
}
