//! Reading the numbers off: percentiles of timings, a process's memory, time
//! between two instants as the nodes wrote them.

/// Peak resident memory (VmHWM) of a process, in MiB.
pub fn peak_rss_mib(pid: u32) -> Option<f64> {
    proc_status_mib(pid, "VmHWM:")
}

/// Resident memory now (VmRSS) of a process, in MiB.
pub fn vm_rss_mib(pid: u32) -> Option<f64> {
    proc_status_mib(pid, "VmRSS:")
}

fn proc_status_mib(pid: u32, field: &str) -> Option<f64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with(field))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// The value at fraction `p` (0.5 the median) of timings sorted ascending.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

/// Milliseconds from one RFC 3339 time to another.
pub fn ms_between(from: &str, to: &str) -> anyhow::Result<f64> {
    let a = chrono::DateTime::parse_from_rfc3339(from)?;
    let b = chrono::DateTime::parse_from_rfc3339(to)?;
    Ok((b - a).num_microseconds().unwrap_or(0) as f64 / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_sorted_timings() {
        let t = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(percentile(&t, 0.5), 3.0);
        assert_eq!(percentile(&t, 0.99), 5.0);
        assert!(percentile(&[], 0.5).is_nan());
        assert_eq!(
            ms_between("2026-01-01T00:00:00.000Z", "2026-01-01T00:00:01.500Z").ok(),
            Some(1500.0)
        );
    }
}
