//! The day simulator (`onedoor simulate`) at small scale, on the suite's database: one working
//! day of the example centre driven through the API adds up (the simulator's own counts equal
//! the API's statistics), its rates are rates, and the same seed gives the same day again.

use onedoor_graphql::simulate::{Options, Report, run};
use onedoor_tests::{drop_database, fresh_database};

/// One working day at 2% of the seed's volumes (about 60 visitors and 42 cases).
async fn simulate_one_day(seed: u64) -> Report {
    let db = fresh_database().await.unwrap();
    let opts = Options { days: 1, scale: 0.02, seed, concurrency: 8, database: Some(db.clone()), ..Options::default() };
    let report = run(&opts).await;
    drop_database(&db).await.unwrap();
    report.unwrap_or_else(|e| panic!("the simulation failed: {e:#}"))
}

#[tokio::test]
async fn a_simulated_day_adds_up_and_the_seed_repeats_it() {
    let first = simulate_one_day(7).await;
    assert!(first.agrees(), "{first}");
    assert_eq!(first.failed, 0, "{first}");
    let own = first.own_total();
    assert!(own.visitors > 0 && own.received > 0 && own.accepted > 0 && own.completed > 0, "{first}");
    assert!(own.received <= own.visitors + own.online, "{first}");
    for f in first.api.iter().chain([&first.api_total()]) {
        for r in [f.completion_rate(), f.on_time_rate(), f.satisfaction_rate].into_iter().flatten() {
            assert!((0.0..=1.0).contains(&r), "{r} is not a rate:\n{first}");
        }
    }
    assert!(!first.waits.is_empty(), "{first}");
    let table = first.to_string();
    assert!(table.contains("the table adds up"), "{table}");

    let second = simulate_one_day(7).await;
    assert_eq!(first.own, second.own, "the same seed, the same day:\n{first}\n{second}");
    assert_eq!(first.api, second.api, "the same seed, the same figures:\n{first}\n{second}");
}

#[tokio::test]
async fn bad_simulation_options_are_refused_with_a_message() {
    let bad = [
        Options { days: 0, ..Options::default() },
        Options { scale: 0.0, ..Options::default() },
        Options { scale: -1.0, ..Options::default() },
        Options { scale: f64::NAN, ..Options::default() },
        Options { scale: f64::INFINITY, ..Options::default() },
        Options { concurrency: 0, ..Options::default() },
    ];
    for opts in bad {
        let message = opts.check().expect_err("refused");
        assert!(message.starts_with("--"), "{message}");
        let err = run(&opts).await.expect_err("refused before starting");
        assert_eq!(err.to_string(), message);
    }
}
