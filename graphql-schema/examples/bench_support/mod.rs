//! What the benchmark commands share: the server's allocator, the CPU the process used and the
//! machine's load, printed beside each figure.

/// The allocator the `onedoor` server runs on, so that the library is measured as it serves.
#[global_allocator]
static ALLOCATOR: onedoor_graphql::Allocator = onedoor_graphql::Allocator;

/// CPU seconds this process used so far (user + system, all threads), from `/proc/self/stat`:
/// on a shared machine the CPU a unit of work costs moves less than its throughput.
pub(crate) fn cpu_seconds() -> f64 {
    let ticks = std::fs::read_to_string("/proc/self/stat").ok().and_then(|s| {
        let after = s.rsplit_once(')')?.1;
        let f: Vec<&str> = after.split_whitespace().collect();
        Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
    });
    // Clock ticks of USER_HZ, which is 100 on Linux.
    ticks.unwrap_or(0) as f64 / 100.0
}

/// The machine's load averages, as `/proc/loadavg` gives them.
pub(crate) fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}
