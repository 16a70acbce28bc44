//! The centre's figures (the seed's kind: visitors, cases, completion and on-time rates,
//! satisfaction, rectification, warnings) per centre, unit, window, zone or matter over a
//! period, and the "four reductions" (四减: steps, materials, days, fees) per matter.
//!
//! Visits come from the hall's tickets (a ticket for a matter counts for the matter's centre, a
//! ticket for a zone for the hall's), cases from the case facts the supervision pass keeps (it
//! is run first, so the figures include every event), ratings that count (no upheld appeal),
//! rectifications opened in the period, and alerts raised in it.

use crate::evaluation::check_period;
use crate::{Error, Onedoor, Result, require};
use chrono::NaiveDate;
use onedoor_domain::alert::AlertKind;
use onedoor_domain::evaluation::RectificationStatus;
use onedoor_domain::hall::Statistics as HallStatistics;
use onedoor_domain::rules::RatingLevel;
use onedoor_domain::workflow::{StepKind, WorkflowDef};
use onedoor_domain::{Caller, CentreId, MatterId, Role};
use onedoor_store::{MatterFilter, Page, Slice};
use std::collections::BTreeMap;
use uuid::Uuid;

/// What the figures are broken down by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dimension {
    /// One row per centre.
    Centre,
    /// Per unit (cases by lead unit, ratings and rectifications by unit rated, alerts by unit).
    Unit,
    /// Per window (tickets served, cases received, ratings).
    Window,
    /// Per zone (tickets, visit ratings).
    Zone,
    /// Per matter (tickets and cases for it, ratings).
    Matter,
}

/// The figures of one row.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    /// The centre.
    pub centre: CentreId,
    /// The unit, window, zone or matter (none for a centre row).
    pub key: Option<Uuid>,
    /// Visitors: queue tickets taken.
    pub visitors: u64,
    /// Tickets served.
    pub served: u64,
    /// Tickets marked no-show.
    pub no_shows: u64,
    /// Tickets called (whose waits are summed).
    pub called: u64,
    /// Waits from taking a ticket to its first call, summed, in seconds.
    pub wait_seconds: i64,
    /// Cases received (submitted) in the period.
    pub cases_received: u64,
    /// Of those, accepted.
    pub cases_accepted: u64,
    /// Of the accepted, decided (approved or denied) by now.
    pub cases_completed: u64,
    /// Of the completed, within their time limit.
    pub cases_on_time: u64,
    /// Cases received with a guide's or agent's help (帮办代办).
    pub cases_assisted: u64,
    /// Working days used by the completed cases, summed.
    pub working_days_used: u64,
    /// Ratings that count.
    pub ratings: u64,
    /// Very satisfied, satisfied and basically satisfied ratings.
    pub satisfied: u64,
    /// Dissatisfied and very dissatisfied ratings.
    pub bad_ratings: u64,
    /// Rectifications opened.
    pub rectifications: u64,
    /// Of those, closed.
    pub rectifications_closed: u64,
    /// Deadline warnings raised.
    pub warnings: u64,
    /// Yellow cards raised.
    pub yellow_cards: u64,
    /// Red cards raised.
    pub red_cards: u64,
}

fn ratio(n: u64, d: u64) -> Option<f64> {
    (d > 0).then(|| n as f64 / d as f64)
}

impl Figures {
    /// A row of zeros.
    pub fn new(centre: CentreId, key: Option<Uuid>) -> Figures {
        Figures {
            centre,
            key,
            visitors: 0,
            served: 0,
            no_shows: 0,
            called: 0,
            wait_seconds: 0,
            cases_received: 0,
            cases_accepted: 0,
            cases_completed: 0,
            cases_on_time: 0,
            cases_assisted: 0,
            working_days_used: 0,
            ratings: 0,
            satisfied: 0,
            bad_ratings: 0,
            rectifications: 0,
            rectifications_closed: 0,
            warnings: 0,
            yellow_cards: 0,
            red_cards: 0,
        }
    }
    /// Average wait from taking a ticket to its first call, in minutes.
    pub fn average_wait_minutes(&self) -> Option<f64> {
        (self.called > 0).then(|| self.wait_seconds as f64 / 60.0 / self.called as f64)
    }
    fn add_visits(&mut self, s: &onedoor_domain::hall::StatsRow) {
        self.visitors += s.tickets;
        self.served += s.served;
        self.no_shows += s.no_shows;
        self.called += s.called;
        self.wait_seconds += s.wait_seconds;
    }
    /// Completed of accepted.
    pub fn completion_rate(&self) -> Option<f64> {
        ratio(self.cases_completed, self.cases_accepted)
    }
    /// On time of completed.
    pub fn on_time_rate(&self) -> Option<f64> {
        ratio(self.cases_on_time, self.cases_completed)
    }
    /// Average working days used per completed case.
    pub fn average_working_days(&self) -> Option<f64> {
        ratio(self.working_days_used, self.cases_completed)
    }
    /// Satisfied of all ratings.
    pub fn satisfaction_rate(&self) -> Option<f64> {
        ratio(self.satisfied, self.ratings)
    }
    /// Closed of opened rectifications.
    pub fn rectification_rate(&self) -> Option<f64> {
        ratio(self.rectifications_closed, self.rectifications)
    }
}

