//! Letters against a real store on both backends: marking one dispatched is
//! a one-time thing, whoever presses at once; printing is audited.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use nyckel_core::audit::AuditEvent;
use nyckel_service::letters::{self, Dispatched, LetterFormat, Printed};
use nyckel_testkit::TestDb;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_letter_pressed_dispatched_eight_times_at_once_is_dispatched_once() {
    for db in TestDb::each().await {
        let store = db.open().await;
        let (nyckel, identity, ids) = common::enrolled(&store).await;
        let letter = ids[0].clone();
        let now = nyckel.now();

        let printed = letters::print(&store, &letter, LetterFormat::Text, "anna", now)
            .await
            .unwrap();
        assert!(matches!(printed, Printed::Content(ref c) if c.contains("activation")));

        let start = Arc::new(tokio::sync::Barrier::new(8));
        let presses: Vec<_> = (0..8)
            .map(|i| {
                let store = store.clone();
                let letter = letter.clone();
                let start = start.clone();
                tokio::spawn(async move {
                    start.wait().await;
                    letters::mark_dispatched(&store, &letter, &format!("op{i}"), now).await
                })
            })
            .collect();
        let mut done = 0;
        let mut already = 0;
        for p in presses {
            match p.await.unwrap().unwrap() {
                Dispatched::Done(_) => done += 1,
                Dispatched::Already(_) => already += 1,
                Dispatched::NotFound => panic!("the letter exists"),
            }
        }
        assert_eq!((done, already), (1, 7), "{:?}", db.backend);

        // Its content is gone; the log has one print and one dispatch.
        assert!(matches!(
            letters::print(&store, &letter, LetterFormat::Text, "anna", now)
                .await
                .unwrap(),
            Printed::Dispatched(_)
        ));
        let mut tx = store.read().await.unwrap();
        let entries = tx.find_audit_by_subject(&identity, 50).await.unwrap();
        tx.commit().await.unwrap();
        let events: Vec<AuditEvent> = entries.iter().map(|e| e.event()).collect();
        let dispatched = events
            .iter()
            .filter(|e| matches!(e, AuditEvent::LetterDispatched { .. }))
            .count();
        let printed = events
            .iter()
            .filter(|e| matches!(e, AuditEvent::LetterPrinted { format, .. } if format == "text"))
            .count();
        assert_eq!((printed, dispatched), (1, 1), "{events:?}");
        assert!(matches!(
            letters::mark_dispatched(&store, "no-such-letter", "anna", now)
                .await
                .unwrap(),
            Dispatched::NotFound
        ));
        store.close().await;
    }
}
