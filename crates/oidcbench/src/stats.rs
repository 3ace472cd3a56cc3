//! CPU time per operation for the server and the load generator (from
//! `/proc`, Linux), and the latency percentiles `nyckel-loadgen` also uses.

use std::time::Duration;

use nyckel_loadgen::proc_stat::cpu_time;
pub use nyckel_loadgen::stats::Samples;

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
    fn ok_reads_own_cpu_time() {
        assert!(cpu_time("self").is_some());
        let m = CpuMeter::start(Some(std::process::id()));
        assert!(m.per_op_ms(1).0.is_some());
    }
}