/// A matter's four reductions: now against before (the first catalogue and workflow version;
/// for days, the statutory limit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reductions {
    /// The matter.
    pub matter: MatterId,
    /// Its code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Decision steps (tasks) of its first workflow version, and of its current one.
    pub steps: (u32, u32),
    /// Required materials in its first catalogue version, and now.
    pub materials: (u32, u32),
    /// Statutory and promised working days.
    pub days: (u32, u32),
    /// Total fees in fen in its first catalogue version, and now.
    pub fees: (i64, i64),
}

/// The rows of one centre's figures, by key.
struct Rows {
    centre: CentreId,
    by: Dimension,
    map: BTreeMap<Option<Uuid>, Figures>,
}

impl Rows {
    fn get(&mut self, key: Option<Uuid>) -> &mut Figures {
        let key = if self.by == Dimension::Centre { None } else { key };
        let centre = self.centre;
        self.map.entry(key).or_insert_with(|| Figures::new(centre, key))
    }
}

fn tasks(def: &WorkflowDef) -> u32 {
    def.steps.iter().filter(|s| s.kind == StepKind::Task).count() as u32
}

impl Onedoor {
    /// The figures of a centre (and, with `include_children`, of every centre it supervises)
    /// from `from` to `to`, broken down by `by`: for supervisors of the centre or above it.
    pub async fn statistics(
        &self,
        caller: &Caller,
        centre: CentreId,
        from: NaiveDate,
        to: NaiveDate,
        by: Dimension,
        include_children: bool,
    ) -> Result<Vec<Figures>> {
        let scope = require(caller, Role::Supervisor)?;
        if !scope.can_read(centre) {
            return Err(Error::not_found("centre", "centre"));
        }
        check_period(from, to)?;
        let mut centres = vec![centre];
        if include_children {
            let all = self.centre_list().await?;
            let mut i = 0;
            while i < centres.len() {
                let parent = centres[i];
                centres.extend(all.iter().filter(|c| c.parent == Some(parent)).map(|c| c.id));
                i += 1;
            }
        }
        let mut out = Vec::new();
        for c in centres {
            out.extend(self.figures(c, from, to, by).await?);
        }
        Ok(out)
    }

