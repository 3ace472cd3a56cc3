//! Latency percentiles over recorded samples.

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

    pub fn mean_ms(&self) -> Option<f64> {
        if self.0.is_empty() {
            return None;
        }
        let total: Duration = self.0.iter().sum();
        Some(total.as_secs_f64() * 1000.0 / self.0.len() as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ok_nearest_rank() {
        let s = Samples::new((1..=100).rev().map(Duration::from_millis).collect());
        assert_eq!(s.percentile_ms(50.0), Some(50.0));
        assert_eq!(s.percentile_ms(99.0), Some(99.0));
        assert_eq!(s.percentile_ms(100.0), Some(100.0));
        assert_eq!(s.percentile_ms(0.0), Some(1.0));
        assert_eq!(s.mean_ms(), Some(50.5));
    }

    #[test]
    fn ok_empty() {
        assert_eq!(Samples::default().percentile_ms(50.0), None);
        assert_eq!(Samples::default().mean_ms(), None);
    }
}
