//! The `nyckel` binary end to end: every test runs the real binary against a
//! fresh database, on SQLite and (when reachable) on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{BufRead as _, BufReader};
use std::process::Stdio;
use std::time::Duration;

use common::*;
use nyckel_core::credential::{CredentialKind, CredentialStatus, IdentityStatus};
use nyckel_core::ids::UserId;
use nyckel_core::lockout::Trust;
use nyckel_core::secret::SecretString;
use nyckel_service::config::Config;
use nyckel_service::provider::CLIENT_CACHE_SECS;
use nyckel_service::{Nyckel, PasswordStep};

// ---------------------------------------------------------------------------
// population import

#[tokio::test]
async fn ok_import_csv_and_jsonl() {
    for env in Env::each().await {
        let rows = population();
        let run = env.import("people.csv", &rows[..5]).ok();
        assert!(
            run.stdout
                .starts_with("imported 5 persons (5 new, 0 changed, 0 unchanged) in "),
            "{run:?}"
        );
        assert!(run.stdout.contains("rows/s)"), "{run:?}");
        assert_eq!(env.count_persons().await, 5);

        // JSON Lines, named by the extension: 4 new, 1 already known.
        let path = env.file("people.jsonl", &jsonl(&rows[4..]));
        let run = env
            .run(&["population", "import", path.to_str().unwrap()])
            .ok();
        assert!(
            run.stdout.starts_with(&format!(
                "imported {} persons ({} new, 0 changed, 1 unchanged)",
                rows.len() - 4,
                rows.len() - 5
            )),
            "{run:?}"
        );
        assert_eq!(env.count_persons().await, rows.len() as i64);

        // JSON Lines without a telling extension: sniffed; --format forces it.
        let path = env.file("people.txt", &jsonl(&rows));
        let p = path.to_str().unwrap();
        env.run(&["population", "import", p]).ok();
        env.run(&["population", "import", p, "--format", "jsonl"])
            .ok();

        let imports: Vec<_> = env
            .audit()
            .await
            .into_iter()
            .filter(|e| e.action == "population.imported")
            .collect();
        assert_eq!(imports.len(), 4);
        assert_eq!(imports[0].actor, format!("operator:{USER}"));
        let detail: serde_json::Value = serde_json::from_str(&imports[0].detail).unwrap();
        assert_eq!(detail["file"], "people.csv");
        assert_eq!(detail["inserted"], 5);
    }
}

#[tokio::test]
async fn fail_import_bad_row_names_line_and_field_and_imports_nothing() {
    for env in Env::each().await {
        env.import("first.csv", &population()[..2]).ok();
        let before = env.count_persons().await;
        let audit_before = env.audit().await.len();

        // More than one chunk of good rows before the bad one, so that rows
        // already written to the database must be rolled back.
        let mut file = Vec::new();
        nyckel::generate::write_csv(&mut file, 1200, 11).unwrap();
        let mut file = String::from_utf8(file).unwrap();
        file.push_str("010190-1234,Bo,Holm,\"Torvet 1, 6700 Esbjerg\",on-holiday\n");
        let path = env.file("bad.csv", &file);
        let run = env.run(&["population", "import", path.to_str().unwrap()]);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(
            run.stderr.contains(&format!(
                "error: {}: line 1202, field residence: ",
                path.display()
            )),
            "{run:?}"
        );
        assert!(run.stderr.contains("nothing was imported"), "{run:?}");
        assert_eq!(env.count_persons().await, before);
        assert_eq!(env.audit().await.len(), audit_before);

        // A bad CPR number in JSON Lines.
        let path = env.file(
            "bad.jsonl",
            &format!(
                "{}{{\"cpr\":\"320190-1234\",\"given_names\":\"Bo\",\"surname\":\"Holm\",\"address\":\"Torvet 1\",\"residence\":\"resident\"}}\n",
                jsonl(&population()[2..4])
            ),
        );
        let run = env.run(&["population", "import", path.to_str().unwrap()]);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(run.stderr.contains("line 3, field cpr: "), "{run:?}");
        assert_eq!(env.count_persons().await, before);
    }
}

#[tokio::test]
async fn ok_reimport_with_changed_address_records_dated_change() {
    for env in Env::each().await {
        let mut rows = population();
        env.import("a.csv", &rows).ok();
        let t0 = chrono::Utc::now().timestamp_millis();
        rows[0].address = "Nørregade 7, 1165 København K";
        let run = env.import("b.csv", &rows).ok();
        let t1 = chrono::Utc::now().timestamp_millis();
        assert!(
            run.stdout
                .contains(&format!("(0 new, 1 changed, {} unchanged)", rows.len() - 1)),
            "{run:?}"
        );

        let store = env.store().await;
        let mut tx = store.read().await.unwrap();
        let p = tx
            .find_person_by_cpr(&parse_cpr(RESIDENT))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(p.record.address, "Nørregade 7, 1165 København K");
        let changes = tx.find_person_changes(&p.id).await.unwrap();
        tx.commit().await.unwrap();
        store.close().await;
        assert_eq!(changes.len(), 1, "{changes:?}");
        let (at, field, old, new) = &changes[0];
        assert!((t0..=t1).contains(at), "dated at the import: {at}");
        assert_eq!(field, "address");
        assert_eq!(old.as_deref(), Some("Vestergade 12, 8000 Aarhus C"));
        assert_eq!(new, "Nørregade 7, 1165 København K");
    }
}

#[tokio::test]
async fn ok_generated_population_imports() {
    for env in Env::each().await {
        let out = command()
            .args(["population", "generate", "--count", "3000", "--seed", "5"])
            .output()
            .unwrap();
        assert!(out.status.success());
        let csv = String::from_utf8(out.stdout).unwrap();
        assert_eq!(csv.lines().count(), 3001);
        let path = env.file("generated.csv", &csv);
        let run = env
            .run(&["population", "import", path.to_str().unwrap()])
            .ok();
        assert!(
            run.stdout
                .starts_with("imported 3000 persons (3000 new, 0 changed, 0 unchanged)"),
            "{run:?}"
        );
        assert_eq!(env.count_persons().await, 3000);
    }
}

// ---------------------------------------------------------------------------
// enroll

#[tokio::test]
async fn ok_enroll_json_shape() {
    for env in Env::each().await {
        env.import("p.csv", &population()).ok();
        let v = env.enroll_json(
            RESIDENT,
            &[
                "--channel",
                "service-centre",
                "--document",
                "danish-passport",
            ],
        );
        let user_id = v["user_id"].as_str().unwrap();
        assert!(UserId::parse(user_id).is_ok(), "{v}");
        assert_eq!(user_id.len(), 9);
        let code = v["activation_code"].as_str().unwrap();
        assert!(
            code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()),
            "{v}"
        );
        let card = &v["key_card"];
        assert!(card["card_id"].as_str().unwrap().starts_with("KC"));
        let codes = card["codes"].as_object().unwrap();
        assert_eq!(codes.len(), 148);
        for (key, code) in codes {
            assert!(key.len() == 4 && key.bytes().all(|b| b.is_ascii_digit()));
            let code = code.as_str().unwrap();
            assert!(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()));
        }
        assert_eq!(v["letters"].as_array().unwrap().len(), 2);

        // The human summary names the user ID and the letters, not the secrets.
        let run = env
            .run(&[
                "enroll",
                "--cpr",
                RESIDENT_2,
                "--channel",
                "bank",
                "--document",
                "danish-driving-licence",
                "--officer",
                "jens",
            ])
            .ok();
        assert!(run.stdout.contains("enrolled: user ID "), "{run:?}");
        assert!(run.stdout.contains("activation letter"), "{run:?}");
        let audit = env.audit().await;
        let last = audit.last().unwrap();
        assert_eq!(last.action, "enrollment.accepted");
        assert_eq!(last.actor, "operator:jens");
    }
}

