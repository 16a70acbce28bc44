//! A deliberately hostile plugin for the sandbox tests: its `plan` misbehaves in the way the
//! case number asks (`loop`, `bomb`, `panic`, `big`, `stranger`, `not-an-id`) and plans
//! correctly otherwise, so one test shows a failure and then a good call of the same plugin.

use onedoor_plugin_sdk::{Branch, JoinPolicy, ParallelApproval, Plan, PlanInput, RuleError};
use std::hint::black_box;

/// The hostile rules.
#[derive(Debug)]
pub struct Hostile;

impl ParallelApproval for Hostile {
    fn plan(input: &PlanInput) -> Result<Plan, RuleError> {
        let first = input.matters.first().ok_or_else(|| RuleError::InvalidInput("no matter".into()))?;
        let mut plan = Plan {
            lead_unit: first.owner_unit.clone(),
            branches: input
                .matters
                .iter()
                .map(|m| Branch {
                    unit: m.owner_unit.clone(),
                    matter: m.id.clone(),
                    time_limit_days: m.promised_days,
                    required: true,
                })
                .collect(),
            join_policy: JoinPolicy::AllApprove,
            rationale: "hostile, behaving".into(),
        };
        match input.case_number.as_str() {
            // Spins until the host's fuel runs out.
            "loop" => {
                let mut n: u64 = 0;
                loop {
                    n = black_box(n.wrapping_add(1));
                }
            }
            // Allocates until the host's memory cap stops it.
            "bomb" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(black_box(Vec::<u8>::with_capacity(1 << 20)));
                }
            }
            "panic" => panic!("the hostile plugin panics"),
            // One MiB of rationale: far above the output cap.
            "big" => plan.rationale = "x".repeat(1 << 20),
            // A lead unit that is a well-formed id but not involved in the case.
            "stranger" => plan.lead_unit = "00000000-0000-0000-0000-0000000000ff".into(),
            "not-an-id" => plan.lead_unit = "nobody".into(),
            _ => {}
        }
        Ok(plan)
    }
}

onedoor_plugin_sdk::export!(parallel_approval: Hostile);
