//! The population register: persons and their dated changes.

use std::collections::HashMap;

use crate::db::{Row, query};
use nyckel_core::cpr::{Cpr, Date, PersonRecord, Residence};

use crate::{Result, Tx, corrupt, new_id, parse};

/// A person as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonRow {
    pub id: String,
    pub record: PersonRecord,
    pub updated_at: i64,
}

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportStats {
    pub inserted: u64,
    pub changed: u64,
    pub unchanged: u64,
}

impl ImportStats {
    pub fn add(&mut self, other: ImportStats) {
        self.inserted += other.inserted;
        self.changed += other.changed;
        self.unchanged += other.unchanged;
    }
}

/// Stored CPR numbers were checked on the way in; re-parsing them must not
/// fail because of "today".
fn stored_cpr(s: &str) -> Result<Cpr> {
    let far = Date::new(9999, 12, 31).ok_or_else(|| corrupt("calendar"))?;
    Cpr::parse(s, far).map_err(|_| corrupt("bad stored CPR number"))
}

const PERSON_COLUMNS: &str = "id, cpr, given_names, surname, address, residence, updated_at";

fn person_from_row(row: &Row) -> Result<PersonRow> {
    let cpr: String = row.try_get("cpr")?;
    let residence: String = row.try_get("residence")?;
    Ok(PersonRow {
        id: row.try_get("id")?,
        record: PersonRecord {
            cpr: stored_cpr(&cpr)?,
            given_names: row.try_get("given_names")?,
            surname: row.try_get("surname")?,
            address: row.try_get("address")?,
            residence: parse::<Residence>(&residence, "residence")?,
        },
        updated_at: row.try_get("updated_at")?,
    })
}

/// Rows per statement in imports: well under SQLite's and PostgreSQL's
/// bound-parameter limits (32 766 and 65 535) at 9 columns a row.
pub const IMPORT_CHUNK: usize = 500;

impl Tx {
    pub async fn find_person_by_cpr(&mut self, cpr: &Cpr) -> Result<Option<PersonRow>> {
        let sql = format!("SELECT {PERSON_COLUMNS} FROM persons WHERE cpr = $1");
        let row = query(sql).bind(cpr.compact()).fetch_optional(self).await?;
        row.as_ref().map(person_from_row).transpose()
    }

    pub async fn find_person(&mut self, id: &str) -> Result<Option<PersonRow>> {
        let sql = format!("SELECT {PERSON_COLUMNS} FROM persons WHERE id = $1");
        let row = query(sql).bind(id).fetch_optional(self).await?;
        row.as_ref().map(person_from_row).transpose()
    }

    pub async fn count_persons(&mut self) -> Result<i64> {
        let row = query("SELECT COUNT(*) AS n FROM persons")
            .fetch_one(self)
            .await?;
        row.try_get("n")
    }

    /// Inserts new persons and records dated changes for known ones. Call with
    /// at most [`IMPORT_CHUNK`] records at a time, all with distinct CPR numbers.
    pub async fn upsert_persons(
        &mut self,
        records: &[PersonRecord],
        now: i64,
        source: &str,
    ) -> Result<ImportStats> {
        let mut stats = ImportStats::default();
        if records.is_empty() {
            return Ok(stats);
        }
        let placeholders: Vec<String> = (1..=records.len()).map(|i| self.param(i)).collect();
        let sql = format!(
            "SELECT {PERSON_COLUMNS} FROM persons WHERE cpr IN ({})",
            placeholders.join(",")
        );
        let mut q = query(sql);
        for r in records {
            q = q.bind(r.cpr.compact());
        }
        let mut known: HashMap<String, PersonRow> = HashMap::new();
        for row in q.fetch_all(self).await? {
            let p = person_from_row(&row)?;
            known.insert(p.record.cpr.compact(), p);
        }

        let mut fresh = Vec::new();
        for r in records {
            match known.get(&r.cpr.compact()) {
                None => fresh.push(r),
                Some(old) if old.record == *r => stats.unchanged += 1,
                Some(old) => {
                    self.change_person(&old.id, &old.record, r, now, source)
                        .await?;
                    stats.changed += 1;
                }
            }
        }
        if !fresh.is_empty() {
            let mut sql = String::from(
                "INSERT INTO persons (id, cpr, birth_date, given_names, surname, address, residence, created_at, updated_at) VALUES ",
            );
            for i in 0..fresh.len() {
                let b = i * 9;
                if i > 0 {
                    sql.push(',');
                }
                let row: Vec<String> = (1..=9).map(|k| self.param(b + k)).collect();
                sql.push('(');
                sql.push_str(&row.join(","));
                sql.push(')');
            }
            let mut q = query(sql);
            for r in &fresh {
                q = q
                    .bind(new_id())
                    .bind(r.cpr.compact())
                    .bind(r.cpr.birth_date().to_string())
                    .bind(r.given_names.clone())
                    .bind(r.surname.clone())
                    .bind(r.address.clone())
                    .bind(r.residence.as_str())
                    .bind(now)
                    .bind(now);
            }
            q.execute(self).await?;
            stats.inserted += fresh.len() as u64;
        }
        Ok(stats)
    }

    async fn change_person(
        &mut self,
        id: &str,
        old: &PersonRecord,
        new: &PersonRecord,
        now: i64,
        source: &str,
    ) -> Result<()> {
        let fields: [(&str, &str, &str); 4] = [
            ("given_names", &old.given_names, &new.given_names),
            ("surname", &old.surname, &new.surname),
            ("address", &old.address, &new.address),
            ("residence", old.residence.as_str(), new.residence.as_str()),
        ];
        for (field, before, after) in fields {
            if before != after {
                query(
                    "INSERT INTO person_changes (person_id, changed_at, source, field, old_value, new_value) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(id)
                .bind(now)
                .bind(source)
                .bind(field)
                .bind(before)
                .bind(after)
                .execute(self)
                .await?;
            }
        }
        query(
            "UPDATE persons SET given_names = $1, surname = $2, address = $3, residence = $4, updated_at = $5 WHERE id = $6",
        )
        .bind(new.given_names.clone())
        .bind(new.surname.clone())
        .bind(new.address.clone())
        .bind(new.residence.as_str())
        .bind(now)
        .bind(id)
        .execute(self)
        .await?;
        Ok(())
    }

    /// The dated changes of a person, oldest first: (changed_at, field, old, new).
    pub async fn find_person_changes(
        &mut self,
        person_id: &str,
    ) -> Result<Vec<(i64, String, Option<String>, String)>> {
        let rows = query(
            "SELECT changed_at, field, old_value, new_value FROM person_changes WHERE person_id = $1 ORDER BY changed_at, id",
        )
        .bind(person_id)
        .fetch_all(self)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("changed_at")?,
                    r.try_get("field")?,
                    r.try_get("old_value")?,
                    r.try_get("new_value")?,
                ))
            })
            .collect()
    }
}