#[tokio::test]
async fn fail_enroll_refusals_exit_3_naming_the_rule() {
    let sc = "service-centre";
    let cases: Vec<(&str, String, Vec<&str>, &str)> = vec![
        (
            "fail/under-15",
            child(),
            vec!["--channel", sc, "--document", "danish-passport"],
            "R-ENR-1 minimum age",
        ),
        (
            "fail/emigrated",
            EMIGRATED.into(),
            vec!["--channel", sc, "--document", "danish-passport"],
            "R-ENR-1 emigrated",
        ),
        (
            "fail/deceased",
            DECEASED.into(),
            vec!["--channel", sc, "--document", "danish-passport"],
            "R-ENR-1 deceased",
        ),
        (
            "fail/immigration-case",
            IMMIGRATION_CASE.into(),
            vec!["--channel", sc, "--document", "danish-residence-permit"],
            "R-ENR-1 open immigration case",
        ),
        (
            "fail/online-abroad-foreign-passport",
            RESIDENT_2.into(),
            vec![
                "--channel",
                "online-abroad",
                "--document",
                "foreign-passport",
                "--document",
                "yellow-health-card",
            ],
            "R-ENR-3c online from abroad",
        ),
        (
            "fail/short-term-without-witness",
            SHORT_TERM.into(),
            vec!["--channel", sc, "--document", "danish-residence-permit"],
            "R-ENR-3a short-term resident needs witness",
        ),
        (
            "fail/foreign-passport-without-health-card",
            RESIDENT_3.into(),
            vec!["--channel", "bank", "--document", "foreign-passport"],
            "R-ENR-2 non-Danish document needs health card",
        ),
        (
            "fail/not-in-register",
            "010101-1234".into(),
            vec!["--channel", sc, "--document", "danish-passport"],
            "R-CPR-2 population register",
        ),
    ];
    for env in Env::each().await {
        env.import("p.csv", &population()).ok();
        for (name, cpr, args, rule) in &cases {
            let mut all = vec!["enroll", "--cpr", cpr.as_str()];
            all.extend(args);
            let run = env.run(&all);
            assert_eq!(run.code, 3, "{name}: {run:?}");
            assert!(
                run.stderr.starts_with(&format!("refused ({rule}")),
                "{name}: {run:?}"
            );
            assert!(run.stdout.is_empty(), "{name}: {run:?}");
        }

        // Already enrolled: the second enrollment is refused.
        let args = ["--channel", sc, "--document", "danish-passport"];
        env.enroll_json(RESIDENT, &args);
        let mut again = vec!["enroll", "--cpr", RESIDENT];
        again.extend(args);
        let run = env.run(&again);
        assert_eq!(run.code, 3, "{run:?}");
        assert!(
            run.stderr
                .starts_with("refused (R-ENR-5 one active identity per person): "),
            "{run:?}"
        );

        // The short-term resident with a witness is accepted.
        env.enroll_json(
            SHORT_TERM,
            &[
                "--channel",
                sc,
                "--document",
                "danish-residence-permit",
                "--witness-cpr",
                WITNESS,
            ],
        );

        let actions = env.audit_actions().await;
        let refused = actions
            .iter()
            .filter(|a| *a == "enrollment.refused")
            .count();
        assert_eq!(refused, cases.len() + 1);
        assert_eq!(
            actions
                .iter()
                .filter(|a| *a == "enrollment.accepted")
                .count(),
            2
        );
    }
}

#[tokio::test]
async fn fail_enroll_usage_errors_exit_2_and_change_nothing() {
    for env in Env::each().await {
        env.import("p.csv", &population()).ok();
        let before = env.audit().await.len();
        for args in [
            vec![
                "enroll",
                "--cpr",
                "321385-2134",
                "--channel",
                "bank",
                "--document",
                "danish-passport",
            ],
            vec![
                "enroll",
                "--cpr",
                "15038-52134",
                "--channel",
                "bank",
                "--document",
                "danish-passport",
            ],
            vec![
                "enroll",
                "--cpr",
                RESIDENT,
                "--channel",
                "bank",
                "--document",
                "library-card",
            ],
            vec![
                "enroll",
                "--cpr",
                RESIDENT,
                "--channel",
                "post-office",
                "--document",
                "danish-passport",
            ],
            vec!["enroll", "--cpr", RESIDENT, "--channel", "bank"],
        ] {
            let run = env.run(&args);
            assert_eq!(run.code, 2, "{args:?}: {run:?}");
            assert!(run.stderr.starts_with("error: "), "{run:?}");
        }
        assert_eq!(env.audit().await.len(), before);
    }
}

#[test]
fn ok_enroll_help_lists_every_document_kind() {
    let out = command().args(["enroll", "--help"]).output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for d in nyckel_core::enrollment::DocumentKind::ALL {
        assert!(
            help.contains(&format!("{}: {}", d.as_str(), d.description()))
                || help.contains(d.description()),
            "{d} in\n{help}"
        );
        assert!(help.contains(d.as_str()), "{d}");
    }
}

// ---------------------------------------------------------------------------
// outbox

/// Letters and key cards are written in the language chosen at enrollment.
#[tokio::test]
async fn ok_letters_in_the_holders_language() {
    for env in Env::each().await {
        env.import("p.csv", &population()).ok();
        let sv = env.enroll_json(
            RESIDENT_2,
            &[
                "--channel",
                "service-centre",
                "--document",
                "danish-passport",
                "--language",
                "sv",
            ],
        );
        let sv_letters = sv["letters"].as_array().unwrap();
        let letter = env
            .run(&["outbox", "print", sv_letters[0].as_str().unwrap()])
            .ok()
            .stdout;
        assert!(letter.contains("Din aktiveringskod:"), "{letter}");
        assert!(letter.contains("Ditt användar-ID"), "{letter}");
        let card_html = env
            .run(&[
                "outbox",
                "print",
                sv_letters[1].as_str().unwrap(),
                "--format",
                "html",
            ])
            .ok()
            .stdout;
        assert!(card_html.contains("<html lang=\"sv\">"), "{card_html}");
        assert!(card_html.contains("engångskoder"), "{card_html}");
        let run = env.run(&[
            "enroll",
            "--cpr",
            RESIDENT_3,
            "--channel",
            "service-centre",
            "--document",
            "danish-passport",
            "--language",
            "de",
        ]);
        assert_eq!(run.code, 2, "{run:?}");
    }
}