    async fn figures(&self, centre: CentreId, from: NaiveDate, to: NaiveDate, by: Dimension) -> Result<Vec<Figures>> {
        self.supervise(centre).await?;
        let mut rows = Rows { centre, by, map: BTreeMap::new() };
        // Visits.
        let mut tickets = Vec::new();
        for hall in self.store.halls_of(centre).await? {
            for t in self.store.tickets_between(&hall, from, to).await? {
                let owner = t.matter.map_or(hall.centre, |(c, _)| c);
                if owner == centre {
                    tickets.push(t);
                }
            }
        }
        let hall_stats = HallStatistics::of(&tickets);
        match by {
            Dimension::Centre => rows.get(None).add_visits(&hall_stats.total),
            Dimension::Window => {
                for (w, s) in &hall_stats.by_window {
                    rows.get(Some(w.0)).add_visits(s);
                }
            }
            Dimension::Zone => {
                for (z, s) in &hall_stats.by_zone {
                    rows.get(Some(z.0)).add_visits(s);
                }
            }
            Dimension::Matter => {
                let mut by_matter: BTreeMap<Uuid, Vec<&onedoor_domain::hall::Ticket>> = BTreeMap::new();
                for t in &tickets {
                    if let Some((_, m)) = t.matter {
                        by_matter.entry(m.0).or_default().push(t);
                    }
                }
                for (m, ts) in by_matter {
                    rows.get(Some(m)).add_visits(&HallStatistics::of(ts).total);
                }
            }
            Dimension::Unit => {}
        }
        // Cases.
        for f in self.store.case_facts(centre, from, to).await? {
            let key = match by {
                Dimension::Centre => None,
                Dimension::Unit => f.unit_id,
                Dimension::Window => f.reception_window_id,
                Dimension::Matter => f.matter_id,
                Dimension::Zone => continue,
            };
            let r = rows.get(key);
            r.cases_received += 1;
            r.cases_assisted += u64::from(f.assisted);
            if f.accepted_on.is_some() {
                r.cases_accepted += 1;
                if f.completed {
                    r.cases_completed += 1;
                    r.cases_on_time += u64::from(!f.overdue);
                    r.working_days_used += u64::try_from(f.used_days.unwrap_or(0)).unwrap_or(0);
                }
            }
        }
        // Ratings.
        for r in self.store.ratings_in(centre, from, to).await? {
            let key = match by {
                Dimension::Centre => None,
                Dimension::Unit => r.unit.map(|u| u.0),
                Dimension::Window => r.window.map(|w| w.0),
                Dimension::Zone => r.zone.map(|z| z.0),
                Dimension::Matter => r.matter.map(|m| m.0),
            };
            if by != Dimension::Centre && key.is_none() {
                continue;
            }
            let f = rows.get(key);
            f.ratings += 1;
            f.satisfied += u64::from(matches!(
                r.level,
                RatingLevel::VerySatisfied | RatingLevel::Satisfied | RatingLevel::Neutral
            ));
            f.bad_ratings += u64::from(r.level.is_bad());
        }
        // Rectifications and alerts, by unit.
        if matches!(by, Dimension::Centre | Dimension::Unit) {
            for r in self.store.rectifications_in(centre, from, to).await? {
                let Some(f) =
                    (if by == Dimension::Centre { Some(rows.get(None)) } else { r.unit.map(|u| rows.get(Some(u.0))) })
                else {
                    continue;
                };
                f.rectifications += 1;
                f.rectifications_closed += u64::from(r.status == RectificationStatus::Closed);
            }
            for (kind, unit) in self.store.alerts_in(centre, from, to).await? {
                let key = if by == Dimension::Centre { None } else { unit.map(|u| u.0) };
                if by != Dimension::Centre && key.is_none() {
                    continue;
                }
                let f = rows.get(key);
                match AlertKind::parse(&kind) {
                    Some(AlertKind::DeadlineWarning) => f.warnings += 1,
                    Some(AlertKind::YellowCard) => f.yellow_cards += 1,
                    Some(AlertKind::RedCard) => f.red_cards += 1,
                    _ => {}
                }
            }
        }
        if by == Dimension::Centre {
            rows.get(None);
        }
        Ok(rows.map.into_values().collect())
    }

    /// The four reductions of a centre's active matters (public), by code.
    pub async fn four_reductions(&self, centre: CentreId, page: &Page) -> Result<Slice<Reductions>> {
        let filter =
            MatterFilter { status: Some(onedoor_domain::catalogue::MatterStatus::Active), ..MatterFilter::default() };
        let matters = self.store.matters(&Caller::Anonymous, centre, &filter, page).await?;
        let mut items = Vec::with_capacity(matters.items.len());
        for m in &matters.items {
            let first = self.store.first_matter_version(centre, m.id).await?;
            let before = first.as_ref().map_or(&m.guide, |v| &v.guide);
            let required =
                |g: &onedoor_domain::catalogue::Guide| g.materials.iter().filter(|x| x.required).count() as u32;
            let fees = |g: &onedoor_domain::catalogue::Guide| g.fees.iter().map(|f| f.amount.get()).sum::<i64>();
            let builtin = WorkflowDef::single_review(m.guide.limits.promised().get());
            let now_steps =
                self.store.workflow(centre, m.id).await?.map_or_else(|| tasks(&builtin), |(d, _)| tasks(&d));
            let first_steps = self.store.first_workflow(centre, m.id).await?.map_or(now_steps, |d| tasks(&d));
            items.push(Reductions {
                matter: m.id,
                code: m.guide.code.as_str().to_owned(),
                name: m.guide.name.as_str().to_owned(),
                steps: (first_steps, now_steps),
                materials: (required(before), required(&m.guide)),
                days: (u32::from(m.guide.limits.statutory().get()), u32::from(m.guide.limits.promised().get())),
                fees: (fees(before), fees(&m.guide)),
            });
        }
        Ok(Slice { items, has_next: matters.has_next })
    }
}
