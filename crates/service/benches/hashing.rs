//! One Argon2id verification through the server's bounded hasher (the pool,
//! the semaphore and `spawn_blocking` included), with the default OWASP
//! parameters: the floor of a login's cost. Run with
//! `cargo bench -p nyckel-service --bench hashing`; see BENCHMARKS.md.

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use nyckel_core::secret::SecretString;
use nyckel_service::config::Argon2Config;
use nyckel_service::hashing::PasswordHasher;

fn verify(c: &mut Criterion) {
    let Ok(rt) = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    else {
        return;
    };
    let Ok(hasher) = PasswordHasher::new(&Argon2Config::default()) else {
        return;
    };
    let password = SecretString::new("Tusind-Tak-Aarhus-7");
    let Ok(phc) = rt.block_on(hasher.hash(&password)) else {
        return;
    };
    c.bench_function("argon2id/verify_bounded_default", |b| {
        b.iter(|| {
            let ok = rt.block_on(hasher.verify(Some(&phc), &password));
            assert!(matches!(ok, Ok(true)));
        })
    });
}

criterion_group! {
    name = hashing;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    targets = verify
}
criterion_main!(hashing);
