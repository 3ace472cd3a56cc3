//! The Argon2id bound: T threads verifying one password against its PHC
//! string, exactly as `nyckel_service::hashing::PasswordHasher::verify` does
//! (parse the PHC string, verify with the parameters it names).

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use clap::Args;
use serde_json::json;

use crate::{Argon2Args, proc_stat, write_json};

#[derive(Debug, Args)]
pub struct Argon2BoundArgs {
    /// Threads verifying at once (the server hashes on as many workers as
    /// there are CPUs).
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Seconds to measure (after one warm-up verification per thread).
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    #[command(flatten)]
    params: Argon2Args,
    /// Give each thread one memory buffer, filled again for every
    /// verification (`hash_password_into_with_memory`), instead of a fresh
    /// zeroed allocation per verification as `verify_password` does: what
    /// the server would cost with per-worker buffers (see BENCHMARKS.md).
    #[arg(long)]
    reuse_memory: bool,
    /// Also write the summary as JSON here.
    #[arg(long, value_name = "FILE")]
    json_out: Option<PathBuf>,
}

pub fn run(args: &Argon2BoundArgs) -> anyhow::Result<()> {
    if args.threads == 0 || args.seconds == 0 {
        bail!("--threads and --seconds must be at least 1");
    }
    let p = args.params;
    let params = Params::new(p.memory_kib, p.iterations, p.parallelism, None)
        .map_err(|e| anyhow::anyhow!("argon2 parameters: {e}"))?;
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    let password = b"Bench-Argon2-Bound-7";
    let phc = argon2
        .hash_password(password)
        .map_err(|e| anyhow::anyhow!("argon2: {e}"))?
        .to_string();

    // For --reuse-memory: the salt and output of the same hash, raw.
    let parsed = PasswordHash::new(&phc).map_err(|e| anyhow::anyhow!("phc: {e}"))?;
    let salt = parsed
        .salt
        .map(|s| s.as_ref().to_vec())
        .ok_or_else(|| anyhow::anyhow!("phc without salt"))?;
    let expected = parsed
        .hash
        .map(|h| h.as_ref().to_vec())
        .ok_or_else(|| anyhow::anyhow!("phc without hash"))?;
    let blocks = argon2.params().block_count();

    let verify = |memory: &mut Option<Vec<Block>>| -> anyhow::Result<()> {
        match memory {
            None => {
                let hash = PasswordHash::new(&phc).map_err(|e| anyhow::anyhow!("phc: {e}"))?;
                argon2
                    .verify_password(password, &hash)
                    .map_err(|e| anyhow::anyhow!("verify: {e}"))
            }
            Some(memory) => {
                let mut out = vec![0u8; expected.len()];
                argon2
                    .hash_password_into_with_memory(password, &salt, &mut out, &mut memory[..])
                    .map_err(|e| anyhow::anyhow!("argon2: {e}"))?;
                if out == expected {
                    Ok(())
                } else {
                    bail!("verify: mismatch")
                }
            }
        }
    };
    let memory = || args.reuse_memory.then(|| vec![Block::default(); blocks]);
    verify(&mut memory()).context("the warm-up verification failed")?;

    let done = AtomicU64::new(0);
    let cpu_before = proc_stat::cpu_time("self");
    let start = Instant::now();
    let deadline = start + Duration::from_secs(args.seconds);
    std::thread::scope(|scope| {
        for _ in 0..args.threads {
            scope.spawn(|| {
                let mut memory = memory();
                while Instant::now() < deadline {
                    if verify(&mut memory).is_err() {
                        return;
                    }
                    // Only verifications finished inside the window count.
                    if Instant::now() <= deadline {
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    let cpu = proc_stat::cpu_time("self")
        .zip(cpu_before)
        .map(|(a, b)| a.saturating_sub(b));
    let hashes = done.load(Ordering::Relaxed);
    let secs = args.seconds as f64;
    let rate = hashes as f64 / secs;
    let cpu_ms_per_hash = cpu.map(|c| c.as_secs_f64() * 1000.0 / hashes.max(1) as f64);

    println!(
        "argon2id m={} t={} p={}{}: {hashes} verifications on {} threads in {secs:.0} s = {rate:.1} hashes/s{}",
        p.memory_kib,
        p.iterations,
        p.parallelism,
        if args.reuse_memory {
            ", memory reused"
        } else {
            ""
        },
        args.threads,
        cpu_ms_per_hash
            .map(|c| format!(" ({c:.1} CPU-ms per hash)"))
            .unwrap_or_default(),
    );
    write_json(
        args.json_out.as_ref(),
        &json!({
            "memory_kib": p.memory_kib,
            "iterations": p.iterations,
            "parallelism": p.parallelism,
            "threads": args.threads,
            "reuse_memory": args.reuse_memory,
            "seconds": args.seconds,
            "hashes": hashes,
            "hashes_per_sec": rate,
            "cpu_ms_per_hash": cpu_ms_per_hash,
        }),
    )
}