#[tokio::test]
async fn ok_outbox_list_print_dispatched() {
    for env in Env::each().await {
        env.import("p.csv", &population()).ok();
        let v = env.enroll_json(
            RESIDENT,
            &[
                "--channel",
                "service-centre",
                "--document",
                "danish-passport",
            ],
        );
        let letters: Vec<String> = v["letters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap().to_owned())
            .collect();
        let (activation, card) = (&letters[0], &letters[1]);

        let run = env.run(&["outbox", "list"]).ok();
        assert!(run.stdout.contains(activation) && run.stdout.contains(card));
        assert!(run.stdout.contains("activation-letter"));
        assert!(run.stdout.contains("Mette Jensen"));
        let list = env.run(&["outbox", "list", "--json"]).ok().json();
        assert_eq!(list.as_array().unwrap().len(), 2);
        assert_eq!(list[0]["dispatched"], false);

        // The activation letter carries the user ID and the code.
        let text = env.run(&["outbox", "print", activation]).ok().stdout;
        assert!(text.contains(v["user_id"].as_str().unwrap()), "{text}");
        assert!(
            text.contains(v["activation_code"].as_str().unwrap()),
            "{text}"
        );
        // In the holder's language: Danish unless enrolled with another.
        assert!(text.contains("Din aktiveringskode"), "{text}");
        // It has no HTML version; the key card has.
        let run = env.run(&["outbox", "print", activation, "--format", "html"]);
        assert_eq!(run.code, 1, "{run:?}");
        let html = env
            .run(&["outbox", "print", card, "--format", "html"])
            .ok()
            .stdout;
        assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
        assert!(html.contains("<html lang=\"da\">"), "{html}");
        let (key, code) = v["key_card"]["codes"]
            .as_object()
            .unwrap()
            .iter()
            .next()
            .unwrap();
        let text = env.run(&["outbox", "print", card]).ok().stdout;
        assert!(
            text.contains(&format!("{key}  {}", code.as_str().unwrap())),
            "{text}"
        );

        let run = env
            .run(&["outbox", "dispatched", activation, "--by", "postmaster"])
            .ok();
        assert!(run.stdout.contains("marked dispatched"), "{run:?}");
        // Printing it now fails: the content is gone.
        let run = env.run(&["outbox", "print", activation]);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(run.stderr.contains("no longer kept"), "{run:?}");
        let run = env.run(&["outbox", "dispatched", activation]);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(run.stderr.contains("already dispatched"), "{run:?}");
        let run = env.run(&["outbox", "print", "LNOSUCHLETTER"]);
        assert_eq!(run.code, 1, "{run:?}");

        let store = env.store().await;
        let mut tx = store.read().await.unwrap();
        let letter = tx.find_letter(activation).await.unwrap().unwrap();
        tx.commit().await.unwrap();
        store.close().await;
        assert_eq!(letter.body, None);
        assert_eq!(letter.dispatched_by.as_deref(), Some("postmaster"));

        // Only the key card is waiting now; --all shows both.
        let list = env.run(&["outbox", "list", "--json"]).ok().json();
        assert_eq!(list.as_array().unwrap().len(), 1);
        let list = env.run(&["outbox", "list", "--all", "--json"]).ok().json();
        assert_eq!(list.as_array().unwrap().len(), 2);
        let sent = list
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["id"] == activation.as_str())
            .unwrap();
        assert_eq!(sent["dispatched_by"], "postmaster");
        assert_eq!(sent["dispatched"], true);

        let audit = env.audit().await;
        let dispatched: Vec<_> = audit
            .iter()
            .filter(|e| e.action == "outbox.dispatched")
            .collect();
        assert_eq!(dispatched.len(), 1);
        assert_eq!(dispatched[0].actor, "operator:postmaster");
        assert!(dispatched[0].detail.contains(activation.as_str()));
        assert_eq!(
            audit
                .iter()
                .filter(|e| e.action == "outbox.printed")
                .count(),
            3
        );
    }
}

// ---------------------------------------------------------------------------
// block / unblock

/// The holder's first login up to choosing a password, through the services
/// (as the login pages do it), so that there is a password to block.
async fn set_password(env: &Env, user_id: &str, activation_code: &str) {
    let config = Config {
        data_dir: env.dir.path().to_owned(),
        database_url: Some(env.db.url.clone()),
        ..Config::default()
    };
    let nyckel: Nyckel = nyckel::settings::open_nyckel(config).await.unwrap();
    let user_id = UserId::parse(user_id).unwrap();
    let mut tx = nyckel.store.read().await.unwrap();
    let identity = tx
        .find_identity_by_user_id(&user_id)
        .await
        .unwrap()
        .unwrap();
    tx.commit().await.unwrap();
    let step = nyckel
        .check_password_step(
            Some(&identity),
            &SecretString::new(activation_code),
            Trust::Untrusted,
            "127.0.0.1",
        )
        .await
        .unwrap();
    let PasswordStep::ActivationCode(identity) = step else {
        panic!("activation code refused: {step:?}");
    };
    nyckel
        .set_password(&identity, &SecretString::new("Odense-Vinter-2031"))
        .await
        .unwrap()
        .unwrap();
    nyckel.store.close().await;
}

async fn credential_statuses(
    env: &Env,
    user_id: &str,
    kind: CredentialKind,
) -> Vec<CredentialStatus> {
    let store = env.store().await;
    let mut tx = store.read().await.unwrap();
    let identity = tx
        .find_identity_by_user_id(&UserId::parse(user_id).unwrap())
        .await
        .unwrap()
        .unwrap();
    let creds = tx.find_live_credentials(&identity.id, kind).await.unwrap();
    tx.commit().await.unwrap();
    store.close().await;
    creds.into_iter().map(|c| c.status).collect()
}

async fn identity_status(env: &Env, user_id: &str) -> IdentityStatus {
    let store = env.store().await;
    let mut tx = store.read().await.unwrap();
    let identity = tx
        .find_identity_by_user_id(&UserId::parse(user_id).unwrap())
        .await
        .unwrap()
        .unwrap();
    tx.commit().await.unwrap();
    store.close().await;
    identity.status
}

#[tokio::test]
async fn ok_block_and_unblock_via_cli_are_audited() {
    for env in Env::each().await {
        env.import("p.csv", &population()).ok();
        let v = env.enroll_json(
            RESIDENT,
            &["--channel", "bank", "--document", "danish-passport"],
        );
        let user = v["user_id"].as_str().unwrap().to_owned();
        let op = |cmd: &'static str, what: &'static str| {
            let user = user.clone();
            move |env: &Env| {
                env.run(&[
                    cmd,
                    "--user",
                    &user,
                    "--what",
                    what,
                    "--reason",
                    "holder called: card stolen",
                    "--operator",
                    "support-1",
                ])
            }
        };

        // Before activation there is no password to block.
        let run = op("block", "password")(&env);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(run.stderr.contains("no password"), "{run:?}");

        set_password(&env, &user, v["activation_code"].as_str().unwrap()).await;
        let run = op("block", "password")(&env).ok();
        assert!(run.stdout.contains("blocked the password"), "{run:?}");
        assert_eq!(
            credential_statuses(&env, &user, CredentialKind::Password).await,
            [CredentialStatus::BlockedBySupport]
        );
        let run = op("block", "password")(&env);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(run.stderr.contains("already blocked"), "{run:?}");

        // Unblocking the password retires it and sends a new activation code.
        let run = op("unblock", "password")(&env).ok();
        let letter = run
            .stdout
            .split_whitespace()
            .find(|w| w.starts_with('L') && w.len() == 11)
            .unwrap_or_else(|| panic!("{run:?}"))
            .to_owned();
        let text = env.run(&["outbox", "print", &letter]).ok().stdout;
        assert!(text.contains("aktiveringskode"), "{text}");
        assert!(
            credential_statuses(&env, &user, CredentialKind::Password)
                .await
                .is_empty()
        );

        op("block", "key-card")(&env).ok();
        assert_eq!(
            credential_statuses(&env, &user, CredentialKind::KeyCard).await,
            [CredentialStatus::BlockedBySupport]
        );
        op("unblock", "key-card")(&env).ok();

        op("block", "identity")(&env).ok();
        assert_eq!(
            identity_status(&env, &user).await,
            IdentityStatus::BlockedBySupport
        );
        let run = op("block", "identity")(&env);
        assert_eq!(run.code, 1, "{run:?}");
        op("unblock", "identity")(&env).ok();
        assert_eq!(
            identity_status(&env, &user).await,
            IdentityStatus::PendingActivation
        );
        let run = op("unblock", "identity")(&env);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(run.stderr.contains("not blocked"), "{run:?}");

        let audit = env.audit().await;
        let ops: Vec<(String, serde_json::Value)> = audit
            .iter()
            .filter(|e| e.action == "block" || e.action == "unblock")
            .map(|e| {
                assert_eq!(e.actor, "operator:support-1");
                let d: serde_json::Value = serde_json::from_str(&e.detail).unwrap();
                assert_eq!(d["reason"], "holder called: card stolen");
                (e.action.clone(), d["what"].clone())
            })
            .collect();
        let expected = [
            ("block", "password"),
            ("unblock", "password"),
            ("block", "key-card"),
            ("unblock", "key-card"),
            ("block", "identity"),
            ("unblock", "identity"),
        ];
        assert_eq!(ops.len(), expected.len(), "{ops:?}");
        for ((action, what), (a, w)) in ops.iter().zip(expected) {
            assert_eq!((action.as_str(), what.as_str().unwrap()), (a, w));
        }
        let unblock_password = audit
            .iter()
            .find(|e| e.action == "unblock" && e.detail.contains("password"))
            .unwrap();
        assert!(unblock_password.detail.contains(&letter));
    }
}

