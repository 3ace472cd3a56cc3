//! CPU time and memory of a process, read from `/proc` (Linux only): how
//! much CPU the server spent per login, and its resident set size.

use std::time::Duration;

/// `USER_HZ`: the unit of `utime`/`stime` in `/proc/PID/stat`, fixed at 100
/// by the kernel ABI on the architectures we run on.
const USER_HZ: u64 = 100;

/// User + system CPU time of `pid` (`self` for this process), if readable.
pub fn cpu_time(pid: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces; fields after it are plain.
    let after = stat.get(stat.rfind(')')? + 2..)?;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after ')'.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 1000 / USER_HZ))
}

/// User + system CPU time of the threads of `pid` whose name starts with
/// `prefix` (e.g. the server's `nyckel-argon2-` workers), if readable.
pub fn threads_cpu_time(pid: &str, prefix: &str) -> Option<Duration> {
    let mut total = Duration::ZERO;
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).ok()? {
        let tid = task.ok()?.file_name();
        let tid = tid.to_str()?;
        let comm = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/comm")).ok();
        if comm.is_some_and(|c| c.trim_end().starts_with(prefix)) {
            total += cpu_time(&format!("{pid}/task/{tid}"))?;
        }
    }
    Some(total)
}

/// A `kB` line of `/proc/PID/status` (`VmRSS`, `VmHWM`), in KiB.
pub fn status_kib(pid: &str, key: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ok_reads_own_process() {
        assert!(cpu_time("self").is_some());
        assert!(status_kib("self", "VmRSS").is_some_and(|k| k > 0));
        assert!(status_kib("self", "NoSuchKey").is_none());
        assert!(threads_cpu_time("self", "").is_some_and(|t| t >= Duration::ZERO));
        assert_eq!(
            threads_cpu_time("self", "no-such-thread-name"),
            Some(Duration::ZERO)
        );
    }
}
