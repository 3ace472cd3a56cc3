//! Pure rules on the login and import paths: CPR parsing, key-card code
//! verification, the password policy, and parsing a 100 000-row population
//! CSV from memory. Quick by design (small samples): run with
//! `cargo bench -p nyckel-core --bench rules`; see BENCHMARKS.md.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use nyckel_core::cpr::{Cpr, Date};
use nyckel_core::ids::UserId;
use nyckel_core::keycard::{self, KeyNumber};
use nyckel_core::password::{PasswordPolicy, check_password};
use nyckel_core::population::{ImportFormat, records};
use nyckel_core::secret::SecretString;

fn today() -> Date {
    Date::new(2026, 11, 25).unwrap_or_else(|| unreachable!())
}

fn cpr_parse(c: &mut Criterion) {
    let today = today();
    c.bench_function("cpr/parse", |b| {
        b.iter(|| Cpr::parse(black_box("070761-4285"), today))
    });
}

fn keycard_verify(c: &mut Criterion) {
    let pepper = [7u8; 64];
    let key = KeyNumber::new(1234).unwrap_or(KeyNumber::MIN);
    let stored = keycard::code_hash(&pepper, "KC0123456789", key, "123456");
    c.bench_function("keycard/verify_code", |b| {
        b.iter(|| keycard::verify_code(&pepper, "KC0123456789", key, black_box("123 456"), &stored))
    });
}

fn password_policy(c: &mut Criterion) {
    let policy = PasswordPolicy::default();
    let user = UserId::parse("123456789").unwrap_or_else(|_| unreachable!());
    let cpr = Cpr::parse("070761-4285", today()).unwrap_or_else(|_| unreachable!());
    let password = SecretString::new("Tusind-Tak-Aarhus-7");
    c.bench_function("password/check_policy", |b| {
        b.iter(|| check_password(&policy, black_box(&password), &user, &cpr, Some("anne.h")))
    });
}

/// `n` distinct persons as a population CSV (born 1950–1999, residents).
fn population_csv(n: usize) -> Vec<u8> {
    let mut out = String::from("cpr,given_names,surname,address,residence\n");
    for i in 0..n {
        let (day, month, yy, serial) = (
            1 + i % 28,
            1 + (i / 28) % 12,
            50 + (i / 336) % 50,
            i / 16_800,
        );
        out.push_str(&format!(
            "{day:02}{month:02}{yy:02}-{serial:04},Anna Marie,Benchsen,\"Målevej {}, 8000 Aarhus C\",resident\n",
            i + 1
        ));
    }
    out.into_bytes()
}

fn population_parse(c: &mut Criterion) {
    const ROWS: usize = 100_000;
    let csv = population_csv(ROWS);
    let today = today();
    let mut group = c.benchmark_group("population");
    group.throughput(Throughput::Elements(ROWS as u64));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("parse_csv_100k", |b| {
        b.iter(|| {
            let ok = records(black_box(&csv[..]), ImportFormat::Csv, today)
                .filter(Result::is_ok)
                .count();
            assert_eq!(ok, ROWS);
        })
    });
    group.finish();
}

fn quick() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = rules;
    config = quick();
    targets = cpr_parse, keycard_verify, password_policy, population_parse
}
criterion_main!(rules);