#[tokio::test]
async fn fail_block_unknown_user() {
    for env in Env::each().await {
        let run = env.run(&[
            "block",
            "--user",
            "123456789",
            "--what",
            "identity",
            "--reason",
            "x",
        ]);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(
            run.stderr.contains("no identity with user ID 123456789"),
            "{run:?}"
        );
        let run = env.run(&[
            "unblock", "--user", "12345", "--what", "identity", "--reason", "x",
        ]);
        assert_eq!(run.code, 2, "{run:?}");
    }
}

// ---------------------------------------------------------------------------
// audit verify

async fn env_with_history() -> Vec<Env> {
    let envs = Env::each().await;
    for env in &envs {
        env.import("p.csv", &population()).ok();
        env.enroll_json(
            RESIDENT,
            &["--channel", "bank", "--document", "danish-passport"],
        );
        let run = env.run(&[
            "enroll",
            "--cpr",
            DECEASED,
            "--channel",
            "bank",
            "--document",
            "danish-passport",
        ]);
        assert_eq!(run.code, 3);
    }
    envs
}

#[tokio::test]
async fn ok_audit_verify() {
    for env in env_with_history().await {
        let n = env.audit().await.len();
        assert_eq!(n, 3);
        let run = env.run(&["audit", "verify"]).ok();
        assert_eq!(run.stdout.trim(), format!("audit log OK: {n} entries"));
    }
}

#[tokio::test]
async fn fail_audit_verify_edited_entry() {
    for env in env_with_history().await {
        let store = env.store().await;
        let n = store
            .dangerous_execute_raw("UPDATE audit_log SET actor = 'operator:mallory' WHERE seq = 2")
            .await
            .unwrap();
        assert_eq!(n, 1);
        store.close().await;
        let run = env.run(&["audit", "verify"]);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(
            run.stdout.starts_with("audit log BROKEN at entry 2: "),
            "{run:?}"
        );
    }
}

#[tokio::test]
async fn fail_audit_verify_deleted_entry() {
    for env in env_with_history().await {
        let store = env.store().await;
        store
            .dangerous_execute_raw("DELETE FROM audit_log WHERE seq = 2")
            .await
            .unwrap();
        store.close().await;
        let run = env.run(&["audit", "verify"]);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(
            run.stdout.starts_with("audit log BROKEN at entry 2: "),
            "{run:?}"
        );
    }
}

#[tokio::test]
async fn fail_audit_verify_deleted_last_entry() {
    for env in env_with_history().await {
        let store = env.store().await;
        store
            .dangerous_execute_raw("DELETE FROM audit_log WHERE seq = 3")
            .await
            .unwrap();
        store.close().await;
        let run = env.run(&["audit", "verify"]);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(
            run.stdout.starts_with("audit log BROKEN at entry 3: "),
            "{run:?}"
        );
    }
}

// ---------------------------------------------------------------------------
// configuration and secret key

#[tokio::test]
async fn ok_config_precedence_file_env_flags() {
    let env = Env::sqlite();
    env.import("p.csv", &population()).ok();
    let bogus = format!(
        "sqlite://{}",
        env.dir.path().join("missing/dir/x.db").display()
    );
    let toml = env.file(
        "nyckel.toml",
        &format!(
            "database_url = \"{}\"\ndatabase_max_connections = 2\n\n[argon2]\nmemory_kib = 4096\n",
            env.db.url
        ),
    );
    let verify = |cmd: &mut std::process::Command| -> Run {
        cmd.args(["audit", "verify"]).output().unwrap().into()
    };

    // The file alone, by flag and by NYCKEL_CONFIG.
    let run = verify(command().arg("--config").arg(&toml)).ok();
    assert_eq!(run.stdout.trim(), "audit log OK: 1 entries");
    verify(command().env("NYCKEL_CONFIG", &toml)).ok();

    // The environment beats the file.
    let run = verify(
        command()
            .env("NYCKEL_CONFIG", &toml)
            .env("NYCKEL_DATABASE_URL", &bogus),
    );
    assert_eq!(run.code, 1, "{run:?}");
    // The flag beats the environment.
    verify(
        command()
            .env("NYCKEL_CONFIG", &toml)
            .env("NYCKEL_DATABASE_URL", &bogus)
            .arg("--database-url")
            .arg(&env.db.url),
    )
    .ok();

    // Unknown keys are refused, naming them; a missing file is an error.
    let bad = env.file("bad.toml", "databse_url = \"x\"\n");
    let run = verify(command().arg("--config").arg(&bad));
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("databse_url"), "{run:?}");
    let run = verify(
        command()
            .arg("--config")
            .arg(env.dir.path().join("nope.toml")),
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("not found"), "{run:?}");
    let run = verify(
        command()
            .arg("--database-url")
            .arg(&env.db.url)
            .env("NYCKEL_ARGON2__MEMORY_KIBI", "1"),
    );
    assert_eq!(run.code, 1, "{run:?}");
}

#[tokio::test]
async fn ok_secret_key_generated_once_or_from_config() {
    let env = Env::sqlite();
    env.import("p.csv", &population()).ok();
    let data = env.dir.path().join("fresh/data");
    let run = |extra: &[&str], cpr: &str| -> Run {
        command()
            .arg("--database-url")
            .arg(&env.db.url)
            .arg("--data-dir")
            .arg(&data)
            .args(extra)
            .args([
                "enroll",
                "--cpr",
                cpr,
                "--channel",
                "bank",
                "--document",
                "danish-passport",
            ])
            .output()
            .unwrap()
            .into()
    };
    run(&[], RESIDENT).ok();
    let key_file = data.join("secret.key");
    let key = std::fs::read_to_string(&key_file).unwrap();
    assert_eq!(hex::decode(key.trim()).unwrap().len(), 64);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    run(&[], RESIDENT_2).ok();
    assert_eq!(
        std::fs::read_to_string(&key_file).unwrap(),
        key,
        "read, not replaced"
    );

    // A configured key is used instead; a short one is refused.
    let mut cmd = command();
    cmd.env("NYCKEL_SECRET_KEY", "ab".repeat(32));
    let other = env.dir.path().join("other");
    let out: Run = cmd
        .arg("--database-url")
        .arg(&env.db.url)
        .arg("--data-dir")
        .arg(&other)
        .args([
            "enroll",
            "--cpr",
            RESIDENT_3,
            "--channel",
            "bank",
            "--document",
            "danish-passport",
        ])
        .output()
        .unwrap()
        .into();
    assert_eq!(out.code, 0, "{out:?}");
    assert!(!other.join("secret.key").exists());
    let out: Run = command()
        .env("NYCKEL_SECRET_KEY", "abcd")
        .arg("--database-url")
        .arg(&env.db.url)
        .args([
            "enroll",
            "--cpr",
            WITNESS,
            "--channel",
            "bank",
            "--document",
            "danish-passport",
        ])
        .output()
        .unwrap()
        .into();
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("secret"), "{out:?}");
}

