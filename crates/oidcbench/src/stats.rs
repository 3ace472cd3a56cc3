//! Latency percentiles, and CPU time of a process from `/proc` (Linux), so
//! that a figure can say how many CPU-milliseconds each operation cost the
//! server and the load generator.

use std::time::Duration;

/// Sorted samples.
#[derive(Debug, Default)]
pub struct Samples(Vec<Duration>);

impl Samples {
    pub fn new(mut samples: Vec<Duration>) -> Self {
        samples.sort_unstable();
        Self(samples)
    }

    /// The nearest-rank percentile `p` (0–100), in milliseconds.
    pub fn percentile_ms(&self, p: f64) -> Option<f64> {
        if self.0.is_empty() {
            return None;
        }
        let rank = ((p / 100.0) * self.0.len() as f64).ceil() as usize;
        let i = rank.clamp(1, self.0.len()) - 1;
        self.0.get(i).map(|d| d.as_secs_f64() * 1000.0)
    }

    /// `p50 … p95 … p99` in milliseconds, for a summary line.
    pub fn summary(&self) -> String {
        let f = |p| {
            self.percentile_ms(p)
                .map_or("-".into(), |v| format!("{v:.2}"))
        };
        format!("p50 {} p95 {} p99 {} ms", f(50.0), f(95.0), f(99.0))
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "p50": self.percentile_ms(50.0),
            "p95": self.percentile_ms(95.0),
            "p99": self.percentile_ms(99.0),
        })
    }
}

/// `USER_HZ`, the unit of `utime`/`stime` in `/proc/PID/stat` (100 by the
/// kernel ABI on the architectures we run on).
const USER_HZ: u64 = 100;

/// User + system CPU time of `pid` (`self` for this process), if readable.
pub fn cpu_time(pid: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces; the fields after it do not.
    let after = stat.get(stat.rfind(')')? + 2..)?;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 1000 / USER_HZ))
}

/// CPU time of this process and of the server between `start` and now.
#[derive(Debug, Clone)]
pub struct CpuMeter {
    server: Option<String>,
    start: (Option<Duration>, Option<Duration>),
}

impl CpuMeter {
    pub fn start(server_pid: Option<u32>) -> Self {
        let server = server_pid.map(|p| p.to_string());
        let start = (cpu_time("self"), server.as_deref().and_then(cpu_time));
        Self { server, start }
    }

    /// (server, load generator) CPU-ms per operation since `start`.
    pub fn per_op_ms(&self, ops: usize) -> (Option<f64>, Option<f64>) {
        let per = |a: Option<Duration>, b: Option<Duration>| {
            a.zip(b)
                .map(|(a, b)| a.saturating_sub(b).as_secs_f64() * 1000.0 / ops.max(1) as f64)
        };
        (
            per(self.server.as_deref().and_then(cpu_time), self.start.1),
            per(cpu_time("self"), self.start.0),
        )
    }
}

pub fn ms(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| format!("{v:.3}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ok_nearest_rank() {
        let s = Samples::new((1..=100).rev().map(Duration::from_millis).collect());
        assert_eq!(s.percentile_ms(50.0), Some(50.0));
        assert_eq!(s.percentile_ms(99.0), Some(99.0));
        assert_eq!(Samples::default().percentile_ms(50.0), None);
    }

    #[test]
    fn ok_reads_own_cpu_time() {
        assert!(cpu_time("self").is_some());
        let m = CpuMeter::start(Some(std::process::id()));
        assert!(m.per_op_ms(1).0.is_some());
    }
}
