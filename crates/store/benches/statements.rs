//! What one statement costs on the embedded SQLite database through the
//! store (rusqlite, in place; sessions 1–2 measured sqlx's connection
//! thread here), as the login path makes them: a pooled connection and one
//! indexed read, an empty write transaction (`BEGIN IMMEDIATE` + `COMMIT`)
//! and a write transaction with one `UPDATE`. The login's overhead is
//! counted in these units (BENCHMARKS.md § What to change). Run with
//! `cargo bench -p nyckel-store --bench statements`.

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use nyckel_testkit::TestDb;

fn statements(c: &mut Criterion) {
    let Ok(rt) = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    else {
        return;
    };
    let db = TestDb::sqlite();
    let store = rt.block_on(db.open());
    rt.block_on(async {
        let mut tx = store.write().await?;
        tx.insert_flow("bench", "csrf", "{}", 0, i64::MAX).await?;
        tx.commit().await
    })
    .expect("a flow to read");

    c.bench_function("sqlite/read_one_row", |b| {
        b.iter(|| {
            rt.block_on(async {
                let mut tx = store.read().await?;
                tx.find_flow("bench", 1).await
            })
            .expect("read")
            .expect("the flow")
        })
    });
    c.bench_function("sqlite/write_tx_empty", |b| {
        b.iter(|| {
            rt.block_on(async { store.write().await?.commit().await })
                .expect("empty transaction")
        })
    });
    c.bench_function("sqlite/write_tx_one_update", |b| {
        b.iter(|| {
            rt.block_on(async {
                let mut tx = store.write().await?;
                tx.update_flow("bench", "{\"step\":\"identify\"}").await?;
                tx.commit().await
            })
            .expect("one update")
        })
    });
}

criterion_group! {
    name = bench;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    targets = statements
}
criterion_main!(bench);