// ---------------------------------------------------------------------------
// serve and demo

/// Reads lines of a child's output on a thread, so that a test can wait for
/// one with a timeout.
fn lines_of(stream: impl std::io::Read + Send + 'static) -> std::sync::mpsc::Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn wait_for(
    rx: &std::sync::mpsc::Receiver<String>,
    what: impl Fn(&str) -> bool,
) -> (String, Vec<String>) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) if what(&line) => return (line, seen),
            Ok(line) => seen.push(line),
            Err(e) => panic!("{e}; output so far:\n{}", seen.join("\n")),
        }
    }
}

#[tokio::test]
async fn ok_serve_listens_and_logs_json() {
    for env in Env::each().await {
        let mut child = command()
            .arg("--database-url")
            .arg(&env.db.url)
            .arg("--data-dir")
            .arg(env.dir.path())
            .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = lines_of(child.stderr.take().unwrap());
        let (line, _) = wait_for(&stderr, |l| l.contains("listening"));
        let log: serde_json::Value = serde_json::from_str(&line).unwrap();
        let addr: std::net::SocketAddr = log["fields"]["addr"].as_str().unwrap().parse().unwrap();
        let connected = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(5));
        child.kill().unwrap();
        child.wait().unwrap();
        connected.unwrap();
    }
}

