//! A hostile plugin that fulfils the contract but imports WASI (`wasi:random`): the host must
//! refuse it at load with `FORBIDDEN_IMPORT`. Written against raw wit-bindgen, since the SDK
//! offers no way to import anything.

#[allow(unsafe_code, missing_docs, missing_debug_implementations, clippy::all)]
mod bindings {
    wit_bindgen::generate!({
        path: ["../../../plugins/wit/onedoor-rules@0.1.0", "wit-random", "wit"],
        world: "onedoor-test:wasi-guest/guest",
        generate_all,
    });
}

use bindings::exports::onedoor::rules::{evaluation, parallel_approval};
use bindings::onedoor::rules::types::{
    AssessInput, Assessment, BranchInput, FollowUp, Plan, PlanInput, RatingInput, RuleError, Verdict,
};

struct Guest;

impl parallel_approval::Guest for Guest {
    fn plan(_: PlanInput) -> Result<Plan, RuleError> {
        let n = bindings::wasi::random::random::get_random_u64();
        Err(RuleError::Failed(format!("random: {n}")))
    }

    fn on_branch_decided(_: BranchInput) -> Result<Verdict, RuleError> {
        Err(RuleError::NotProvided)
    }
}

impl evaluation::Guest for Guest {
    fn on_rating(_: RatingInput) -> Result<FollowUp, RuleError> {
        Err(RuleError::NotProvided)
    }

    fn assess(_: AssessInput) -> Result<Assessment, RuleError> {
        Err(RuleError::NotProvided)
    }
}

#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod export {
    use super::Guest;
    crate::bindings::export!(Guest with_types_in crate::bindings);
}