#[tokio::test]
async fn ok_demo_has_an_active_holder_and_starts_afresh() {
    let dir = TempDir::new();
    let data = dir.path().join("demo");
    let mut user_ids = Vec::new();
    for _ in 0..2 {
        let mut child = command()
            .arg("--data-dir")
            .arg(&data)
            .args([
                "demo",
                "--listen",
                "127.0.0.1:0",
                "--sp-listen",
                "127.0.0.1:0",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = lines_of(child.stdout.take().unwrap());
        let (password, before) = wait_for(&stdout, |l| l.contains("Password"));
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(password.contains(nyckel::demo::DEMO_PASSWORD), "{password}");
        let user_line = before.iter().find(|l| l.contains("User ID")).unwrap();
        let user_id: String = user_line.chars().filter(char::is_ascii_digit).collect();
        assert!(
            before
                .iter()
                .any(|l| l.contains("Open      http://127.0.0.1:"))
        );

        let store = nyckel_store::Store::open(
            &format!("sqlite://{}", data.join("nyckel.db").display()),
            &Default::default(),
        )
        .await
        .unwrap();
        let mut tx = store.read().await.unwrap();
        assert!(tx.count_persons().await.unwrap() >= 12);
        let identity = tx
            .find_identity_by_user_id(&UserId::parse(&user_id).unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(identity.status, IdentityStatus::Active);
        assert_eq!(identity.terms_version, Some(nyckel_core::terms::VERSION));
        let entries = tx.find_audit_after(0, 1000).await.unwrap();
        tx.commit().await.unwrap();
        let report = store.verify_audit().await.unwrap();
        store.close().await;
        assert!(report.result.is_ok());
        let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
        for a in [
            "population.imported",
            "enrollment.accepted",
            "password.set",
            "terms.accepted",
            "identity.activated",
            "login.succeeded",
        ] {
            assert!(actions.contains(&a), "{a} in {actions:?}");
        }
        // Fresh every time: only this run's holder is there.
        assert_eq!(
            entries
                .iter()
                .filter(|e| e.action == "enrollment.accepted")
                .count(),
            1
        );
        user_ids.push(user_id);
    }
    assert_ne!(user_ids[0], user_ids[1]);
}

// ---------------------------------------------------------------------------
// OpenID clients and signing keys

/// The client ID in `client add`'s human summary.
fn client_id_of(run: &Run) -> String {
    run.stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("client_id"))
        .map(|v| v.trim().to_owned())
        .unwrap_or_else(|| panic!("no client_id: {run:?}"))
}

#[tokio::test]
async fn ok_client_add_list_show_disable_enable_delete_are_audited() {
    for env in Env::each().await {
        // A machine client: client_credentials only, no redirect URI.
        let machine = env
            .run(&[
                "client",
                "add",
                "--name",
                "skat.batch",
                "--grant-type",
                "client_credentials",
                "--json",
            ])
            .ok()
            .json();
        let machine_id = machine["client_id"].as_str().unwrap().to_owned();
        let machine_secret = machine["client_secret"].as_str().unwrap().to_owned();
        assert!(machine_id.starts_with("nyckel-"), "{machine}");
        assert_eq!(machine_secret.len(), 43, "{machine}");
        assert_eq!(machine.as_object().unwrap().len(), 2, "{machine}");

        // A web service with the defaults, human output: the secret once, with a warning.
        let run = env
            .run(&[
                "client",
                "add",
                "--name",
                "borger.example",
                "--redirect-uri",
                "https://borger.example/cb",
                "--redirect-uri",
                "http://127.0.0.1:9000/cb",
                "--post-logout-redirect-uri",
                "https://borger.example/",
                "--allow-cpr",
                "--id-token-alg",
                "RS256",
                "--operator",
                "anna",
            ])
            .ok();
        let web_id = client_id_of(&run);
        assert!(run.stdout.contains("client_secret  "), "{run:?}");
        assert!(run.stdout.contains("cannot show it again"), "{run:?}");
        assert!(
            run.stdout
                .contains("grant types    authorization_code, refresh_token"),
            "{run:?}"
        );

        // A public app: no secret at all.
        let app = env
            .run(&[
                "client",
                "add",
                "--name",
                "borger.app",
                "--public",
                "--redirect-uri",
                "dk.borger.app:/cb",
                "--subject-type",
                "public",
                "--json",
            ])
            .ok()
            .json();
        let app_id = app["client_id"].as_str().unwrap().to_owned();
        assert!(app.get("client_secret").is_none(), "{app}");

        // Listing and showing never print the secret or its hash.
        let list = env.run(&["client", "list", "--json"]).ok();
        assert!(!list.stdout.contains(&machine_secret));
        assert!(!list.stdout.contains("secret_hash"));
        let clients = list.json();
        let clients = clients.as_array().unwrap();
        assert_eq!(clients.len(), 3);
        let web = clients.iter().find(|c| c["client_id"] == web_id).unwrap();
        assert_eq!(web["auth_method"], "client_secret_basic");
        assert_eq!(web["subject_type"], "pairwise");
        assert_eq!(web["allow_cpr"], true);
        assert_eq!(web["has_secret"], true);
        assert_eq!(
            web["grant_types"],
            serde_json::json!(["authorization_code", "refresh_token"])
        );
        assert_eq!(web["redirect_uris"].as_array().unwrap().len(), 2);
        assert_eq!(web["id_token_alg"], "RS256");
        let shown = env.run(&["client", "show", &app_id, "--json"]).ok().json();
        assert_eq!(shown["auth_method"], "none");
        assert_eq!(shown["public"], true);
        assert_eq!(shown["has_secret"], false);
        assert_eq!(shown["subject_type"], "public");
        let human = env.run(&["client", "list"]).ok();
        assert!(human.stdout.contains("borger.example"), "{human:?}");
        let human = env.run(&["client", "show", &machine_id]).ok();
        assert!(human.stdout.contains("client_credentials"), "{human:?}");
        assert!(!human.stdout.contains(&machine_secret));
        let missing = env.run(&["client", "show", "nyckel-nope"]);
        assert_eq!(missing.code, 1, "{missing:?}");
        assert!(
            missing.stderr.contains("no client nyckel-nope"),
            "{missing:?}"
        );

        // Disable, disable again (nothing to do), enable, delete.
        let run = env.run(&["client", "disable", &machine_id]).ok();
        assert!(run.stdout.starts_with("disabled client"), "{run:?}");
        let status =
            |id: &str| env.run(&["client", "show", id, "--json"]).ok().json()["status"].clone();
        assert_eq!(status(&machine_id), "disabled");
        let run = env.run(&["client", "disable", &machine_id]).ok();
        assert!(run.stdout.contains("already disabled"), "{run:?}");
        env.run(&["client", "enable", &machine_id]).ok();
        assert_eq!(status(&machine_id), "active");
        let run = env
            .run(&["client", "delete", &app_id, "--operator", "jens"])
            .ok();
        assert!(run.stdout.starts_with("deleted client"), "{run:?}");
        assert_eq!(
            env.run(&["client", "list", "--json"])
                .ok()
                .json()
                .as_array()
                .unwrap()
                .len(),
            2
        );
        for cmd in ["disable", "enable", "delete"] {
            let run = env.run(&["client", cmd, &app_id]);
            assert_eq!(run.code, 1, "{cmd}: {run:?}");
        }

        let audit = env.audit().await;
        let client_events: Vec<(&str, &str, &str)> = audit
            .iter()
            .filter(|e| e.action.starts_with("oidc.client."))
            .map(|e| {
                (
                    e.action.as_str(),
                    e.actor.as_str(),
                    e.subject.as_deref().unwrap_or_default(),
                )
            })
            .collect();
        let machine_subject = format!("client:{machine_id}");
        let web_subject = format!("client:{web_id}");
        let app_subject = format!("client:{app_id}");
        assert_eq!(
            client_events,
            [
                (
                    "oidc.client.added",
                    "operator:tester",
                    machine_subject.as_str()
                ),
                ("oidc.client.added", "operator:anna", web_subject.as_str()),
                ("oidc.client.changed", "operator:anna", web_subject.as_str()),
                ("oidc.client.added", "operator:tester", app_subject.as_str()),
                (
                    "oidc.client.disabled",
                    "operator:tester",
                    machine_subject.as_str()
                ),
                (
                    "oidc.client.enabled",
                    "operator:tester",
                    machine_subject.as_str()
                ),
                ("oidc.client.deleted", "operator:jens", app_subject.as_str()),
            ]
        );
        assert!(
            audit.iter().all(|e| !e.detail.contains(&machine_secret)),
            "no secret in the audit log"
        );
        env.run(&["audit", "verify"]).ok();
    }
}

#[tokio::test]
async fn fail_client_add_contradictions_register_nothing() {
    let env = Env::sqlite();
    let private_jwks = env.file(
        "private.jwks",
        r#"{"keys": [{"kty": "EC", "crv": "P-256", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0", "d": "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"}]}"#,
    );
    let jwks_arg = private_jwks.to_str().unwrap();
    let cb = "https://borger.example/cb";
    let cases: &[(&str, &[&str], i32, &str)] = &[
        (
            "fail/public-with-secret-method",
            &[
                "--public",
                "--auth-method",
                "client_secret_post",
                "--redirect-uri",
                cb,
            ],
            2,
            "--public means --auth-method none",
        ),
        (
            "fail/login-without-redirect-uri",
            &[],
            2,
            "needs --redirect-uri",
        ),
        (
            "fail/public-with-cpr",
            &["--public", "--allow-cpr", "--redirect-uri", cb],
            2,
            "CPR",
        ),
        (
            "fail/private-key-jwt-without-keys",
            &["--auth-method", "private_key_jwt", "--redirect-uri", cb],
            2,
            "--jwks FILE",
        ),
        (
            "fail/private-keys-in-jwks",
            &[
                "--auth-method",
                "private_key_jwt",
                "--jwks",
                jwks_arg,
                "--redirect-uri",
                cb,
            ],
            1,
            "JWKS",
        ),
        (
            "fail/http-redirect-off-loopback",
            &["--redirect-uri", "http://borger.example/cb"],
            1,
            "http only on loopback",
        ),
        (
            "fail/fragment-in-redirect-uri",
            &["--redirect-uri", "https://borger.example/cb#x"],
            1,
            "fragment",
        ),
        (
            "fail/newline-in-redirect-uri",
            &["--redirect-uri", "https://borger.example/cb\nX"],
            1,
            "control characters",
        ),
        (
            "fail/redirect-uri-not-in-normal-form",
            &["--redirect-uri", "https://Borger.example/cb"],
            1,
            "normal form",
        ),
        (
            "fail/grant-type-names-use-underscores",
            &["--grant-type", "client-credentials"],
            2,
            "client_credentials",
        ),
        (
            "fail/access-token-lifetime-below-a-minute",
            &["--redirect-uri", cb, "--access-token-lifetime", "59"],
            2,
            "--access-token-lifetime: access-token lifetime 59 s is out of bounds: choose 60 to 3600 seconds",
        ),
        (
            "fail/access-token-lifetime-above-an-hour",
            &[
                "--grant-type",
                "client_credentials",
                "--access-token-lifetime",
                "3601",
            ],
            2,
            "choose 60 to 3600 seconds",
        ),
        (
            "fail/access-token-lifetime-not-a-number",
            &["--redirect-uri", cb, "--access-token-lifetime", "5m"],
            2,
            "--access-token-lifetime",
        ),
    ];
    for (name, extra, code, says) in cases {
        let mut args = vec!["client", "add", "--name", "x"];
        args.extend_from_slice(extra);
        let run = env.run(&args);
        assert_eq!(run.code, *code, "{name}: {run:?}");
        assert!(run.stderr.contains(says), "{name}: {run:?}");
    }
    assert_eq!(
        env.run(&["client", "list", "--json"]).ok().stdout.trim(),
        "[]"
    );
    assert!(
        !env.audit_actions()
            .await
            .iter()
            .any(|a| a == "oidc.client.added")
    );
    let help = command()
        .args(["client", "add", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("not used yet"),
        "--jwks-uri is only stored: {help}"
    );
}

/// `--access-token-lifetime` is stored with the client and shown.
#[tokio::test]
async fn ok_client_add_access_token_lifetime() {
    let env = Env::sqlite();
    let added = env
        .run(&[
            "client",
            "add",
            "--name",
            "skat.batch",
            "--grant-type",
            "client_credentials",
            "--access-token-lifetime",
            "900",
            "--json",
        ])
        .ok()
        .json();
    let id = added["client_id"].as_str().unwrap().to_owned();
    let shown = env.run(&["client", "show", &id, "--json"]).ok().json();
    assert_eq!(shown["access_token_lifetime"], 900, "{shown}");
    let run = env
        .run(&[
            "client",
            "add",
            "--name",
            "borger.example",
            "--redirect-uri",
            "https://borger.example/cb",
        ])
        .ok();
    assert!(run.stdout.contains("access tokens  live 300 s"), "{run:?}");
    let shown = env.run(&["client", "show", &client_id_of(&run)]).ok();
    assert!(shown.stdout.contains("live 300 s"), "{shown:?}");
}

/// Starts `nyckel serve` on a free port; returns the child and its address.
fn serve(env: &Env) -> (KillOnDrop, std::net::SocketAddr) {
    let mut child = command()
        .arg("--database-url")
        .arg(&env.db.url)
        .arg("--data-dir")
        .arg(env.dir.path())
        .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = lines_of(child.stderr.take().unwrap());
    let child = KillOnDrop(child);
    let (line, _) = wait_for(&stderr, |l| l.contains("listening"));
    let log: serde_json::Value = serde_json::from_str(&line).unwrap();
    let addr = log["fields"]["addr"].as_str().unwrap().parse().unwrap();
    (child, addr)
}

/// A child process killed when the test ends, passed or not.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn ok_client_secret_works_at_the_token_endpoint_until_disabled() {
    let env = Env::sqlite();
    let added = env
        .run(&[
            "client",
            "add",
            "--name",
            "skat.batch",
            "--grant-type",
            "client_credentials",
            "--json",
        ])
        .ok()
        .json();
    let id = added["client_id"].as_str().unwrap().to_owned();
    let secret = added["client_secret"].as_str().unwrap().to_owned();
    let (_server, addr) = serve(&env);
    let http = reqwest::Client::new();
    let token = |secret: String| {
        let (http, id) = (http.clone(), id.clone());
        async move {
            http.post(format!("http://{addr}/token"))
                .basic_auth(id, Some(secret))
                .form(&[("grant_type", "client_credentials")])
                .send()
                .await
                .unwrap()
        }
    };
    let r = token(secret.clone()).await;
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer", "{body}");
    assert_eq!(token("wrong".into()).await.status(), 401);

    // A server reuses a client it read for a few seconds: a change takes
    // effect within that time.
    let within = Duration::from_secs(CLIENT_CACHE_SECS as u64 + 2);
    let until = |want: u16, secret: String| {
        let token = &token;
        async move {
            let deadline = std::time::Instant::now() + within;
            loop {
                let got = token(secret.clone()).await.status().as_u16();
                if got == want {
                    return;
                }
                assert!(
                    std::time::Instant::now() < deadline,
                    "still {got} after {within:?}, want {want}"
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    };
    env.run(&["client", "disable", &id]).ok();
    until(401, secret.clone()).await;
    env.run(&["client", "enable", &id]).ok();
    until(200, secret.clone()).await;

    // A new secret: the new one works, the old one stops; audited.
    let rotated = env
        .run(&[
            "client",
            "rotate-secret",
            &id,
            "--operator",
            "ops",
            "--json",
        ])
        .ok()
        .json();
    assert_eq!(rotated["client_id"], id.as_str());
    let new_secret = rotated["client_secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, secret);
    assert!(new_secret.len() >= 40, "high entropy: {new_secret}");
    until(401, secret.clone()).await;
    until(200, new_secret.clone()).await;
    let shown = env.run(&["client", "rotate-secret", &id]).ok();
    assert!(shown.stdout.contains("shown only now"), "{shown:?}");
    let events = env.audit_actions().await;
    assert!(
        events
            .iter()
            .filter(|a| *a == "oidc.client.secret-rotated")
            .count()
            == 2,
        "{events:?}"
    );
    // Refused, and nothing changes: an unknown client, a public client.
    assert_ne!(
        env.run(&["client", "rotate-secret", "nyckel-nosuchclient"])
            .code,
        0
    );
    let public = env
        .run(&[
            "client",
            "add",
            "--name",
            "borger.app",
            "--public",
            "--redirect-uri",
            "dk.borger.app:/callback",
            "--json",
        ])
        .ok()
        .json();
    let public_id = public["client_id"].as_str().unwrap();
    let run = env.run(&["client", "rotate-secret", public_id]);
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("not with a secret"), "{run:?}");

    env.run(&["client", "delete", &id]).ok();
    until(401, new_secret).await;
}

#[tokio::test]
async fn ok_keys_rotate_and_list() {
    for env in Env::each().await {
        let run = env.run(&["keys", "list"]).ok();
        assert!(run.stdout.contains("no signing keys yet"), "{run:?}");
        assert_eq!(
            env.run(&["keys", "list", "--json"]).ok().stdout.trim(),
            "[]"
        );

        let kids_of = |run: &Run| -> Vec<String> {
            run.stdout
                .lines()
                .skip(1)
                .map(|l| l.trim().to_owned())
                .collect()
        };
        let first = kids_of(&env.run(&["keys", "rotate"]).ok());
        assert_eq!(first.len(), 2, "an ES256 and an RS256 key: {first:?}");
        let keys = env.run(&["keys", "list", "--json"]).ok().json();
        let keys = keys.as_array().unwrap();
        assert_eq!(keys.len(), 2);
        assert!(
            keys.iter()
                .all(|k| k["current"] == true && k["retired_at"].is_null())
        );
        let mut algs: Vec<&str> = keys.iter().map(|k| k["alg"].as_str().unwrap()).collect();
        algs.sort_unstable();
        assert_eq!(algs, ["ES256", "RS256"]);

        let second = kids_of(&env.run(&["keys", "rotate", "--operator", "anna"]).ok());
        let keys = env.run(&["keys", "list", "--json"]).ok().json();
        let keys = keys.as_array().unwrap();
        assert_eq!(keys.len(), 4, "the old keys stay published");
        for k in keys {
            let kid = k["kid"].as_str().unwrap().to_owned();
            if first.contains(&kid) {
                assert_eq!(k["current"], false, "{k}");
                let retired = k["retired_at"].as_i64().unwrap();
                let until = k["publish_until"].as_i64().unwrap();
                // The longest token lifetime (an access token of a client
                // with the longest lifetime, an hour) and a minute of leeway.
                assert_eq!(until - retired, 3_660_000, "{k}");
            } else {
                assert!(second.contains(&kid), "{k}");
                assert_eq!(k["current"], true, "{k}");
            }
        }
        let human = env.run(&["keys", "list"]).ok();
        assert!(human.stdout.starts_with("KID"), "{human:?}");
        assert_eq!(human.stdout.lines().count(), 5, "{human:?}");

        let rotations: Vec<_> = env
            .audit()
            .await
            .into_iter()
            .filter(|e| e.action == "oidc.keys.rotated")
            .map(|e| e.actor)
            .collect();
        assert_eq!(rotations, ["operator:tester", "operator:anna"]);
    }
}

// ---------------------------------------------------------------------------
// the demo service provider

/// The URL on a line of the demo's box (`│ Open      http://… │`).
fn url_on(line: &str) -> String {
    let from = line.find("http://").unwrap();
    line[from..]
        .split_whitespace()
        .next()
        .unwrap()
        .trim_end_matches('/')
        .to_owned()
}

/// The value of the first `name="…" value="…"` hidden input called `name`.
fn hidden(body: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let from = body
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {body}"))
        + marker.len();
    body[from..].split('"').next().unwrap().to_owned()
}

/// The demo holder's key card from the start page's table.
fn key_card(start_page: &str) -> std::collections::HashMap<String, String> {
    start_page
        .split("<tr><td>")
        .skip(1)
        .filter_map(|row| {
            let (key, rest) = row.split_once("</td><td><code>")?;
            let (code, _) = rest.split_once("</code>")?;
            Some((key.to_owned(), code.to_owned()))
        })
        .collect()
}

struct Fetched {
    url: String,
    status: u16,
    body: String,
}

async fn fetch(r: reqwest::RequestBuilder) -> Fetched {
    let r = r.send().await.unwrap();
    Fetched {
        url: r.url().to_string(),
        status: r.status().as_u16(),
        body: r.text().await.unwrap(),
    }
}

#[tokio::test]
async fn ok_demo_service_provider_logs_the_holder_in_through_nyckel() {
    let dir = TempDir::new();
    let mut child = command()
        .arg("--data-dir")
        .arg(dir.path().join("demo"))
        .args([
            "demo",
            "--listen",
            "127.0.0.1:0",
            "--sp-listen",
            "127.0.0.1:0",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = lines_of(child.stdout.take().unwrap());
    let _child = KillOnDrop(child);
    let (holder_line, before) = wait_for(&stdout, |l| l.contains("the demo holder"));
    let line = |label: &str| before.iter().find(|l| l.contains(label)).unwrap().clone();
    let nyckel = url_on(&line("Open      "));
    let sp = url_on(&line("Service   "));
    assert_ne!(nyckel, sp);
    let user_id: String = line("User ID")
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let cpr = holder_line.split_whitespace().next().unwrap().to_owned();
    // Wait until the servers accept connections (they start after the box).
    wait_for(&stdout, |l| l.starts_with("Stop with Ctrl-C"));

    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .default_headers(reqwest::header::HeaderMap::from_iter([(
            reqwest::header::ACCEPT_LANGUAGE,
            reqwest::header::HeaderValue::from_static("en"),
        )]))
        .build()
        .unwrap();
    let get = |url: String| fetch(browser.get(url));
    let post =
        |url: String, form: Vec<(&'static str, String)>| fetch(browser.post(url).form(&form));

    let home = get(format!("{sp}/")).await;
    assert_eq!(home.status, 200);
    assert!(home.body.contains("Log in with nyckel"), "{}", home.body);
    let start = get(format!("{nyckel}/")).await;
    let card = key_card(&start.body);
    assert_eq!(card.len(), 148, "{}", start.body);

    // SP → nyckel's authorization endpoint → the login pages.
    let p = get(format!("{sp}/login")).await;
    assert_eq!(p.url, format!("{nyckel}/login"), "{}", p.body);
    assert!(p.body.contains("action=\"/login/identify\""), "{}", p.body);
    let p = post(
        format!("{nyckel}/login/identify"),
        vec![
            ("csrf", hidden(&p.body, "csrf")),
            ("login_name", user_id.clone()),
        ],
    )
    .await;
    let p = post(
        format!("{nyckel}/login/password"),
        vec![
            ("csrf", hidden(&p.body, "csrf")),
            ("password", nyckel::demo::DEMO_PASSWORD.to_owned()),
        ],
    )
    .await;
    let key = p
        .body
        .split("data-key-number=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_else(|| panic!("no key card challenge: {}", p.body))
        .to_owned();
    let p = post(
        format!("{nyckel}/login/keycard"),
        vec![
            ("csrf", hidden(&p.body, "csrf")),
            ("code", card[&key].clone()),
        ],
    )
    .await;
    assert!(
        p.body.contains("borger.demo asks for your details"),
        "{}",
        p.body
    );
    assert!(p.body.contains("Your CPR number"), "{}", p.body);

    // Consent → nyckel redirects to the SP's callback → the SP redeems the
    // code, verifies the ID token, calls UserInfo and shows the claims.
    let p = post(
        format!("{nyckel}/login/consent"),
        vec![
            ("csrf", hidden(&p.body, "csrf")),
            ("decision", "allow".to_owned()),
        ],
    )
    .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert_eq!(p.url, format!("{sp}/"), "{}", p.body);
    for shown in [
        "Hello, Mette Kirstine Jensen",
        cpr.as_str(),
        "Substantial — https://data.gov.dk/concept/core/nsis/Substantial",
        "pwd, otp, mfa",
        "Copenhagen time",
        "href=\"/logout\"",
    ] {
        assert!(p.body.contains(shown), "{shown} in {}", p.body);
    }
    assert!(!p.body.contains("(not received)"), "{}", p.body);
    // Reloading shows the same login; a stray callback is refused.
    assert!(get(format!("{sp}/")).await.body.contains(&cpr));
    let stray = get(format!("{sp}/callback?code=x&state=y")).await;
    assert_eq!(stray.status, 400, "{}", stray.body);
    assert!(
        stray.body.contains("No login in progress"),
        "{}",
        stray.body
    );

    // RP-initiated logout: SP → nyckel's end-session endpoint → back to the SP.
    let p = get(format!("{sp}/logout")).await;
    assert!(p.url.starts_with(&format!("{sp}/?state=")), "{}", p.url);
    assert!(p.body.contains("You have logged out"), "{}", p.body);
    assert!(p.body.contains("Log in with nyckel"), "{}", p.body);
    // Logged out at nyckel too: the next login asks again.
    let p = get(format!("{sp}/login")).await;
    assert_eq!(p.url, format!("{nyckel}/login"), "{}", p.body);
    assert!(p.body.contains("action=\"/login/identify\""), "{}", p.body);

    let store = nyckel_store::Store::open(
        &format!("sqlite://{}", dir.path().join("demo/nyckel.db").display()),
        &Default::default(),
    )
    .await
    .unwrap();
    let mut tx = store.read().await.unwrap();
    let clients = tx.find_clients().await.unwrap();
    let entries = tx.find_audit_after(0, 1000).await.unwrap();
    tx.commit().await.unwrap();
    store.close().await;
    assert_eq!(clients.len(), 1);
    assert_eq!(clients[0].name, "borger.demo");
    assert!(clients[0].allow_cpr);
    assert_eq!(clients[0].redirect_uris, [format!("{sp}/callback")]);
    assert_eq!(clients[0].post_logout_redirect_uris, [format!("{sp}/")]);
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    for a in ["oidc.client.added", "oidc.consent.given"] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
    assert!(
        entries
            .iter()
            .any(|e| e.action == "login.succeeded" && e.detail.contains("borger.demo")),
        "{actions:?}"
    );
}

#[tokio::test]
async fn fail_serve_refuses_a_plain_http_public_url_off_loopback() {
    let env = Env::sqlite();
    let config = env.file("nyckel.toml", "public_url = \"http://nyckel.example.dk\"\n");
    let config = config.to_str().unwrap();
    let refused = env.run(&["--config", config, "serve", "--listen", "127.0.0.1:0"]);
    assert_ne!(refused.code, 0, "{refused:?}");
    assert!(
        refused.stderr.contains("--dangerous-insecure-http"),
        "{refused:?}"
    );
    // With the flag it starts (and is stopped here).
    let mut child = command()
        .arg("--database-url")
        .arg(&env.db.url)
        .arg("--data-dir")
        .arg(env.dir.path())
        .args(["--config", config, "serve", "--dangerous-insecure-http"])
        .args(["--listen", "127.0.0.1:0", "--log-format", "json"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = lines_of(child.stderr.take().unwrap());
    let child = KillOnDrop(child);
    wait_for(&stderr, |l| l.contains("listening"));
    drop(child);
}
